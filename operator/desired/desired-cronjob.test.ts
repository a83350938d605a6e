import { describe, expect, it } from 'vitest';
import { desiredCronJob, jobHistoryLimit, suspendWhileNotReady } from './desired-cronjob.ts';
import type { V1Container, V1EnvVar } from './k8s-types.ts';
import { cronJobName } from './names.ts';
import { reconJob } from '../../test/support/desired-fixtures.ts';

const opts = { image: 'ghcr.io/raas/raas:1.0.0' };
const scheduled = reconJob({ schedule: { cron: '0 2 * * *' } });

function container(c: ReturnType<typeof desiredCronJob>): V1Container {
  const first = c?.spec?.jobTemplate.spec?.template.spec?.containers[0];
  if (!first) throw new Error('no container');
  return first;
}

const envNamed = (env: V1EnvVar[] | undefined, name: string): V1EnvVar | undefined => env?.find((e) => e.name === name);

describe('desiredCronJob', () => {
  it('is undefined for a job without a schedule', () => {
    expect(desiredCronJob(reconJob(), opts)).toBeUndefined();
  });

  it('builds the whole CronJob with defaults', () => {
    const c = desiredCronJob(scheduled, opts);
    expect(c?.apiVersion).toBe('batch/v1');
    expect(c?.kind).toBe('CronJob');
    expect(c?.metadata).toEqual({
      name: 'orders-vs-settlements',
      namespace: 'finance',
      labels: { 'app.kubernetes.io/managed-by': 'raas', 'raas.dev/job': 'orders-vs-settlements' },
      ownerReferences: [
        { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', name: 'orders-vs-settlements', uid: 'uid-job-1', controller: true, blockOwnerDeletion: true },
      ],
    });
    const { jobTemplate, ...rest } = c?.spec ?? { jobTemplate: undefined };
    expect(rest).toEqual({
      schedule: '0 2 * * *',
      timeZone: 'UTC',
      suspend: false,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(jobTemplate?.metadata?.labels).toEqual(c?.metadata?.labels);
    expect(jobTemplate?.spec?.backoffLimit).toBe(0);
    expect(jobTemplate?.spec?.activeDeadlineSeconds).toBe(21600);
    expect(jobTemplate?.spec).not.toHaveProperty('ttlSecondsAfterFinished');
    expect(jobTemplate?.spec?.template.metadata?.labels).toEqual(c?.metadata?.labels);
  });

  it.each([
    ['timeZone', { timeZone: 'Asia/Tokyo' }, { timeZone: 'Asia/Tokyo' }],
    ['suspend', { suspend: true }, { suspend: true }],
    ['concurrencyPolicy', { concurrencyPolicy: 'Replace' as const }, { concurrencyPolicy: 'Replace' }],
    ['startingDeadlineSeconds', { startingDeadlineSeconds: 120 }, { startingDeadlineSeconds: 120 }],
  ])('maps schedule.%s', (_field, schedule, want) => {
    const c = desiredCronJob(reconJob({ schedule: { cron: '*/5 * * * *', ...schedule } }), opts);
    expect(c?.spec).toMatchObject({ schedule: '*/5 * * * *', ...want });
  });

  it.each([
    [undefined, 3, 3],
    [{ successfulRuns: 0, failedRuns: 0 }, 1, 1],
    [{ successfulRuns: 1, failedRuns: 2 }, 1, 2],
    [{ successfulRuns: 100 }, 3, 3],
    [{ failedRuns: 1 }, 3, 1],
  ])('history %j keeps few Jobs: successful %s, failed %s', (history, successful, failed) => {
    const c = desiredCronJob(reconJob({ schedule: { cron: '0 2 * * *' }, ...(history ? { history } : {}) }), opts);
    expect(c?.spec?.successfulJobsHistoryLimit).toBe(successful);
    expect(c?.spec?.failedJobsHistoryLimit).toBe(failed);
  });

  it.each([
    [0, 1],
    [1, 1],
    [2, 2],
    [3, 3],
    [30, 3],
  ])('jobHistoryLimit(%s) = %s', (runs, want) => {
    expect(jobHistoryLimit(runs)).toBe(want);
  });

  it('takes the deadline from spec.runner.activeDeadlineSeconds', () => {
    const c = desiredCronJob(reconJob({ schedule: { cron: '0 2 * * *' }, runner: { activeDeadlineSeconds: 600 } }), opts);
    expect(c?.spec?.jobTemplate.spec?.activeDeadlineSeconds).toBe(600);
  });

  it('names the CronJob within 52 characters and hashes long label values', () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}`;
    const c = desiredCronJob(reconJob({ schedule: { cron: '0 2 * * *' } }, name), opts);
    expect(c?.metadata?.name).toBe(cronJobName(name));
    expect(c?.metadata?.name?.length).toBeLessThanOrEqual(52);
    const jobLabel = c?.metadata?.labels?.['raas.dev/job'] ?? '';
    expect(jobLabel.length).toBeLessThanOrEqual(63);
    expect(jobLabel).not.toBe(name);
    // The owner reference always carries the real name.
    expect(c?.metadata?.ownerReferences?.[0]?.name).toBe(name);
  });

  it('passes the scheduled Job name to the runner through the downward API', () => {
    const env = container(desiredCronJob(scheduled, opts)).env;
    const fromLabel = { fieldRef: { fieldPath: "metadata.labels['job-name']" } };
    expect(envNamed(env, 'RAAS_JOB_NAME')).toEqual({ name: 'RAAS_JOB_NAME', valueFrom: fromLabel });
    expect(envNamed(env, 'RAAS_RUN_NAME')).toEqual({ name: 'RAAS_RUN_NAME', valueFrom: fromLabel });
    expect(envNamed(env, 'RAAS_WINDOW_START')).toBeUndefined();
  });

  it('records the operator namespace as an annotation when given', () => {
    const c = desiredCronJob(scheduled, { ...opts, operatorNamespace: 'raas-system' });
    expect(c?.metadata?.annotations).toEqual({ 'raas.dev/operator-namespace': 'raas-system' });
    expect(c?.spec?.jobTemplate.metadata?.annotations).toEqual({ 'raas.dev/operator-namespace': 'raas-system' });
    expect(desiredCronJob(scheduled, opts)?.metadata).not.toHaveProperty('annotations');
  });

  it('is deterministic, so repeated server-side applies change nothing', () => {
    expect(desiredCronJob(scheduled, opts)).toEqual(desiredCronJob(scheduled, opts));
  });
});

describe('suspendWhileNotReady and the resumption', () => {
  it.each([
    ['no CronJob: nothing to suspend', undefined, undefined],
    ['a running CronJob is suspended', { spec: { schedule: '* * * * *', suspend: false, jobTemplate: {} } }, { spec: { suspend: true } }],
    ['a CronJob without suspend set is suspended', { spec: { schedule: '* * * * *', jobTemplate: {} } }, { spec: { suspend: true } }],
    ['a suspended CronJob needs no patch', { spec: { schedule: '* * * * *', suspend: true, jobTemplate: {} } }, undefined],
  ])('%s', (_n, existing, patch) => {
    expect(suspendWhileNotReady(existing)).toEqual(patch);
  });
  it.each([
    ['resumes when fixed', {}, false],
    ['stays suspended when the user suspended the schedule', { suspend: true }, true],
    ['resumes when the user un-suspends explicitly', { suspend: false }, false],
  ])('the desired CronJob of a Ready job %s (the user\'s schedule.suspend decides)', (_n, schedule, suspend) => {
    expect(desiredCronJob(reconJob({ schedule: { cron: '* * * * *', ...schedule } }), opts)?.spec?.suspend).toBe(suspend);
  });
});
