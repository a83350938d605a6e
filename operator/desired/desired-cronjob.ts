// The CronJob that runs a scheduled ReconJob (docs/design.md, Schedule), as a complete object for
// server-side apply: every field the operator owns is set here, so a field dropped from
// this function is removed from the cluster on the next apply.
import type { V1CronJob } from './k8s-types.ts';
import { childAnnotations, childLabels, controllerRef } from './meta.ts';
import { cronJobName } from './names.ts';
import { podSpecForRun, scheduledRunEnv, type RunnerOptions } from './pod-spec.ts';
import type { StoredReconJob } from './types.ts';

export const DEFAULT_TIME_ZONE = 'UTC';
export const DEFAULT_CONCURRENCY_POLICY = 'Forbid';
export const DEFAULT_STARTING_DEADLINE_SECONDS = 3600;
export const DEFAULT_ACTIVE_DEADLINE_SECONDS = 21600;
export const DEFAULT_SUCCESSFUL_RUNS = 30;
export const DEFAULT_FAILED_RUNS = 10;
/**
 * ReconRuns are the history users read, and they outlive their Jobs; finished Jobs only
 * have to live until the operator has copied the pod's termination message into the
 * ReconRun, which takes seconds. Keeping a few is enough for `kubectl logs` on a recent
 * failure without piling up pods.
 */
export const MAX_JOB_HISTORY = 3;

/**
 * At least one finished Job is kept even when the job keeps no ReconRuns: with a limit
 * of 0 the CronJob controller deletes a Job (and its pod) as soon as it finishes, which
 * can be before the operator has read the result it must report and notify.
 */
export function jobHistoryLimit(runsKept: number): number {
  return Math.min(Math.max(runsKept, 1), MAX_JOB_HISTORY);
}

/**
 * While a ReconJob is not Ready (its spec is invalid or refused by the runner policy) its
 * CronJob still holds the last spec that was valid, which nobody can see any more; it must
 * not fire that. The merge patch that suspends it, or undefined when there is no CronJob or
 * it is suspended already. Only `suspend` changes: the template is not rebuilt from a spec
 * that did not validate. A later apply of desiredCronJob gives `suspend` back to the
 * user's schedule.suspend.
 */
export function suspendWhileNotReady(existing: Pick<V1CronJob, 'spec'> | undefined): { spec: { suspend: true } } | undefined {
  if (!existing || existing.spec?.suspend === true) return undefined;
  return { spec: { suspend: true } };
}

export function desiredCronJob(job: StoredReconJob, opts: RunnerOptions): V1CronJob | undefined {
  const schedule = job.spec.schedule;
  if (!schedule) return undefined;
  const labels = childLabels(job.metadata.name);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: cronJobName(job.metadata.name),
      namespace: job.metadata.namespace,
      labels,
      ...childAnnotations(opts),
      ownerReferences: [controllerRef('ReconJob', job.metadata.name, job.metadata.uid)],
    },
    spec: {
      schedule: schedule.cron,
      timeZone: schedule.timeZone ?? DEFAULT_TIME_ZONE,
      suspend: schedule.suspend ?? false,
      concurrencyPolicy: schedule.concurrencyPolicy ?? DEFAULT_CONCURRENCY_POLICY,
      startingDeadlineSeconds: schedule.startingDeadlineSeconds ?? DEFAULT_STARTING_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: jobHistoryLimit(job.spec.history?.successfulRuns ?? DEFAULT_SUCCESSFUL_RUNS),
      failedJobsHistoryLimit: jobHistoryLimit(job.spec.history?.failedRuns ?? DEFAULT_FAILED_RUNS),
      jobTemplate: {
        metadata: { labels: { ...labels }, ...childAnnotations(opts) },
        spec: {
          // A retry would run the whole recon again and notify twice; a failed run is
          // reported once, and re-running it is creating a new ReconRun (docs/design.md, Manual runs and backfills).
          backoffLimit: 0,
          activeDeadlineSeconds: job.spec.runner?.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS,
          // No ttlSecondsAfterFinished: the history limits above prune these Jobs, and a
          // TTL could delete one before the operator has read its pod.
          template: {
            metadata: { labels: { ...labels } },
            spec: podSpecForRun(job, opts, scheduledRunEnv()),
          },
        },
      },
    },
  };
}
