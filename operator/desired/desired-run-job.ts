// The Job the operator creates for a manual or backfill ReconRun (docs/design.md, Manual runs and backfills). It is
// owned by the ReconRun, so pruning a ReconRun deletes its Job and pod with it; that is
// why it has no ttlSecondsAfterFinished.
import { DEFAULT_ACTIVE_DEADLINE_SECONDS } from './desired-cronjob.ts';
import type { V1Job } from './k8s-types.ts';
import { childAnnotations, childLabels, controllerRef } from './meta.ts';
import { runJobName } from './names.ts';
import { explicitRunEnv, podSpecForRun, type RunnerOptions } from './pod-spec.ts';
import type { ReconRun, StoredReconJob } from './types.ts';

export type StoredReconRun = ReconRun & { metadata: { uid: string } };

export function desiredRunJob(run: StoredReconRun, job: StoredReconJob, opts: RunnerOptions): V1Job {
  if (run.spec.jobRef.name !== job.metadata.name) {
    // A caller bug, not a user error: the labels and the manifest would belong to another job.
    throw new Error(`ReconRun ${run.metadata.name} refers to ReconJob ${run.spec.jobRef.name}, not ${job.metadata.name}`);
  }
  const labels = childLabels(job.metadata.name, run.metadata.name);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: runJobName(run.metadata.name),
      namespace: run.metadata.namespace ?? job.metadata.namespace,
      labels,
      ...childAnnotations(opts),
      ownerReferences: [controllerRef('ReconRun', run.metadata.name, run.metadata.uid)],
    },
    spec: {
      // A retry would run the whole recon again and notify twice; re-running is an
      // explicit new ReconRun.
      backoffLimit: 0,
      activeDeadlineSeconds: job.spec.runner?.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS,
      template: {
        metadata: { labels: { ...labels } },
        spec: podSpecForRun(job, opts, explicitRunEnv(run.metadata.name, run.spec.window), { name: run.metadata.name, uid: run.metadata.uid }),
      },
    },
  };
}
