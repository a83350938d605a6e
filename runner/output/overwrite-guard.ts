// A run never replaces results it does not own. A location's summary.json is its commit
// marker; before a run publishes, the marker already there is read (a read error refuses
// the run before this is called: output/commit.ts), and a marker written for another
// namespace, another job or another window refuses the publish. The same job's same window
// may be replaced: that is what a rerun is. Pure: the schemes read the text, this decides.
import type { ReconWindow } from '../window/window.ts';

export class OverwriteRefused extends Error {
  override readonly name = 'OverwriteRefused';
}

const sameInstant = (a: unknown, b: string): boolean => typeof a === 'string' && Date.parse(a) === Date.parse(b) && !Number.isNaN(Date.parse(b));

/** Who is publishing: the job's name and namespace (absent for a manifest without one). */
export interface Publisher {
  job: string;
  namespace?: string | undefined;
}

/** The check publish runs with the existing summary.json text (undefined = none there). */
export function overwriteGuard(window: Pick<ReconWindow, 'start' | 'end'>, targetUri: string, owner: Publisher): (existing: string | undefined) => void {
  return (existing) => {
    if (existing === undefined) return;
    let committed: { job?: unknown; namespace?: unknown; window?: { start?: unknown; end?: unknown } } | undefined;
    try {
      committed = JSON.parse(existing) as typeof committed;
    } catch {
      committed = undefined;
    }
    const w = committed?.window;
    if (!w || typeof w !== 'object') {
      throw new OverwriteRefused(`${targetUri} holds a summary.json that raas did not write (no window in it); publish to another location`);
    }
    const theirs = { job: committed?.job, namespace: committed?.namespace ?? '' };
    if (theirs.job !== owner.job || theirs.namespace !== (owner.namespace ?? '')) {
      const who = (o: { job: unknown; namespace: unknown }) => `job ${JSON.stringify(o.job)}${o.namespace ? ` in namespace ${JSON.stringify(o.namespace)}` : ' (no namespace)'}`;
      throw new OverwriteRefused(
        `${targetUri} holds the committed results of ${who(theirs)}; this run of ${who({ job: owner.job, namespace: owner.namespace ?? '' })} does not replace another job's results. ` +
          `Put {{ job.namespace }}/{{ job.name }} in the output location`,
      );
    }
    if (sameInstant(w.start, window.start) && sameInstant(w.end, window.end)) return;
    throw new OverwriteRefused(
      `${targetUri} already holds the committed results of window ${String(w.start)} .. ${String(w.end)}; this run (${window.start} .. ${window.end}) would replace them. ` +
        `Put {{ window.endDate }} or {{ run.name }} in the output location, or publish this run elsewhere with --out`,
    );
  };
}

/**
 * The default output folder: one period of whole days is `<startDate>`; any other window
 * `<start>_<end>` (dates when both are at midnight, else compact instants), so two
 * different windows never share a folder.
 */
export function defaultOutputFolder(window: ReconWindow): string {
  const midnight = (iso: string) => /T00:00:00(\.0+)?(Z|[+-]\d{2}:\d{2})$/.test(iso);
  const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  if (midnight(window.start) && midnight(window.end)) {
    return window.endDate === nextDay(window.startDate) ? window.startDate : `${window.startDate}_${window.endDate}`;
  }
  // 2024-01-01T12:00:00-05:00 -> 20240101T120000m0500 (p/m for the offset's sign: no ':' or '+' in paths).
  const compact = (iso: string) => {
    const m = /^(.*?)(Z|([+-])(\d{2}):(\d{2}))$/.exec(iso.replace(/\.\d+/, ''));
    const local = (m?.[1] ?? iso).replace(/[-:]/g, '');
    const zone = !m || m[2] === 'Z' ? 'Z' : `${m[3] === '+' ? 'p' : 'm'}${m[4]}${m[5]}`;
    return `${local}${zone}`;
  };
  return `${compact(window.start)}_${compact(window.end)}`;
}
