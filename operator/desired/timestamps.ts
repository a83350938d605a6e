// Ordering of runs by their times; timestamps arrive as Date (client) or RFC 3339 text (raw JSON).
import type { Timestamp } from './k8s-types.ts';
import type { ReconRun } from './types.ts';

/** Milliseconds since the epoch, or undefined for a missing or unreadable time. */
export function millis(t: Timestamp | undefined): number | undefined {
  if (t === undefined) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Oldest first by the given time, then by name so equal times (second resolution) still
 * give one order. A run without a readable time sorts last: treating it as the oldest
 * would make it the first to be deleted.
 */
export function byTimeThenName(timeOf: (run: ReconRun) => number | undefined) {
  return (a: ReconRun, b: ReconRun): number => {
    const ta = timeOf(a) ?? Number.POSITIVE_INFINITY;
    const tb = timeOf(b) ?? Number.POSITIVE_INFINITY;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  };
}
