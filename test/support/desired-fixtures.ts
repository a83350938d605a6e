// Fixtures for the table tests of operator/desired/ (test code: never shipped).
import type { ReconJobSpec } from '../../runner/spec/schema.ts';
import type { ReconRun, RunPhase, StoredReconJob } from '../../operator/desired/types.ts';

export function reconJob(spec: Partial<ReconJobSpec> = {}, name = 'orders-vs-settlements'): StoredReconJob {
  return {
    apiVersion: 'raas.dev/v1alpha1',
    kind: 'ReconJob',
    metadata: { name, namespace: 'finance', uid: 'uid-job-1', generation: 3, resourceVersion: '42' },
    spec: {
      left: { uri: 's3://ledger/{{ window.startDate }}/*.parquet' },
      right: { uri: 's3://psp/{{ window.startDate }}.csv', format: 'csv' },
      keys: [{ column: 'id' }],
      ...spec,
    },
  };
}

export function reconRun(
  name: string,
  opts: { phase?: RunPhase; created?: string; completed?: string; jobName?: string; trigger?: 'Scheduled' | 'Manual' | 'Backfill'; deleting?: boolean } = {},
): ReconRun {
  return {
    metadata: {
      name,
      namespace: 'finance',
      ...(opts.created ? { creationTimestamp: opts.created } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2024-06-01T00:00:00Z' } : {}),
    },
    spec: { jobRef: { name: 'orders' }, window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' }, trigger: opts.trigger ?? 'Manual' },
    ...(opts.phase || opts.completed || opts.jobName
      ? {
          status: {
            ...(opts.phase ? { phase: opts.phase } : {}),
            ...(opts.completed ? { completionTime: opts.completed } : {}),
            ...(opts.jobName ? { jobName: opts.jobName } : {}),
          },
        }
      : {}),
  };
}
