// Server-side apply and metadata.managedFields, minimally: each manager owns a set of field
// paths (FieldsV1); an apply merges the applied configuration (associative lists by key),
// removes fields the manager applied before but no longer does, and reports conflicts with
// other managers' fields unless force=true. Update operations take ownership of what changed.
import { strategicMergeKey } from './patch.ts';
import type { Schema } from './schema.ts';
import { clone, deepEqual, isMap, statusError, type JsonMap, type KObject, type ManagedFieldsEntry } from './types.ts';

type ListKind = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

/** How to read list and map types at a position: from a CRD schema, or the built-in table. */
export interface TypeInfo {
  schema?: Schema;
  builtin: boolean;
}

function childType(t: TypeInfo, key: string): TypeInfo {
  if (t.builtin) return t;
  const s = t.schema;
  const child = s?.properties?.[key] ?? (isMap(s?.additionalProperties) ? s.additionalProperties : undefined);
  return { builtin: false, schema: child };
}

function itemType(t: TypeInfo): TypeInfo {
  return t.builtin ? t : { builtin: false, schema: t.schema?.items };
}

function listKind(t: TypeInfo, field: string): ListKind {
  if (t.builtin) {
    const key = strategicMergeKey(field);
    if (key) return { type: 'map', keys: [key] };
    if (field === 'finalizers') return { type: 'set' };
    return { type: 'atomic' };
  }
  const lt = t.schema?.['x-kubernetes-list-type'];
  if (lt === 'map') return { type: 'map', keys: t.schema?.['x-kubernetes-list-map-keys'] ?? [] };
  if (lt === 'set') return { type: 'set' };
  return { type: 'atomic' };
}

function isAtomicMap(t: TypeInfo): boolean {
  return !t.builtin && t.schema?.['x-kubernetes-map-type'] === 'atomic';
}

const SEP = '\u0001';
/** Fields nobody owns: identity and server-maintained metadata. */
const SYSTEM_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'managedFields', 'selfLink', 'deletionGracePeriodSeconds']);

function itemKey(item: unknown, keys: string[]): string {
  const k: JsonMap = {};
  for (const key of keys) if (isMap(item) && item[key] !== undefined) k[key] = item[key];
  return `k:${JSON.stringify(k)}`;
}

/** Leaf paths (segment lists joined by SEP) of `obj`, with the value at each. */
function leaves(obj: JsonMap, t: TypeInfo, scope: 'main' | 'status'): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, ty: TypeInfo, field: string, prefix: string[]): void => {
    if (isMap(v) && !isAtomicMap(ty)) {
      const keys = Object.keys(v);
      if (keys.length === 0 && prefix.length > 0) out.set(prefix.join(SEP), {});
      for (const k of keys) walk(v[k], childType(ty, k), k, [...prefix, `f:${k}`]);
      return;
    }
    if (Array.isArray(v)) {
      const lk = listKind(ty, field);
      if (lk.type === 'map') {
        for (const item of v) {
          const p = [...prefix, itemKey(item, lk.keys)];
          out.set(p.join(SEP), undefined);
          walk(item, itemType(ty), '', p);
        }
        return;
      }
      if (lk.type === 'set') {
        for (const item of v) out.set([...prefix, `v:${JSON.stringify(item)}`].join(SEP), item);
        return;
      }
    }
    out.set(prefix.join(SEP), v);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (scope === 'main' && k === 'status') continue;
    if (scope === 'status' && k !== 'status') continue;
    if (k === 'metadata' && isMap(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (SYSTEM_META.has(mk)) continue;
        walk(mv, childType({ builtin: true }, mk), mk, ['f:metadata', `f:${mk}`]);
      }
      continue;
    }
    walk(v, childType(t, k), k, [`f:${k}`]);
  }
  return out;
}

export function toFieldsV1(paths: Iterable<string>): JsonMap {
  const root: JsonMap = {};
  for (const p of paths) {
    let cur = root;
    for (const seg of p.split(SEP)) {
      const next = isMap(cur[seg]) ? cur[seg] : {};
      cur[seg] = next;
      cur = next;
    }
  }
  // A node that is owned itself and has children is marked with ".".
  const mark = (node: JsonMap, own: Set<string>, prefix: string[]): void => {
    for (const [k, v] of Object.entries(node)) {
      if (!isMap(v)) continue;
      const p = [...prefix, k];
      if (Object.keys(v).length > 0 && own.has(p.join(SEP))) v['.'] = {};
      mark(v, own, p);
    }
  };
  mark(root, new Set(paths), []);
  return root;
}

