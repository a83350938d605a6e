// Which state a carry-forward run starts from (docs/user-guide/breaks.md): the previous
// window's committed results, nothing for a job's first window, and a refusal for a gap.
// Pure: the shell renders locations and reads what is committed; this decides.
import { periodContaining, type PeriodOptions, type ReconWindow } from '../window/window.ts';
import { FIRST_WINDOW_LOOKBACK } from './columns.ts';

export class CarryError extends Error {
  override readonly name = 'CarryError';
}

const sameInstant = (a: string, b: string): boolean => Date.parse(a) === Date.parse(b);

/** The job's periods (spec.schedule), with the defaults the scheduler uses. */
export function periodOptions(schedule: { period?: PeriodOptions['period']; timeZone?: string; weekStartsOn?: PeriodOptions['weekStartsOn']; anchorDay?: number } | undefined): PeriodOptions {
  return {
    period: schedule?.period ?? 'Daily',
    timeZone: schedule?.timeZone ?? 'UTC',
    ...(schedule?.weekStartsOn ? { weekStartsOn: schedule.weekStartsOn } : {}),
    ...(schedule?.anchorDay ? { anchorDay: schedule.anchorDay } : {}),
  };
}

/** Refuses a window that is not exactly one of the job's periods: "the previous window" would mean nothing. */
export function assertOnePeriod(window: ReconWindow, opts: PeriodOptions): void {
  const p = periodContaining(new Date(window.start), opts);
  if (!sameInstant(p.start, window.start) || !sameInstant(p.end, window.end)) {
    throw new CarryError(
      `the window ${window.start} .. ${window.end} is not one ${opts.period} period in ${opts.timeZone} (that would be ${p.start} .. ${p.end}); ` +
        'a carry-forward job runs whole periods, one after another: use --date, or a window of exactly one period',
    );
  }
}

/** The `count` periods before `window`, nearest first. */
export function earlierWindows(window: ReconWindow, opts: PeriodOptions, count: number): ReconWindow[] {
  const out: ReconWindow[] = [];
  let start = window.start;
  for (let i = 0; i < count; i++) {
    const prev = periodContaining(new Date(Date.parse(start) - 1), opts);
    out.push(prev);
    start = prev.start;
  }
  return out;
}

/** What is committed at a window's location: nothing, that window's results, or another window's. */
export type Committed = { kind: 'none' } | { kind: 'this' } | { kind: 'other'; window: { start: string; end: string } };

/** Reads summary.json text (undefined = not there) as what it commits, for the window expected there. */
export function committedAt(summaryText: string | undefined, expected: Pick<ReconWindow, 'start' | 'end'>): Committed {
  if (summaryText === undefined) return { kind: 'none' };
  let w: { start?: unknown; end?: unknown } | undefined;
  try {
    w = (JSON.parse(summaryText) as { window?: { start?: unknown; end?: unknown } }).window;
  } catch {
    w = undefined;
  }
  if (!w || typeof w.start !== 'string' || typeof w.end !== 'string') return { kind: 'other', window: { start: '?', end: '?' } };
  return sameInstant(w.start, expected.start) && sameInstant(w.end, expected.end) ? { kind: 'this' } : { kind: 'other', window: { start: w.start, end: w.end } };
}

export type CarryStart = { kind: 'previous'; window: ReconWindow } | { kind: 'first' };

/**
 * Where this run's state comes from, given what is committed at the previous window's
 * location and (only asked when that is nothing) at the windows before it, nearest first.
 */
export function carryStart(
  previous: { window: ReconWindow; uri: string; committed: Committed },
  earlier: () => Array<{ window: ReconWindow; committed: Committed }>,
): CarryStart {
  const { window, uri, committed } = previous;
  if (committed.kind === 'this') return { kind: 'previous', window };
  if (committed.kind === 'other') {
    throw new CarryError(
      `the previous window ${window.start} .. ${window.end} should be committed at ${uri}, but the summary.json there is of window ${committed.window.start} .. ${committed.window.end}; ` +
        'each window needs a location of its own: put {{ window.startDate }} in spec.output.uri',
    );
  }
  const found = earlier().find((e) => e.committed.kind !== 'none');
  if (!found) return { kind: 'first' };
  throw new CarryError(
    `the previous window ${window.startDate} (${window.start} .. ${window.end}) has no committed results at ${uri}, but ${found.window.startDate} has; ` +
      `run ${window.startDate} first (its open items are this window's starting point)`,
  );
}

export { FIRST_WINDOW_LOOKBACK };
