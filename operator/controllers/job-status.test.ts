import { describe, expect, it } from 'vitest';
import { jobStatusInvalid, jobStatusValid, sameStatus, setCondition } from './job-status.ts';
import type { ReconRun } from '../desired/types.ts';

const now = new Date('2024-01-10T12:00:00Z');
const job = (schedule?: Record<string, unknown>) =>
  ({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'j', namespace: 'ns', generation: 3 }, spec: { left: { uri: 'l' }, right: { uri: 'r' }, keys: [{ column: 'id' }], ...(schedule ? { schedule } : {}) } }) as never;
const run = (name: string, phase: string, completionTime?: string, balanced?: boolean): ReconRun => ({
  metadata: { name, creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { jobRef: { name: 'j' }, window: { start: `${name}-s`, end: `${name}-e` }, trigger: 'Manual' },
  status: { phase: phase as never, ...(completionTime ? { completionTime } : {}), ...(balanced !== undefined ? { balanced } : {}) },
});

describe('setCondition', () => {
  it('keeps the transition time while the status holds, and moves it on change', () => {
    const a = setCondition([], { type: 'Ready', status: 'True', reason: 'R', message: 'm' }, new Date('2024-01-01T00:00:00Z'));
    const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'R2', message: 'm2' }, new Date('2024-01-02T00:00:00Z'));
    expect(b[0]!.lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    const c = setCondition(b, { type: 'Ready', status: 'False', reason: 'X', message: 'x' }, new Date('2024-01-03T00:00:00Z'));
    expect(c[0]!.lastTransitionTime).toBe('2024-01-03T00:00:00Z');
    expect(c).toHaveLength(1);
  });
});

describe('jobStatusValid', () => {
  it('Ready with the next schedule, the latest finished run and the active count', () => {
    const s = jobStatusValid(job({ cron: '0 2 * * *', timeZone: 'Asia/Tokyo' }), undefined, undefined, [run('a', 'Succeeded', '2024-01-02T00:00:00Z', true), run('b', 'Failed', '2024-01-03T00:00:00Z'), run('c', 'Running')], now);
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Scheduled', observedGeneration: 3 });
    expect(s.nextScheduleTime).toBe('2024-01-10T17:00:00Z');
    expect(s.lastRun).toMatchObject({ name: 'b', phase: 'Failed' });
    expect(s.activeRuns).toBe(1);
    expect(s.observedGeneration).toBe(3);
  });
  it('suspended and unscheduled jobs have no next schedule time', () => {
    expect(jobStatusValid(job({ cron: '0 2 * * *', suspend: true }), undefined, undefined, [], now)).toMatchObject({ conditions: [{ reason: 'Suspended' }] });
    expect(jobStatusValid(job({ cron: '0 2 * * *', suspend: true }), undefined, undefined, [], now).nextScheduleTime).toBeUndefined();
    expect(jobStatusValid(job(), undefined, undefined, [], now).nextScheduleTime).toBeUndefined();
  });
  it('invalid specs are Ready=False with the reasons, keeping what was observed before', () => {
    const prev = jobStatusValid(job(), undefined, undefined, [run('a', 'Succeeded', '2024-01-02T00:00:00Z', true)], now);
    const s = jobStatusInvalid(4, prev, ['spec.keys: is required'], now);
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec.keys: is required', observedGeneration: 4 });
    expect(s.lastRun?.name).toBe('a');
  });
  it('an invalid job whose CronJob was suspended says so first, and has no next schedule time', () => {
    const prev = jobStatusValid(job({ cron: '0 2 * * *' }), undefined, undefined, [], now);
    expect(prev.nextScheduleTime).toBeDefined();
    const s = jobStatusInvalid(5, prev, ['spec.runner.image: "evil/miner:latest" is not allowed by the runner policy'], now, { cronJobSuspended: true });
    expect(s.conditions?.[0]?.message).toBe(
      'the CronJob is suspended until the spec is fixed: no scheduled run uses the last valid spec meanwhile; spec.runner.image: "evil/miner:latest" is not allowed by the runner policy',
    );
    expect(s.nextScheduleTime).toBeUndefined();
    expect(jobStatusInvalid(5, prev, ['x'], now, { cronJobSuspended: true, ...{} }).conditions?.[0]?.message).toMatch(/^the CronJob is suspended/);
    expect(jobStatusInvalid(5, prev, ['x'.repeat(2000)], now, { cronJobSuspended: true }).conditions?.[0]?.message).toMatch(/^the CronJob is suspended.{900,}$/);
  });
  it('sameStatus ignores key order and undefined fields', () => {
    expect(sameStatus({ a: 1, b: { c: 2, d: undefined } }, { b: { c: 2 }, a: 1 })).toBe(true);
    expect(sameStatus({ a: 1 }, { a: 2 })).toBe(false);
  });
});
