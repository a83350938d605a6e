// Skipping a server-side apply that would change nothing (npm run bench:operator: a
// restarted operator otherwise sends one apply per ReconJob, 1,000 round trips for
// nothing). Two checks, both needed:
//   - the desired object carries a hash of itself in an annotation; the cached object
//     having the same hash means the last apply was of exactly this object, so no field
//     the operator has dropped since is still owned by it (an apply would remove it);
//   - the cached object contains every desired field with the same value, so nobody has
//     changed a field the operator owns since (an apply would take it back).
// Any doubt (a value the server normalised, a missing cache entry) means apply, which is
// always correct; skipping is only ever an optimisation.
import { createHash } from 'node:crypto';

export const APPLIED_HASH_ANNOTATION = 'raas.dev/applied-hash';

// Any object metadata (V1ObjectMeta and plain objects alike); only the annotations are read.
type Meta = { name?: string; annotations?: Record<string, string> };

/** JSON with sorted keys and undefined left out, so equal objects hash equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The desired object with the hash of its own content in APPLIED_HASH_ANNOTATION. */
export function withAppliedHash<T extends { metadata?: Meta }>(desired: T): T & { metadata: { annotations: Record<string, string> } } {
  const hash = createHash('sha256').update(canonical(desired)).digest('hex').slice(0, 32);
  return { ...desired, metadata: { ...desired.metadata, annotations: { ...desired.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

/**
 * Whether every field of `desired` is in `actual` with the same value (arrays element by
 * element, same length; extra fields in `actual`, such as server defaults, are fine).
 */
export function contains(actual: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length && desired.every((d, i) => contains(actual[i], d));
  }
  if (desired && typeof desired === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual) || actual instanceof Date) return false;
    return Object.entries(desired as Record<string, unknown>).every(([k, d]) => contains((actual as Record<string, unknown>)[k], d));
  }
  return actual === desired;
}

/** The first path where `actual` does not contain `desired` (for a debug log), or undefined. */
export function firstDifference(actual: unknown, desired: unknown, path = ''): string | undefined {
  if (contains(actual, desired)) return undefined;
  if (desired && typeof desired === 'object' && actual && typeof actual === 'object' && Array.isArray(desired) === Array.isArray(actual)) {
    if (Array.isArray(desired) && (actual as unknown[]).length !== desired.length) return `${path} (length)`;
    for (const [k, d] of Object.entries(desired as Record<string, unknown>)) {
      const diff = firstDifference((actual as Record<string, unknown>)[k], d, `${path}.${k}`);
      if (diff) return diff;
    }
  }
  return path || '.';
}

/** True when applying `desired` (from withAppliedHash) over `cached` would change nothing. */
export function applyIsNoop(cached: { metadata?: Meta } | undefined, desired: { metadata?: Meta }): boolean {
  const hash = desired.metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  return !!cached && !!hash && cached.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === hash && contains(cached, content(desired));
}

/**
 * The fields an apply would set, without apiVersion and kind: the cache is of one kind
 * already, and the items of a list response do not carry them.
 */
export function content<T extends object>(desired: T): Omit<T, 'apiVersion' | 'kind'> {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = desired as T & { apiVersion?: unknown; kind?: unknown };
  return rest;
}
