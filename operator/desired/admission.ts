// The per-job parallelism cap (docs/design.md, Manual runs and backfills): a backfill of a year creates 365 ReconRuns
// at once, and only a few of them may run at a time.
import { runJobName } from './names.ts';
import { byTimeThenName, millis } from './timestamps.ts';
import type { ReconRun } from './types.ts';

export const DEFAULT_MAX_PARALLEL_RUNS = 2;

const created = (run: ReconRun): number | undefined => millis(run.metadata.creationTimestamp);

const isFinished = (run: ReconRun): boolean => run.status?.phase === 'Succeeded' || run.status?.phase === 'Failed';

/**
 * On a run made by `rerun --cascade`: the name of the run of the window before it in the
 * same cascade. The run starts only after that one Succeeded (it reads what that one
 * commits); if that one failed, it never starts (broken cascades, below).
 */
export const CASCADE_AFTER_ANNOTATION = 'raas.dev/cascade-after';

const cascadePredecessor = (run: ReconRun, byName: ReadonlyMap<string, ReconRun>): ReconRun | undefined => {
  const after = run.metadata.annotations?.[CASCADE_AFTER_ANNOTATION];
  return after === undefined ? undefined : byName.get(after);
};

const NOT_RUN = 'not run:';

const isWaiting = (r: ReconRun): boolean => r.spec.trigger !== 'Scheduled' && (r.status?.phase ?? 'Pending') === 'Pending' && !r.status?.jobName;

/**
 * Waiting runs of a cascade whose predecessor failed, directly or further up the chain,
 * with the line their status shows: they must never run, since they would read the state
 * the failed rerun did not replace. A predecessor that is gone (deleted, or pruned after
 * it finished) blocks nothing.
 */
export function brokenCascades(runs: readonly ReconRun[]): { run: ReconRun; message: string }[] {
  const byName = new Map(runs.filter((r) => r.metadata.deletionTimestamp === undefined).map((r) => [r.metadata.name, r]));
  // Walks up the chain: through runs still waiting, and through runs this function failed
  // earlier (their message starts "not run:"), to the run that really failed, if any.
  const failedBefore = (run: ReconRun): ReconRun | undefined => {
    const seen = new Set([run.metadata.name]);
    let found: ReconRun | undefined;
    for (let before = cascadePredecessor(run, byName); before && !seen.has(before.metadata.name); before = cascadePredecessor(before, byName)) {
      seen.add(before.metadata.name);
      if (before.status?.phase === 'Failed') {
        found = before;
        if (!before.status.message?.startsWith(NOT_RUN)) break;
      } else if (!isWaiting(before)) break;
    }
    return found;
  };
  const broken: { run: ReconRun; message: string }[] = [];
  for (const run of runs) {
    if (run.metadata.deletionTimestamp !== undefined || !isWaiting(run)) continue;
    const failed = failedBefore(run);
    if (!failed) continue;
    broken.push({
      run,
      message: `${NOT_RUN} the cascade stopped at reconrun/${failed.metadata.name} (window ${failed.spec.window.start}), which failed; once that is fixed, rerun from its window with --cascade`,
    });
  }
  return broken;
}

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
  opts: { inWindowOrder?: boolean } = {},
): ReconRun[] {
  const live = runs.filter((r) => r.metadata.deletionTimestamp === undefined && !isFinished(r));
  // A Scheduled run is named after the CronJob-created Job it mirrors; it holds a slot only
  // while that Job exists, so a ReconRun a user makes with trigger Scheduled (no Job ever
  // comes) blocks nothing.
  const hasJob = (r: ReconRun): boolean =>
    r.spec.trigger === 'Scheduled' ? existingJobs.has(r.metadata.name) : Boolean(r.status?.jobName) || existingJobs.has(runJobName(r.metadata.name));
  const active = live.filter((r) => hasJob(r) || r.status?.phase === 'Running').length;
  const byName = new Map(runs.map((r) => [r.metadata.name, r]));
  // A run of a cascade waits until the run before it in the cascade has Succeeded.
  const cascadeReady = (r: ReconRun): boolean => {
    const before = cascadePredecessor(r, byName);
    return before === undefined || before.status?.phase === 'Succeeded';
  };
  const waiting = live.filter((r) => r.spec.trigger !== 'Scheduled' && !hasJob(r) && (r.status?.phase ?? 'Pending') === 'Pending' && cascadeReady(r));
  if (opts.inWindowOrder) {
    // Carry-forward: each window reads the previous window's committed open items, so runs
    // go one at a time, earliest window first; a later window never starts while any run of
    // the job is under way (it might be the earlier window it depends on).
    if (active > 0) return [];
    const first = [...waiting].sort(byWindowThenCreation)[0];
    return first ? [first] : [];
  }
  // Never below 1 (the schema minimum): a cap of 0 would strand every run in Pending.
  const slots = Math.max(Math.max(1, Math.floor(maxParallelRuns)) - active, 0);
  return waiting.sort(byTimeThenName(created)).slice(0, slots);
}

/** Earliest window start first (as instants, whatever their offsets); then creation time, then name. */
function byWindowThenCreation(a: ReconRun, b: ReconRun): number {
  const at = (r: ReconRun) => {
    const t = Date.parse(r.spec.window.start);
    return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
  };
  if (at(a) !== at(b)) return at(a) < at(b) ? -1 : 1;
  return byTimeThenName(created)(a, b);
}
