// Which windows a rerun recomputes. A carry-forward job's window reads the open items the
// window before it committed, so every later committed window was computed from the old
// run of the window being rerun: a rerun recomputes them too only when asked (cascade),
// and otherwise says which ones keep the old state. Pure: the caller lists the job's runs.
import { periodOptions } from '../../runner/cli/choose-window.ts';
import type { ReconJob } from '../../runner/spec/schema.ts';
import { periodContaining, type ReconWindow } from '../../runner/window/window.ts';
import { backfillWindows } from '../desired/schedule.ts';

/** What the plan reads of each existing run of the job. */
export interface RunOfJob {
  window: { start: string; end: string };
  phase?: string | undefined;
}

export interface RerunPlan {
  /** The windows to run again, earliest first: the chosen one, then (cascade) each later one. */
  windows: ReconWindow[];
  /** Later windows with committed results that this rerun leaves as they are (no cascade). */
  keptLater: ReconWindow[];
}

export class RerunPlanError extends Error {}

/**
 * The rerun of the period containing `date`. The later windows are every period after it
 * up to the latest one with a Succeeded run: carry-forward windows are contiguous (a gap
 * fails the run), so the periods between are committed too, even when history limits have
 * pruned their ReconRuns.
 */
export function planRerun(job: ReconJob, runs: readonly RunOfJob[], date: string, cascade: boolean): RerunPlan {
  const [first] = backfillWindows(job, date, date);
  if (!first) throw new RerunPlanError(`no period contains ${date}`);
  const carries = job.spec.carryForward !== undefined;
  if (cascade && !carries) {
    throw new RerunPlanError(
      `--cascade reruns the windows after ${date} because each reads the open items of the one before; ReconJob ${job.metadata.name} has no spec.carryForward, so its windows do not depend on each other: rerun without --cascade`,
    );
  }
  if (!carries) return { windows: [first], keptLater: [] };
  const firstMs = Date.parse(first.start);
  const laterCommitted = runs
    .filter((r) => r.phase === 'Succeeded')
    .map((r) => Date.parse(r.window.start))
    .filter((ms) => !Number.isNaN(ms) && ms > firstMs);
  if (laterCommitted.length === 0) return { windows: [first], keptLater: [] };
  const latest = periodContaining(new Date(Math.max(...laterCommitted)), periodOptions(job.spec));
  const range = backfillWindows(job, first.startDate, latest.startDate);
  return cascade ? { windows: range, keptLater: [] } : { windows: [first], keptLater: range.slice(1) };
}
