// Which Job and pod may speak for a ReconRun. A run's status is copied from its Job's pod
// (the termination message), so it is taken only from objects the run's own chain controls,
// by uid with controller=true: a Job that merely has the right name or labels may have
// been made by anyone who can create Jobs in the namespace. Pure.
import type { V1ObjectMeta } from './k8s-types.ts';

type Owned = { metadata?: Pick<V1ObjectMeta, 'ownerReferences' | 'uid' | 'name' | 'deletionTimestamp'> | undefined };

/** The uid of the object's controller (the owner reference with controller=true), if any. */
export function controllerUid(o: Owned | undefined): string | undefined {
  return o?.metadata?.ownerReferences?.find((r) => r.controller === true)?.uid;
}

/** True when `owner` (by uid) is the controller of `o`. */
export function controlledBy(o: Owned | undefined, owner: Owned | undefined): boolean {
  const uid = owner?.metadata?.uid;
  return !!uid && controllerUid(o) === uid;
}

export type JobVerdict = { kind: 'none' } | { kind: 'owned' } | { kind: 'wait'; why: string } | { kind: 'foreign'; message: string };

/**
 * Whether `job` is the run's own. A manual or backfill run's Job is controlled by the run;
 * a scheduled run's Job by the CronJob of the run's ReconJob. A foreign Job that is being
 * deleted (a run of the same name deleted and created again) is waited out; any other
 * foreign Job fails the run: its outcome is not this run's, and the run's name is taken.
 */
export function judgeRunJob(job: Owned | undefined, expectedOwner: Owned | undefined, ownerDescription: string, jobName: string, namespace: string): JobVerdict {
  if (!job) return { kind: 'none' };
  if (controlledBy(job, expectedOwner)) return { kind: 'owned' };
  if (job.metadata?.deletionTimestamp) return { kind: 'wait', why: `Job ${jobName} of an earlier run of the same name is being deleted` };
  if (!expectedOwner?.metadata?.uid) return { kind: 'wait', why: `waiting for ${ownerDescription}` };
  return {
    kind: 'foreign',
    message:
      `a Job named ${jobName} already exists in namespace ${namespace} and its controller is not ${ownerDescription}; raas takes a run's result only from the Job it made, ` +
      `so this run is not started. Delete that Job or create the run under another name`,
  };
}

/** The pods of `job` that `job` controls (a pod with the job-name label alone does not count). */
export function ownedPods<P extends Owned>(pods: readonly P[], job: Owned): P[] {
  return pods.filter((p) => controlledBy(p, job));
}