export function fromFieldsV1(f: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, prefix: string[]): void => {
    if (!isMap(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && prefix.length > 0) out.add(prefix.join(SEP));
    for (const k of keys) {
      if (k === '.') out.add(prefix.join(SEP));
      else walk(node[k], [...prefix, k]);
    }
  };
  walk(f, []);
  return out;
}

function navigateParent(obj: JsonMap, segs: string[]): { container: unknown; last: string } | undefined {
  let cur: unknown = obj;
  for (const seg of segs.slice(0, -1)) cur = step(cur, seg);
  if (cur === undefined) return undefined;
  return { container: cur, last: segs[segs.length - 1] ?? '' };
}

function step(cur: unknown, seg: string): unknown {
  if (seg.startsWith('f:')) return isMap(cur) ? cur[seg.slice(2)] : undefined;
  if (seg.startsWith('k:') && Array.isArray(cur)) {
    const key = JSON.parse(seg.slice(2)) as JsonMap;
    return cur.find((item) => isMap(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v)));
  }
  if (seg.startsWith('v:') && Array.isArray(cur)) {
    const v: unknown = JSON.parse(seg.slice(2));
    return cur.find((x) => deepEqual(x, v));
  }
  return undefined;
}

function valueAt(obj: JsonMap, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split(SEP)) cur = step(cur, seg);
  return cur;
}

function removeAt(obj: JsonMap, path: string): void {
  const segs = path.split(SEP);
  const parent = navigateParent(obj, segs);
  if (!parent) return;
  const { container, last } = parent;
  if (last.startsWith('f:') && isMap(container)) delete container[last.slice(2)];
  else if (Array.isArray(container)) {
    const target = step(container, last);
    const i = container.indexOf(target);
    if (i >= 0) container.splice(i, 1);
  }
}

/** Merges an applied configuration into the live object (maps deep, keyed lists by key). */
function mergeApplied(live: unknown, applied: unknown, t: TypeInfo, field: string): unknown {
  if (isMap(applied) && !isAtomicMap(t)) {
    const out: JsonMap = isMap(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      out[k] = mergeApplied(out[k], v, field === '' && k === 'metadata' ? { builtin: true } : childType(t, k), k);
    }
    return out;
  }
  if (Array.isArray(applied)) {
    const lk = listKind(t, field);
    if (lk.type === 'map' && Array.isArray(live)) {
      const out = [...live];
      for (const item of applied) {
        const key = itemKey(item, lk.keys);
        const i = out.findIndex((x) => itemKey(x, lk.keys) === key);
        if (i >= 0) out[i] = mergeApplied(out[i], item, itemType(t), '');
        else out.push(clone(item));
      }
      return out;
    }
    if (lk.type === 'set' && Array.isArray(live)) {
      const out = [...live];
      for (const v of applied) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v));
      return out;
    }
  }
  return clone(applied);
}

/** A key field of an associative-list item (`.../k:{"name":"a"}/f:name`) goes with its item, never alone. */
function isKeyField(path: string): boolean {
  const segs = path.split(SEP);
  const last = segs[segs.length - 1] ?? '';
  const parent = segs[segs.length - 2] ?? '';
  if (!last.startsWith('f:') || !parent.startsWith('k:')) return false;
  const key = JSON.parse(parent.slice(2)) as JsonMap;
  return Object.hasOwn(key, last.slice(2));
}

function entryKey(e: { manager: string; operation: string; subresource?: string }): string {
  return `${e.manager}${SEP}${e.operation}${SEP}${e.subresource ?? ''}`;
}

interface Owned {
  entry: ManagedFieldsEntry;
  paths: Set<string>;
}

function ownedSets(obj: KObject): Owned[] {
  return (obj.metadata.managedFields ?? []).map((entry) => ({ entry, paths: fromFieldsV1(entry.fieldsV1) }));
}

