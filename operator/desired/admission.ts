// The per-job parallelism cap (docs/design.md, Manual runs and backfills): a backfill of a year creates 365 ReconRuns
// at once, and only a few of them may run at a time.
import { runJobName } from './names.ts';
import { byTimeThenName, millis } from './timestamps.ts';
import type { ReconRun } from './types.ts';

export const DEFAULT_MAX_PARALLEL_RUNS = 2;

const created = (run: ReconRun): number | undefined => millis(run.metadata.creationTimestamp);

const isFinished = (run: ReconRun): boolean => run.status?.phase === 'Succeeded' || run.status?.phase === 'Failed';

/**
 * The Pending runs of one ReconJob whose Job may be created now, oldest first
 * (creationTimestamp, then name). A run has a Job when its status names one or, since
 * status is written after the Job is created, when `existingJobs` (the Job names in the
 * informer cache) holds its Job's name; such runs count against the cap whatever their
 * phase says. Scheduled runs count too while their CronJob-created Job exists.
 */
export function runsToStart(
  runs: readonly ReconRun[],
  maxParallelRuns: number = DEFAULT_MAX_PARALLEL_RUNS,
  existingJobs: ReadonlySet<string> = new Set(),
): ReconRun[] {
  const live = runs.filter((r) => r.metadata.deletionTimestamp === undefined && !isFinished(r));
  // A Scheduled run is named after the CronJob-created Job it mirrors; it holds a slot only
  // while that Job exists, so a ReconRun a user makes with trigger Scheduled (no Job ever
  // comes) blocks nothing.
  const hasJob = (r: ReconRun): boolean =>
    r.spec.trigger === 'Scheduled' ? existingJobs.has(r.metadata.name) : Boolean(r.status?.jobName) || existingJobs.has(runJobName(r.metadata.name));
  const active = live.filter((r) => hasJob(r) || r.status?.phase === 'Running').length;
  // Never below 1 (the schema minimum): a cap of 0 would strand every run in Pending.
  const slots = Math.max(Math.max(1, Math.floor(maxParallelRuns)) - active, 0);
  return live
    .filter((r) => r.spec.trigger !== 'Scheduled' && !hasJob(r) && (r.status?.phase ?? 'Pending') === 'Pending')
    .sort(byTimeThenName(created))
    .slice(0, slots);
}
