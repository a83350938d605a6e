// The three classic PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
// strategic merge patch (merge patch plus merge keys for the built-in list fields kubectl
// patches by key, and the `$patch`/`$setElementOrder` directives kubectl apply sends).
import { clone, deepEqual, isMap, statusError, type JsonMap } from './types.ts';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return clone(patch);
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw jsonPatchError(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p.slice(1).split('/').map(unescapePointer);
}

function jsonPatchError(message: string): Error {
  // The real server answers a patch that cannot be applied with 422 (for a failed test or
  // a missing path) and 400 for a malformed document; 422 covers the cases tests provoke.
  return statusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

function getAt(doc: unknown, path: string[]): unknown {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isMap(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: unknown, path: string[]): { parent: unknown; key: string } {
  if (path.length === 0) throw jsonPatchError('cannot operate on the document root');
  const parent = getAt(doc, path.slice(0, -1));
  if (!isMap(parent) && !Array.isArray(parent)) {
    throw jsonPatchError(`doc is missing path: /${path.join('/')}`);
  }
  return { parent, key: path[path.length - 1] ?? '' };
}

function indexIn(arr: unknown[], key: string, forInsert: boolean): number {
  if (key === '-' && forInsert) return arr.length;
  const i = Number(key);
  if (!Number.isInteger(i) || i < 0 || i > arr.length || (!forInsert && i === arr.length)) {
    throw jsonPatchError(`index out of bounds: ${key}`);
  }
  return i;
}

function addAt(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(indexIn(parent, key, true), 0, clone(value));
  else if (isMap(parent)) parent[key] = clone(value);
  return doc;
}

function removeAt(doc: unknown, path: string[]): unknown {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = indexIn(parent, key, false);
    return parent.splice(i, 1)[0];
  }
  if (isMap(parent)) {
    if (!Object.hasOwn(parent, key)) throw jsonPatchError(`unable to remove nonexistent key: ${key}: missing value`);
    const v = parent[key];
    delete parent[key];
    return v;
  }
  return undefined;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw statusError(400, 'BadRequest', 'json patch must be a JSON array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isMap(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw statusError(400, 'BadRequest', `invalid JSON patch operation: ${JSON.stringify(raw)}`);
    }
    const path = parsePointer(raw.path);
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, path, raw.value);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'replace':
        if (getAt(doc, path) === undefined) throw jsonPatchError(`replace operation does not apply: doc is missing key: ${raw.path}`);
        if (path.length === 0) doc = clone(raw.value);
        else {
          removeAt(doc, path);
          doc = addAt(doc, path, raw.value);
        }
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw jsonPatchError(`${raw.op} needs "from"`);
        const from = parsePointer(raw.from);
        const v = raw.op === 'move' ? removeAt(doc, from) : clone(getAt(doc, from));
        if (v === undefined) throw jsonPatchError(`missing value at ${raw.from}`);
        doc = addAt(doc, path, v);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, path), raw.value)) throw jsonPatchError(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw statusError(400, 'BadRequest', `unexpected JSON patch op "${raw.op}"`);
    }
  }
  return doc;
}

/**
 * Merge keys of the built-in list fields, by field name. The real server reads them from
 * the Go types (`patchMergeKey`); a field name is specific enough for the kinds served here.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  secrets: 'name',
};
/** Primitive lists the real types merge as sets (`patchStrategy:"merge"`). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

export function strategicMergeKey(field: string): string | undefined {
  return MERGE_KEYS[field];
}

function strategicList(field: string, target: unknown, patch: unknown[], order: unknown[] | undefined): unknown[] {
  const key = MERGE_KEYS[field];
  const live = Array.isArray(target) ? [...target] : [];
  if (key === undefined) {
    if (MERGED_PRIMITIVE_LISTS.has(field)) {
      const out = [...live];
      for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v));
      return out;
    }
    if (patch.some((p) => isMap(p) && p.$patch === 'replace')) {
      return patch.filter((p) => !(isMap(p) && p.$patch === 'replace')).map(clone);
    }
    return patch.map(clone);
  }
  if (patch.some((p) => isMap(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isMap(p) && p.$patch === 'replace')).map(clone);
  }
  let out = live;
  for (const item of patch) {
    if (!isMap(item)) continue;
    const idx = out.findIndex((x) => isMap(x) && deepEqual(x[key], item[key]));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item);
    else out.push(strategicMerge(undefined, item));
  }
  if (order) {
    // $setElementOrder lists every item's key in the order the client wants.
    const rank = (x: unknown): number => {
      const i = order.findIndex((o) => isMap(o) && isMap(x) && deepEqual(o[key], x[key]));
      return i < 0 ? order.length : i;
    };
    out = [...out].sort((a, b) => rank(a) - rank(b));
  }
  return out;
}

export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const order = patch[`$setElementOrder/${k}`];
      out[k] = strategicList(k, out[k], v, Array.isArray(order) ? order : undefined);
      continue;
    }
    const merged = strategicMerge(out[k], v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}
