import { describe, expect, it } from 'vitest';
import { desiredRunJob, type StoredReconRun } from './desired-run-job.ts';
import { runJobName } from './names.ts';
import { reconJob } from '../../test/support/desired-fixtures.ts';

const opts = { image: 'ghcr.io/raas/raas:1.0.0' };
const job = reconJob();

function run(name = 'orders-vs-settlements-20240101-20240102', jobName = 'orders-vs-settlements'): StoredReconRun {
  return {
    metadata: { name, namespace: 'finance', uid: 'uid-run-1' },
    spec: { jobRef: { name: jobName }, window: { start: '2024-01-01T00:00:00+09:00', end: '2024-01-02T00:00:00+09:00' }, trigger: 'Backfill' },
  };
}

describe('desiredRunJob', () => {
  it('builds a Job owned by the ReconRun with both labels', () => {
    const j = desiredRunJob(run(), job, opts);
    expect(j.apiVersion).toBe('batch/v1');
    expect(j.kind).toBe('Job');
    expect(j.metadata).toEqual({
      name: 'orders-vs-settlements-20240101-20240102',
      namespace: 'finance',
      labels: {
        'app.kubernetes.io/managed-by': 'raas',
        'raas.dev/job': 'orders-vs-settlements',
        'raas.dev/run': 'orders-vs-settlements-20240101-20240102',
      },
      ownerReferences: [
        {
          apiVersion: 'raas.dev/v1alpha1',
          kind: 'ReconRun',
          name: 'orders-vs-settlements-20240101-20240102',
          uid: 'uid-run-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(j.spec?.backoffLimit).toBe(0);
    expect(j.spec?.activeDeadlineSeconds).toBe(21600);
    expect(j.spec).not.toHaveProperty('ttlSecondsAfterFinished');
    expect(j.spec?.template.metadata?.labels).toEqual(j.metadata?.labels);
  });

  it("passes the run's window and name, not the downward-API Job name", () => {
    const env = j().spec?.template.spec?.containers[0]?.env ?? [];
    const byName = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(byName).toMatchObject({
      RAAS_WINDOW_START: '2024-01-01T00:00:00+09:00',
      RAAS_WINDOW_END: '2024-01-02T00:00:00+09:00',
      RAAS_RUN_NAME: 'orders-vs-settlements-20240101-20240102',
    });
    expect(byName).not.toHaveProperty('RAAS_JOB_NAME');
  });

  it('shortens a long run name to a valid Job name and hashes the run label', () => {
    const long = `${'a'.repeat(100)}.${'b'.repeat(100)}`;
    const j2 = desiredRunJob(run(long), job, opts);
    expect(j2.metadata?.name).toBe(runJobName(long));
    expect(j2.metadata?.name?.length).toBeLessThanOrEqual(63);
    expect(j2.metadata?.labels?.['raas.dev/run']?.length).toBeLessThanOrEqual(63);
    expect(j2.metadata?.ownerReferences?.[0]?.name).toBe(long);
  });

  it('takes the deadline from the ReconJob', () => {
    const j2 = desiredRunJob(run(), reconJob({ runner: { activeDeadlineSeconds: 900 } }), opts);
    expect(j2.spec?.activeDeadlineSeconds).toBe(900);
  });

  it('refuses a ReconJob the run does not refer to', () => {
    expect(() => desiredRunJob(run('r', 'other-job'), job, opts)).toThrow('refers to ReconJob other-job');
  });

  function j() {
    return desiredRunJob(run(), job, opts);
  }
});
