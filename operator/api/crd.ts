// zod schema -> structural OpenAPI v3 schema for a CustomResourceDefinition. Pure.
//
// zod's own z.toJSONSchema (target openapi-3.0) does the walking; this module turns its
// output into what the API server accepts as *structural* (every node typed, no $ref, no
// anyOf/oneOf/allOf, no additionalProperties next to properties) and refuses, loudly and
// with paths, what it cannot translate faithfully instead of dropping it:
//   - `default:` anywhere: defaults live in code (docs/design.md, Shape; API-server defaulting makes
//     Argo CD report committed objects OutOfSync forever);
//   - unions/intersections, tuples, nulls-as-types, regexes RE2 cannot run (lookarounds,
//     backreferences), formats whose Kubernetes meaning differs from zod's;
//   - a property without a description (`kubectl explain` is the user's manual).
import { z } from 'zod';

/** A CEL rule (`x-kubernetes-validations` entry). */
export interface ValidationRule {
  rule: string;
  /** Shown to the user when the rule fails: names the field and the fix. */
  message: string;
  /** Field the error is reported on, relative to the node carrying the rule, e.g. `.end`. */
  fieldPath?: string;
  // Not FieldValueDuplicate: the API server reports that reason without the message.
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired';
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this generator emits. */
export interface JSONSchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  nullable?: boolean;
  enum?: (string | number | boolean)[];
  minimum?: number;
  exclusiveMinimum?: boolean;
  maximum?: number;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  items?: JSONSchemaProps;
  minProperties?: number;
  maxProperties?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

export interface CrdSchemaOptions {
  /** Path shown in error messages for the schema's root, e.g. `spec`. */
  root: string;
  /**
   * CEL rules to attach to nodes of the converted schema, keyed by path relative to the
   * root: '' is the root, `.left` a property, `.aggregate.measures[]` the items of a list,
   * `.labels{}` the values of a map. For schemas that must not know about Kubernetes (the
   * runner's); schemas in operator/api put rules in `.meta()` instead.
   */
  validations?: Record<string, ValidationRule[]>;
}

export class CrdSchemaError extends Error {
  constructor(
    readonly root: string,
    readonly problems: string[],
  ) {
    super(`cannot generate a structural CRD schema for ${root}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CrdSchemaError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// Output key order: fixed so the generated YAML is stable and reads top-down.
const KEY_ORDER = [
  'description', 'type', 'format', 'nullable', 'enum',
  'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern',
  'minItems', 'maxItems', 'items',
  'minProperties', 'maxProperties', 'properties', 'required', 'additionalProperties',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations',
] as const;
const COPIED = new Set<string>(KEY_ORDER.filter((k) => !['items', 'properties', 'additionalProperties', 'required'].includes(k)));

// Formats Kubernetes validates with the same meaning as zod. Not `duration` (Go's "1h30m" in
// Kubernetes, ISO 8601's "PT1H30M" in zod) nor `time` (unknown to Kubernetes).
const KUBERNETES_FORMATS = new Set(['date-time', 'date', 'uuid', 'ipv4', 'ipv6', 'email', 'uri', 'hostname', 'byte']);
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

// What zod adds to every .int() (the safe-integer range): not a limit anyone wrote.
const SAFE_INT_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/** Converts a zod schema to a structural CRD schema; throws CrdSchemaError listing every problem. */
export function crdSchema(schema: z.ZodType, options: CrdSchemaOptions): JSONSchemaProps {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    // Transforms, dates, bigints, ...: refuse rather than emit an untyped node.
    unrepresentable: 'throw',
    cycles: 'throw',
    reused: 'inline',
  }) as JsonObject;
  const problems: string[] = [];
  const out = convert(json, options.root, problems, false);
  for (const [path, rules] of Object.entries(options.validations ?? {})) {
    const node = nodeAt(out, path);
    if (!node) problems.push(`${options.root}${path}: validations given for a path the schema does not have`);
    else node['x-kubernetes-validations'] = [...(node['x-kubernetes-validations'] ?? []), ...rules];
  }
  if (problems.length > 0) throw new CrdSchemaError(options.root, problems);
  return out;
}

function convert(node: JsonObject, path: string, problems: string[], isProperty: boolean): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case '$schema':
      case 'propertyNames': // keys of a JSON object are strings already
        break;
      case 'default':
        problems.push(`${path}: has a default (${JSON.stringify(value)}); defaults live in code and in the description (docs/design.md, Shape)`);
        break;
      case 'const':
        out.enum = [value];
        break;
      case 'type':
        if (typeof value !== 'string' || !TYPES.has(value)) problems.push(`${path}: type ${JSON.stringify(value)} is not one Kubernetes type`);
        else out.type = value;
        break;
      case 'format':
        if (typeof value === 'string' && KUBERNETES_FORMATS.has(value)) out.format = value;
        else problems.push(`${path}: format ${JSON.stringify(value)} has no Kubernetes equivalent; use a pattern`);
        break;
      case 'pattern':
        if (typeof value === 'string' && /\(\?<?[=!]|\\[1-9]/.test(value)) {
          problems.push(`${path}: pattern ${value} uses lookarounds or backreferences, which Kubernetes (RE2) cannot run`);
        } else out.pattern = value;
        break;
      case 'minimum':
      case 'maximum':
        if (!(node.type === 'integer' && typeof value === 'number' && SAFE_INT_BOUNDS.has(value))) out[key] = value;
        break;
      case 'properties': {
        const props: Record<string, JSONSchemaProps> = {};
        for (const name of Object.keys(value as JsonObject).sort()) {
          props[name] = convert((value as JsonObject)[name] as JsonObject, `${path}.${name}`, problems, true);
        }
        out.properties = props;
        break;
      }
      case 'required':
        out.required = [...(value as string[])].sort();
        break;
      case 'items':
        if (Array.isArray(value)) problems.push(`${path}: tuples are not structural; use an array of one type`);
        else out.items = convert(value as JsonObject, `${path}[]`, problems, false);
        break;
      case 'additionalProperties':
        if (value === false) break; // strict objects: the API server prunes unknown fields anyway
        if (isEmptySchema(value)) out['x-kubernetes-preserve-unknown-fields'] = true; // loose object / map of anything
        else out.additionalProperties = convert(value as JsonObject, `${path}{}`, problems, false);
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
      case 'not':
        problems.push(`${path}: ${key} (from a union, intersection or repeated check) is not structural; use an enum or one object with optional fields`);
        break;
      case '$ref':
      case '$defs':
      case 'definitions':
      case 'id':
        problems.push(`${path}: ${key} is not allowed in a CRD schema; do not register ids or reuse schemas recursively`);
        break;
      default:
        if (COPIED.has(key)) out[key] = structuredClone(value);
        else problems.push(`${path}: ${key} is not supported in a CRD schema`);
    }
  }
  // z.unknown()/z.any(): any JSON value, kept as written.
  if (isEmptySchema(node) || (Object.keys(node).length === 1 && 'description' in node)) out['x-kubernetes-preserve-unknown-fields'] = true;
  if (out.properties && out.additionalProperties) problems.push(`${path}: properties and a typed map at once are not structural`);
  if (isProperty && typeof out.description !== 'string') problems.push(`${path}: no description; add .describe() (kubectl explain shows it)`);
  return ordered(out);
}

function isEmptySchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function ordered(node: Record<string, unknown>): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (node[key] !== undefined) out[key] = node[key];
  return out as JSONSchemaProps;
}

/** The node at a path such as `.aggregate.measures[]` ('' is the root), or undefined. */
export function nodeAt(root: JSONSchemaProps, path: string): JSONSchemaProps | undefined {
  const steps = path.match(/\.[^.[{]+|\[\]|\{\}/g) ?? [];
  if (steps.join('') !== path) return undefined;
  let node: JSONSchemaProps | undefined = root;
  for (const step of steps) {
    if (!node) return undefined;
    if (step === '[]') node = node.items;
    else if (step === '{}') node = node.additionalProperties;
    else node = node.properties?.[step.slice(1)];
  }
  return node;
}
