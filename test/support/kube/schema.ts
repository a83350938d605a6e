// What the apiextensions server does to a custom resource before storing it: prune unknown
// fields, apply schema defaults, validate against the structural openAPIV3Schema and run the
// `x-kubernetes-validations` CEL rules. Error texts follow the real server's field errors so
// tests can assert on `details.causes` exactly as they would against a cluster.
import { Environment } from '@marcbachmann/cel-js';
import { clone, deepEqual, goValue, isMap, type FieldError, type JsonMap } from './types.ts';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** A structural schema node (the subset of JSONSchemaProps the server interprets). */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

export function asSchema(v: unknown): Schema | undefined {
  // A CRD's openAPIV3Schema is JSON shaped like Schema; structuralErrors() reports the
  // parts this server cannot interpret when the CRD is stored.
  return isMap(v) ? (v as Schema) : undefined;
}

const celEnv = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

type CelProgram = (ctx: Record<string, unknown>) => unknown;
const programs = new Map<string, CelProgram>();

function compileCel(rule: string): CelProgram {
  let p = programs.get(rule);
  if (!p) {
    const parsed = celEnv.parse(rule);
    p = (ctx) => parsed(ctx);
    programs.set(rule, p);
  }
  return p;
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function typeOfJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * Reports what a CRD schema needs to be served: every node typed (unless it preserves
 * unknown fields or is int-or-string) and every CEL rule compilable.
 */
export function structuralErrors(schema: Schema, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const walk = (s: Schema, p: string, root: boolean): void => {
    if (!s.type && !s['x-kubernetes-preserve-unknown-fields'] && !s['x-kubernetes-int-or-string'] && !root) {
      errors.push({ type: 'FieldValueRequired', field: `${p}.type`, detail: 'Required value: must not be empty for specified object fields' });
    }
    (s['x-kubernetes-validations'] ?? []).forEach((r, i) => {
      for (const [field, expr] of [['rule', r.rule], ['messageExpression', r.messageExpression]] as const) {
        if (expr === undefined) continue;
        try {
          celEnv.parse(expr);
        } catch (err) {
          errors.push({
            type: 'FieldValueInvalid',
            field: `${p}.x-kubernetes-validations[${i}].${field}`,
            detail: `Invalid value: ${goValue(expr)}: compilation failed: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
      }
    });
    for (const [k, c] of Object.entries(s.properties ?? {})) walk(c, `${p}.properties[${k}]`, false);
    if (s.items) walk(s.items, `${p}.items`, false);
    if (isMap(s.additionalProperties)) walk(s.additionalProperties, `${p}.additionalProperties`, false);
  };
  walk(schema, path, true);
  return errors;
}

/**
 * Removes fields the schema does not declare (what the real server calls pruning) and
 * fills `default:` values. Returns the dotted paths of removed fields for fieldValidation.
 */
export function pruneAndDefault(obj: JsonMap, schema: Schema): string[] {
  const unknown: string[] = [];
  const walk = (v: unknown, s: Schema | undefined, path: string, root: boolean): void => {
    if (!s) return;
    if (isMap(v)) {
      const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
      const embedded = s['x-kubernetes-embedded-resource'] === true;
      for (const key of Object.keys(v)) {
        if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
        if (embedded && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
        const prop = s.properties?.[key];
        if (prop) walk(v[key], prop, childPath(path, key), false);
        else if (isMap(s.additionalProperties)) walk(v[key], s.additionalProperties, `${path}[${key}]`, false);
        else if (!preserve && s.additionalProperties !== true) {
          unknown.push(childPath(path, key));
          delete v[key];
        }
      }
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        if (v[key] === undefined && prop.default !== undefined) v[key] = clone(prop.default);
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, s.items, `${path}[${i}]`, false));
    }
  };
  walk(obj, schema, '', true);
  return unknown;
}

/** JSON -> the values CEL sees: integers as int (bigint), date-time strings as timestamps. */
function toCel(v: unknown, s: Schema | undefined): unknown {
  if (typeof v === 'number') {
    if (s?.type === 'number') return v;
    return Number.isInteger(v) ? BigInt(v) : v;
  }
  if (typeof v === 'string' && s?.type === 'string' && s.format === 'date-time') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? v : d;
  }
  if (Array.isArray(v)) return v.map((x) => toCel(x, s?.items));
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const cs = s?.properties?.[k] ?? (isMap(s?.additionalProperties) ? s.additionalProperties : undefined);
      out[k] = toCel(x, cs);
    }
    return out;
  }
  return v;
}

function schemaTypeName(s: Schema, v: unknown): string {
  return s.type ?? (s['x-kubernetes-int-or-string'] ? (typeof v === 'string' ? 'string' : 'integer') : typeOfJson(v));
}

function detailFor(reason: string | undefined, message: string, typeName: string): { type: FieldError['type']; detail: string } {
  switch (reason) {
    case 'FieldValueRequired':
      return { type: 'FieldValueRequired', detail: `Required value: ${message}` };
    case 'FieldValueForbidden':
      return { type: 'FieldValueForbidden', detail: `Forbidden: ${message}` };
    case 'FieldValueDuplicate':
      return { type: 'FieldValueDuplicate', detail: `Duplicate value: ${message}` };
    default:
      return { type: 'FieldValueInvalid', detail: `Invalid value: ${JSON.stringify(typeName)}: ${message}` };
  }
}

function fieldPathJoin(base: string, fieldPath: string | undefined): string {
  if (!fieldPath) return base;
  const rel = fieldPath.startsWith('.') ? fieldPath.slice(1) : fieldPath;
  return base === '' ? rel : `${base}.${rel}`;
}

function usesOldSelf(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function runRules(s: Schema, v: unknown, old: unknown, hasOld: boolean, path: string, errors: FieldError[]): void {
  const rules = s['x-kubernetes-validations'];
  if (!rules || rules.length === 0) return;
  const self = toCel(v, s);
  const typeName = schemaTypeName(s, v);
  for (const r of rules) {
    const transition = usesOldSelf(r.rule);
    if (transition && !hasOld && !r.optionalOldSelf) continue;
    const ctx: Record<string, unknown> = { self };
    if (transition && hasOld) ctx.oldSelf = toCel(old, s);
    const field = fieldPathJoin(path, r.fieldPath);
    let ok: unknown;
    try {
      ok = compileCel(r.rule)(ctx);
    } catch (err) {
      errors.push({
        type: 'FieldValueInvalid',
        field,
        detail: `Invalid value: ${JSON.stringify(typeName)}: ${errMessage(err)} evaluating rule: ${r.rule}`,
      });
      continue;
    }
    if (ok === true) continue;
    let message = r.message ?? `failed rule: ${r.rule.replace(/\s+/g, ' ').trim()}`;
    if (r.messageExpression) {
      try {
        const m = compileCel(r.messageExpression)(ctx);
        if (typeof m === 'string' && m.trim() !== '') message = m;
      } catch {
        // The real server falls back to `message` (or the default) when messageExpression fails.
      }
    }
    errors.push({ field, ...detailFor(r.reason, message, typeName) });
  }
}

function matchesFormat(format: string, v: string): boolean {
  switch (format) {
    case 'date-time':
      return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v));
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v));
    default:
      // Unknown or informational formats (int32, byte, uri, ...) are not enforced here.
      return true;
  }
}

function typeMatches(s: Schema, v: unknown): boolean {
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  switch (s.type) {
    case undefined:
      return true;
    case 'object':
      return isMap(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
  }
  return true;
}

function listMapKey(item: unknown, keys: string[]): string {
  return JSON.stringify(keys.map((k) => (isMap(item) ? item[k] : undefined)));
}

/** Validates `v` against `s`; `old` is the value at the same path before an update (for oldSelf). */
function validateNode(s: Schema, v: unknown, old: unknown, hasOld: boolean, path: string, errors: FieldError[]): void {
  if (v === null) {
    if (!s.nullable) {
      errors.push({
        type: 'FieldValueTypeInvalid',
        field: path,
        detail: `Invalid value: "null": ${path} in body must be of type ${s.type ?? 'object'}: "null"`,
      });
    }
    return;
  }
  if (!typeMatches(s, v)) {
    const t = typeOfJson(v);
    errors.push({
      type: 'FieldValueTypeInvalid',
      field: path,
      detail: `Invalid value: ${JSON.stringify(t)}: ${path} in body must be of type ${s['x-kubernetes-int-or-string'] ? 'int-or-string' : (s.type ?? '')}: ${JSON.stringify(t)}`,
    });
    return;
  }
  const before = errors.length;
  if (s.enum && !s.enum.some((e) => deepEqual(e, v))) {
    errors.push({
      type: 'FieldValueNotSupported',
      field: path,
      detail: `Unsupported value: ${goValue(v)}: supported values: ${s.enum.map(goValue).join(', ')}`,
    });
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        detail: `Invalid value: ${v}: ${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`,
      });
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        detail: `Invalid value: ${v}: ${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`,
      });
    }
    if (s.multipleOf !== undefined && s.multipleOf !== 0 && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) {
      errors.push({ type: 'FieldValueInvalid', field: path, detail: `Invalid value: ${v}: ${path} in body should be a multiple of ${s.multipleOf}` });
    }
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.minLength !== undefined && len < s.minLength) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        detail: `Invalid value: ${goValue(v)}: ${path} in body should be at least ${s.minLength} chars long`,
      });
    }
    if (s.maxLength !== undefined && len > s.maxLength) {
      errors.push({ type: 'FieldValueTooLong', field: path, detail: `Too long: may not be more than ${s.maxLength} bytes` });
    }
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        detail: `Invalid value: ${goValue(v)}: ${path} in body should match '${s.pattern}'`,
      });
    }
    if (s.format && !matchesFormat(s.format, v)) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        detail: `Invalid value: ${goValue(v)}: ${path} in body must be of type ${s.format}: ${goValue(v)}`,
      });
    }
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        detail: `Invalid value: ${v.length}: ${path} in body should have at least ${s.minItems} items`,
      });
    }
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      errors.push({ type: 'FieldValueTooMany', field: path, detail: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
    }
    const listType = s['x-kubernetes-list-type'];
    const mapKeys = s['x-kubernetes-list-map-keys'] ?? [];
    if (s.uniqueItems || listType === 'set' || listType === 'map') {
      const seen = new Set<string>();
      v.forEach((item, i) => {
        const k = listType === 'map' ? listMapKey(item, mapKeys) : JSON.stringify(item);
        if (seen.has(k)) {
          errors.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, detail: `Duplicate value: ${listType === 'map' ? k : goValue(item)}` });
        }
        seen.add(k);
      });
    }
    if (s.items) {
      const oldList = Array.isArray(old) ? old : [];
      v.forEach((item, i) => {
        // Like the real server, old values are correlated only for list-type=map items.
        const oldItem = listType === 'map' ? oldList.find((o) => listMapKey(o, mapKeys) === listMapKey(item, mapKeys)) : undefined;
        validateNode(s.items as Schema, item, oldItem, oldItem !== undefined, `${path}[${i}]`, errors);
      });
    }
  }
  if (isMap(v)) {
    const keys = Object.keys(v).filter((k) => !(path === '' && (k === 'apiVersion' || k === 'kind' || k === 'metadata')));
    for (const r of s.required ?? []) {
      if (v[r] === undefined) errors.push({ type: 'FieldValueRequired', field: childPath(path, r), detail: 'Required value' });
    }
    if (s.minProperties !== undefined && keys.length < s.minProperties) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        detail: `Invalid value: ${keys.length}: ${path} in body should have at least ${s.minProperties} properties`,
      });
    }
    if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
      errors.push({ type: 'FieldValueTooMany', field: path, detail: `Too many: ${keys.length}: must have at most ${s.maxProperties} items` });
    }
    const oldMap = isMap(old) ? old : undefined;
    for (const k of keys) {
      const prop = s.properties?.[k] ?? (isMap(s.additionalProperties) ? s.additionalProperties : undefined);
      if (!prop) continue;
      const p = s.properties?.[k] ? childPath(path, k) : `${path}[${k}]`;
      const hasOldChild = oldMap !== undefined && oldMap[k] !== undefined;
      validateNode(prop, v[k], oldMap?.[k], hasOldChild, p, errors);
    }
  }
  for (const sub of s.allOf ?? []) validateNode({ ...sub, type: sub.type ?? s.type }, v, old, hasOld, path, errors);
  if (s.anyOf && !s.anyOf.some((sub) => validateAll(sub, v, path).length === 0)) {
    errors.push({ type: 'FieldValueInvalid', field: path, detail: `Invalid value: ${goValue(v)}: ${path} in body must validate at least one schema (anyOf)` });
  }
  if (s.oneOf && s.oneOf.filter((sub) => validateAll(sub, v, path).length === 0).length !== 1) {
    errors.push({ type: 'FieldValueInvalid', field: path, detail: `Invalid value: ${goValue(v)}: ${path} in body must validate one and only one schema (oneOf)` });
  }
  if (s.not && validateAll(s.not, v, path).length === 0) {
    errors.push({ type: 'FieldValueInvalid', field: path, detail: `Invalid value: ${goValue(v)}: ${path} in body should not validate the schema (not)` });
  }
  // Like the real server, CEL rules run only where the schema itself accepted the value.
  if (errors.length === before) runRules(s, v, old, hasOld, path, errors);
}

function validateAll(s: Schema, v: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  validateNode(s, v, undefined, false, path, errors);
  return errors;
}

/** Validates a whole custom resource; `old` is the stored object on update. */
export function validateCustomResource(obj: JsonMap, schema: Schema, old?: JsonMap): FieldError[] {
  const errors: FieldError[] = [];
  validateNode(schema, obj, old, old !== undefined, '', errors);
  return errors;
}