function writeManagedFields(obj: KObject, owned: Owned[], old: ManagedFieldsEntry[] | undefined): void {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const entries: ManagedFieldsEntry[] = [];
  for (const o of owned) {
    if (o.paths.size === 0) continue;
    const fieldsV1 = toFieldsV1(o.paths);
    const prev = old?.find((e) => entryKey(e) === entryKey(o.entry));
    const unchanged = prev !== undefined && deepEqual(prev.fieldsV1, fieldsV1) && prev.apiVersion === o.entry.apiVersion;
    const e: ManagedFieldsEntry = { ...o.entry, fieldsType: 'FieldsV1', fieldsV1, time: unchanged ? prev.time : now };
    entries.push(e);
  }
  if (entries.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

export interface ApplyArgs {
  live: KObject | undefined;
  applied: KObject;
  manager: string;
  apiVersion: string;
  force: boolean;
  subresource?: 'status';
  types: TypeInfo;
}

/** Returns the object after applying; throws a 409 Conflict Status listing the conflicts. */
export function serverSideApply(a: ApplyArgs): KObject {
  const scope = a.subresource === 'status' ? 'status' : 'main';
  const appliedPaths = leaves(a.applied, a.types, scope);
  const live = a.live ? clone(a.live) : undefined;
  const owned = live ? ownedSets(live) : [];
  const me: ManagedFieldsEntry = { manager: a.manager, operation: 'Apply', apiVersion: a.apiVersion, time: '', fieldsType: 'FieldsV1', fieldsV1: {} };
  if (a.subresource) me.subresource = a.subresource;
  let mine = owned.find((o) => entryKey(o.entry) === entryKey(me));
  if (!mine) {
    mine = { entry: me, paths: new Set() };
    owned.push(mine);
  }
  mine.entry = { ...mine.entry, apiVersion: a.apiVersion };
  if (live) {
    const conflicts: { manager: string; apiVersion: string; path: string }[] = [];
    for (const [p, v] of appliedPaths) {
      for (const o of owned) {
        if (o === mine || !o.paths.has(p)) continue;
        if (v !== undefined && !deepEqual(valueAt(live, p), v)) {
          if (a.force) o.paths.delete(p);
          else conflicts.push({ manager: o.entry.manager, apiVersion: o.entry.apiVersion, path: p });
        }
      }
    }
    if (conflicts.length) {
      const fmt = (p: string): string =>
        p
          .split(SEP)
          .map((s) => (s.startsWith('f:') ? `.${s.slice(2)}` : s.startsWith('k:') ? `[${s.slice(2).replace(/^\{|\}$/g, '').replace(/"([^"]+)":/g, '$1=')}]` : `[${s.slice(2)}]`))
          .join('');
      const lines = conflicts.map((c) => `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}: ${fmt(c.path)}`);
      const err = statusError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${lines.join('\n')}`, {
        causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}`, field: fmt(c.path) })),
      });
      throw err;
    }
  }
  // The main resource ignores applied status; /status ignores everything else.
  const body: JsonMap = scope === 'status' ? { status: a.applied.status } : { ...a.applied };
  if (scope === 'main') delete body.status;
  const merged = mergeApplied(live ?? { apiVersion: a.applied.apiVersion, kind: a.applied.kind, metadata: {} }, body, a.types, '') as KObject;
  // Fields this manager applied before and no longer applies are removed, unless another
  // manager owns them too (longest paths first so list items go after their fields).
  const dropped = [...mine.paths].filter((p) => !appliedPaths.has(p)).sort((x, y) => y.length - x.length);
  for (const p of dropped) {
    if (isKeyField(p)) continue;
    const sharedWithOthers = owned.some((o) => o !== mine && [...o.paths].some((q) => q === p || q.startsWith(p + SEP)));
    if (!sharedWithOthers) removeAt(merged, p);
  }
  mine.paths = new Set(appliedPaths.keys());
  writeManagedFields(merged, owned, live?.metadata.managedFields);
  return merged;
}

/** Records an Update by `manager`: it now owns every field it changed. */
export function trackUpdate(
  old: KObject | undefined,
  next: KObject,
  manager: string,
  apiVersion: string,
  types: TypeInfo,
  subresource?: 'status',
): void {
  const scope = subresource === 'status' ? 'status' : 'main';
  const before = old ? leaves(old, types, scope) : new Map<string, unknown>();
  const after = leaves(next, types, scope);
  const owned = old ? ownedSets(old) : [];
  const changed = [...after].filter(([p, v]) => !before.has(p) || !deepEqual(before.get(p), v)).map(([p]) => p);
  const removed = [...before.keys()].filter((p) => !after.has(p));
  if (changed.length === 0 && removed.length === 0) {
    if (old?.metadata.managedFields) next.metadata.managedFields = old.metadata.managedFields;
    return;
  }
  const me: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time: '', fieldsType: 'FieldsV1', fieldsV1: {} };
  if (subresource) me.subresource = subresource;
  let mine = owned.find((o) => entryKey(o.entry) === entryKey(me));
  if (!mine) {
    mine = { entry: me, paths: new Set() };
    owned.push(mine);
  }
  mine.entry = { ...mine.entry, apiVersion };
  for (const o of owned) {
    for (const p of removed) o.paths.delete(p);
    if (o === mine) continue;
    for (const p of changed) o.paths.delete(p);
  }
  for (const p of changed) mine.paths.add(p);
  writeManagedFields(next, owned, old?.metadata.managedFields);
}
