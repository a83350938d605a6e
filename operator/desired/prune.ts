// History (docs/design.md, History): finished ReconRuns beyond the job's limits are deleted, oldest
// first. Result files stay; object-store lifecycle rules own them.
import { DEFAULT_FAILED_RUNS, DEFAULT_SUCCESSFUL_RUNS } from './desired-cronjob.ts';
import { byTimeThenName, millis } from './timestamps.ts';
import type { ReconRun } from './types.ts';

export interface HistoryLimits {
  successfulRuns?: number;
  failedRuns?: number;
}

const finishedAt = (run: ReconRun): number | undefined =>
  millis(run.status?.completionTime) ?? millis(run.metadata.creationTimestamp);

/**
 * Names of the runs of one ReconJob to delete, oldest first. Only Succeeded and Failed
 * runs are candidates: a Pending or Running run is work in progress whatever its age.
 * Runs already being deleted neither count towards the limits nor are returned again.
 */
export function runsToPrune(runs: readonly ReconRun[], history: HistoryLimits = {}): string[] {
  const live = runs.filter((r) => r.metadata.deletionTimestamp === undefined);
  const excess = (phase: 'Succeeded' | 'Failed', keep: number): ReconRun[] => {
    const newestFirst = live.filter((r) => r.status?.phase === phase).sort(byTimeThenName(finishedAt)).reverse();
    return newestFirst.slice(Math.max(keep, 0));
  };
  return [
    ...excess('Succeeded', history.successfulRuns ?? DEFAULT_SUCCESSFUL_RUNS),
    ...excess('Failed', history.failedRuns ?? DEFAULT_FAILED_RUNS),
  ]
    .sort(byTimeThenName(finishedAt))
    .map((r) => r.metadata.name);
}
