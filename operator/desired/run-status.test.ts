import { describe, expect, it } from 'vitest';
import { compactFailure, compactSummary, type RunSummary } from '../../runner/run/summary.ts';
import type { V1ContainerState, V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from './k8s-types.ts';
import { reconRunStatusSchema } from '../api/reconrun.ts';
import { readReport, runStatusFromJob, toReason } from './run-status.ts';
import type { Condition, ReconRunStatus } from './types.ts';

const NOW = new Date('2024-01-02T03:04:05.678Z');
const GEN = 4;

const summary: RunSummary = {
  job: 'orders',
  run: 'orders-28400000',
  window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' },
  balanced: false,
  counts: {
    left: 10,
    right: 9,
    matched: 7,
    mismatched: 2,
    leftOnly: 1,
    rightOnly: 0,
    duplicateKeysLeft: 0,
    duplicateKeysRight: 0,
    nullKeysLeft: 0,
    nullKeysRight: 0,
  },
  mismatchedByColumn: { amount: 2 },
  diffTotals: { amount: '-3.50' },
  summaries: { mismatch_amount: '-3.50', nothing: null },
  results: { uri: 's3://out/orders/2024-01-01/', files: ['s3://out/orders/2024-01-01/result.parquet'], summaryUri: 's3://out/orders/2024-01-01/summary.json', mode: 'AllDiffs', format: 'parquet' },
  timings: { stageMs: 1, compareMs: 2, writeMs: 3 },
};
const balancedSummary: RunSummary = {
  ...summary,
  balanced: true,
  counts: { ...summary.counts, matched: 10, mismatched: 0, leftOnly: 0, right: 10 },
  mismatchedByColumn: {},
  diffTotals: { amount: '0.00' },
};

const d = (iso: string): Date => new Date(iso);

function cond(type: string, reason?: string, message?: string, at = '2024-01-02T03:00:00Z'): V1JobCondition {
  return { type, status: 'True', ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastTransitionTime: d(at) };
}

function containerStatus(name: string, state: V1ContainerState, lastState?: V1ContainerState): V1ContainerStatus {
  return { name, image: 'raas', imageID: '', ready: false, restartCount: 0, state, ...(lastState ? { lastState } : {}) };
}

function job(status: V1Job['status'] = {}, deadline?: number): V1Job {
  return {
    metadata: { name: 'orders-28400000', namespace: 'finance' },
    spec: { template: {}, backoffLimit: 0, ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}) },
    status: { startTime: d('2024-01-02T02:00:00Z'), ...status },
  };
}

const complete = (): V1Job => job({ succeeded: 1, completionTime: d('2024-01-02T02:10:00Z'), conditions: [cond('Complete')] });
const failed = (reason = 'BackoffLimitExceeded', message = 'Job has reached the specified backoff limit', deadline?: number): V1Job =>
  job({ failed: 1, conditions: [cond('Failed', reason, message)] }, deadline);

function pod(state: V1ContainerState, memoryLimit?: string, extra: Partial<NonNullable<V1Pod['status']>> = {}): V1Pod {
  return {
    metadata: { name: 'orders-28400000-abcde' },
    spec: { containers: [{ name: 'runner', ...(memoryLimit ? { resources: { limits: { memory: memoryLimit } } } : {}) }] },
    status: { phase: 'Failed', containerStatuses: [containerStatus('runner', state)], ...extra },
  };
}
const terminated = (exitCode: number, message?: string, reason?: string): V1Pod =>
  pod({ terminated: { exitCode, ...(message !== undefined ? { message } : {}), ...(reason ? { reason } : {}), finishedAt: d('2024-01-02T02:09:59Z') } });

const conditionsOf = (s: ReconRunStatus): Record<string, [string, string]> =>
  Object.fromEntries((s.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));

describe('runStatusFromJob: phases', () => {
  it('is Pending without a Job', () => {
    const s = runStatusFromJob(undefined, undefined, NOW, GEN);
    expect(s).toEqual({
      phase: 'Pending',
      message: 'waiting for a runner Job to be created',
      observedGeneration: GEN,
      conditions: [
        { type: 'Complete', status: 'False', reason: 'JobNotCreated', message: 'waiting for a runner Job to be created', lastTransitionTime: '2024-01-02T03:04:05Z', observedGeneration: GEN },
        { type: 'Failed', status: 'False', reason: 'JobNotCreated', message: 'the run is pending', lastTransitionTime: '2024-01-02T03:04:05Z', observedGeneration: GEN },
        { type: 'Balanced', status: 'Unknown', reason: 'RunNotFinished', message: 'the run is pending', lastTransitionTime: '2024-01-02T03:04:05Z', observedGeneration: GEN },
      ],
    });
  });

  it('is Pending while the Job has no active pod yet', () => {
    const s = runStatusFromJob(job({}), undefined, NOW, GEN);
    expect(s).toMatchObject({ phase: 'Pending', jobName: 'orders-28400000', startTime: '2024-01-02T02:00:00Z' });
    expect(s.message).toBe('Job orders-28400000 created; waiting for its pod to start');
  });

  it.each([
    ['no pod seen yet', undefined],
    ['container being created', pod({ waiting: { reason: 'ContainerCreating' } }, undefined, { phase: 'Pending' })],
  ])('is Pending while the Job counts a pod that does not run yet (%s): Started is not sent early', (_why, p) => {
    const s = runStatusFromJob(job({ active: 1 }), p, NOW, GEN);
    expect(s.phase).toBe('Pending');
    expect(s.message).toMatch(/^Job orders-28400000 created; its pod (orders-28400000-abcde )?is not running yet$/);
  });

  it.each([
    ['container running', pod({ running: { startedAt: d('2024-01-02T02:00:05Z') } }, undefined, { phase: 'Running' })],
  ])('is Running while the Job is active and the runner runs (%s)', (_why, p) => {
    const s = runStatusFromJob(job({ active: 1 }), p, NOW, GEN);
    expect(s.phase).toBe('Running');
    expect(conditionsOf(s)).toEqual({ Complete: ['False', 'Running'], Failed: ['False', 'Running'], Balanced: ['Unknown', 'RunNotFinished'] });
  });

  it.each([
    ['CreateContainerConfigError', 'secret "aws" not found', 'runner container cannot start: CreateContainerConfigError: secret "aws" not found'],
    ['ImagePullBackOff', 'Back-off pulling image "raas:nope"', 'runner container cannot start: ImagePullBackOff: Back-off pulling image "raas:nope"'],
    ['ErrImagePull', undefined, 'runner container cannot start: ErrImagePull'],
  ])('stays Pending and says why when the container cannot start (%s)', (reason, message, want) => {
    const s = runStatusFromJob(job({ active: 1 }), pod({ waiting: { reason, ...(message ? { message } : {}) } }), NOW, GEN);
    expect(s.phase).toBe('Pending');
    expect(s.message).toBe(want);
    expect(conditionsOf(s).Complete).toEqual(['False', reason]);
  });
});

describe('runStatusFromJob: succeeded', () => {
  it('copies the runner report into status', () => {
    const s = runStatusFromJob(complete(), terminated(0, compactSummary(summary)), NOW, GEN);
    expect(s).toEqual({
      phase: 'Succeeded',
      balanced: false,
      startTime: '2024-01-02T02:00:00Z',
      completionTime: '2024-01-02T02:10:00Z',
      counts: summary.counts,
      mismatchedByColumn: { amount: 2 },
      diffTotals: { amount: '-3.50' },
      summaries: { mismatch_amount: '-3.50' },
      results: { uri: summary.results.uri, files: summary.results.files, summaryUri: summary.results.summaryUri },
      jobName: 'orders-28400000',
      message: 'unbalanced: 7 matched, 2 mismatched, 1 left-only',
      conditions: expect.any(Array) as unknown,
      observedGeneration: GEN,
    });
    expect(conditionsOf(s)).toEqual({ Complete: ['True', 'Succeeded'], Failed: ['False', 'Succeeded'], Balanced: ['False', 'Unbalanced'] });
  });

  it('reports a balanced run', () => {
    const s = runStatusFromJob(complete(), terminated(0, compactSummary(balancedSummary)), NOW, GEN);
    expect(s.balanced).toBe(true);
    expect(s.message).toBe('balanced: 10 matched');
    expect(conditionsOf(s).Balanced).toEqual(['True', 'Balanced']);
  });

  it('says when a balanced run had differences within spec.expect', () => {
    const within = { ...summary, balanced: true };
    expect(runStatusFromJob(complete(), terminated(0, compactSummary(within)), NOW, GEN).message).toBe(
      'balanced within spec.expect: 7 matched, 2 mismatched, 1 left-only',
    );
  });

  it('says why a run with nothing compared is unbalanced', () => {
    const none = { ...balancedSummary, balanced: false, warnings: ['no column was compared: list the columns in spec.compare'] };
    const s = runStatusFromJob(complete(), terminated(0, compactSummary(none)), NOW, GEN);
    expect(s.balanced).toBe(false);
    expect(s.message).toBe('unbalanced: 10 matched; no column was compared: list the columns in spec.compare');
  });

  it('copies what is left of a truncated report and points to summary.json', () => {
    const big = { ...summary, mismatchedByColumn: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`column_${i}`, i])) };
    const text = compactSummary(big);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4000);
    const s = runStatusFromJob(complete(), terminated(0, text), NOW, GEN);
    expect(s.phase).toBe('Succeeded');
    expect(s.counts).toEqual(summary.counts);
    expect(s.message).toBe(`unbalanced: 7 matched, 2 mismatched, 1 left-only; details trimmed to fit the termination message, all in ${summary.results.summaryUri}`);
  });

  it.each([
    ['cut in the middle', compactSummary(summary).slice(0, 100)],
    ['a log tail', 'Segmentation fault'],
    ['JSON of another shape', '{"phase":"Succeeded"}'],
  ])('is Succeeded, never Failed, when the Job completed but the report is %s', (_why, text) => {
    const s = runStatusFromJob(complete(), terminated(0, text), NOW, GEN);
    expect(s.phase).toBe('Succeeded');
    expect(s).not.toHaveProperty('balanced');
    expect(s.message).toContain('whether it balanced is unknown');
    expect(conditionsOf(s)).toEqual({ Complete: ['True', 'Succeeded'], Failed: ['False', 'Succeeded'], Balanced: ['Unknown', 'ReportMissing'] });
  });

  it('keeps only the counts the API knows', () => {
    const text = JSON.stringify({ ...JSON.parse(compactSummary(summary)), counts: { ...summary.counts, extra: 5 } });
    expect(runStatusFromJob(complete(), terminated(0, text), NOW, GEN).counts).toEqual(summary.counts);
  });

  it.each([
    ['the pod is gone', undefined],
    ['the message is empty', terminated(0, '')],
    ['there is no message', terminated(0)],
    ['the pod has no container status', pod({})],
  ])('is Succeeded but NOT balanced when %s', (_why, p) => {
    const s = runStatusFromJob(complete(), p, NOW, GEN);
    expect(s.phase).toBe('Succeeded');
    expect(s).not.toHaveProperty('balanced');
    expect(s).not.toHaveProperty('counts');
    expect(s.message).toContain('its report could not be read');
    expect(s.message).toContain('whether it balanced is unknown');
    expect(conditionsOf(s)).toEqual({ Complete: ['True', 'Succeeded'], Failed: ['False', 'Succeeded'], Balanced: ['Unknown', 'ReportMissing'] });
  });

  it('accepts the SuccessCriteriaMet condition of newer clusters', () => {
    const j = job({ succeeded: 1, conditions: [cond('SuccessCriteriaMet')] });
    expect(runStatusFromJob(j, terminated(0, compactSummary(balancedSummary)), NOW, GEN).phase).toBe('Succeeded');
  });

  it('falls back to the container finish time, then now, for completionTime', () => {
    const noTime = job({ succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    expect(runStatusFromJob(noTime, terminated(0, compactSummary(summary)), NOW, GEN).completionTime).toBe('2024-01-02T02:09:59Z');
    expect(runStatusFromJob(noTime, undefined, NOW, GEN).completionTime).toBe('2024-01-02T03:04:05Z');
  });

  it('writes times as RFC 3339 with whole seconds', () => {
    const j = job({ completionTime: d('2024-01-02T02:10:00.250Z'), conditions: [cond('Complete')] });
    const s = runStatusFromJob(j, undefined, NOW, GEN);
    expect(s.startTime).toBe('2024-01-02T02:00:00Z');
    expect(s.completionTime).toBe('2024-01-02T02:10:00Z');
  });

  it('reads the RFC 3339 strings that informer watch streams carry, where the client types say Date', () => {
    const wire = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
    const s = runStatusFromJob(wire(complete()), wire(terminated(0, compactSummary(summary))), NOW, GEN);
    expect(s).toMatchObject({ phase: 'Succeeded', startTime: '2024-01-02T02:00:00Z', completionTime: '2024-01-02T02:10:00Z', balanced: false });
    const f = runStatusFromJob(wire(failed()), undefined, NOW, GEN);
    expect(f.completionTime).toBe('2024-01-02T03:00:00Z');
  });

  it('ignores unreadable times rather than writing Invalid Date', () => {
    const j = { ...complete(), status: { conditions: [{ type: 'Complete', status: 'True' }], completionTime: 'garbage' } } as unknown as V1Job;
    expect(runStatusFromJob(j, undefined, NOW, GEN).completionTime).toBe('2024-01-02T03:04:05Z');
  });
});

describe('runStatusFromJob: failed', () => {
  const cases: [string, V1Job, V1Pod | undefined, string, string, string][] = [
    [
      'a stage failure reported by the runner',
      failed(),
      terminated(2, compactFailure('stage', 'spec.left.uri: no file matches s3://ledger/2024-01-01/*.parquet', { job: 'orders' })),
      'StageFailed',
      'stage "stage" failed: spec.left.uri: no file matches s3://ledger/2024-01-01/*.parquet',
      'stage',
    ],
    ['bad SQL', failed(), terminated(2, compactFailure('query', 'spec.left.query line 2: syntax error at "FORM"')), 'QueryFailed', 'stage "query" failed: spec.left.query line 2: syntax error at "FORM"', 'query'],
    ['an invalid manifest', failed(), terminated(2, compactFailure('validate', 'spec.keys: must list at least one key column')), 'ValidateFailed', 'stage "validate" failed: spec.keys: must list at least one key column', 'validate'],
    ['an unexpected runner error', failed(), terminated(2, compactFailure('internal', 'boom')), 'InternalFailed', 'stage "internal" failed: boom', 'internal'],
    [
      'OOMKilled with a known limit',
      failed(),
      pod({ terminated: { exitCode: 137, reason: 'OOMKilled', message: '[raas] stage ...' } }, '2Gi'),
      'OOMKilled',
      'runner was OOMKilled (container memory limit 2Gi); raise spec.runner.resources.limits.memory or set spec.runner.memoryLimit well below it so DuckDB spills to disk',
      'pod',
    ],
    [
      'OOMKilled without a limit',
      failed(),
      pod({ terminated: { exitCode: 137, reason: 'OOMKilled' } }),
      'OOMKilled',
      'runner was OOMKilled; raise spec.runner.resources.limits.memory or set spec.runner.memoryLimit well below it so DuckDB spills to disk',
      'pod',
    ],
    [
      'the deadline',
      failed('DeadlineExceeded', 'Job was active longer than specified deadline', 600),
      terminated(143, '[raas] compare ...', 'Error'),
      'DeadlineExceeded',
      'the run took longer than spec.runner.activeDeadlineSeconds (600 s) and was stopped; raise it, or give the runner more CPU and memory',
      'pod',
    ],
    [
      'the deadline, pod gone',
      failed('DeadlineExceeded', 'Job was active longer than specified deadline'),
      undefined,
      'DeadlineExceeded',
      'the run took longer than spec.runner.activeDeadlineSeconds and was stopped; raise it, or give the runner more CPU and memory',
      'pod',
    ],
    [
      'a crash that left only its log',
      failed(),
      terminated(1, 'node:internal/modules/cjs/loader:1228\n  throw err;\nError: Cannot find module', 'Error'),
      'ReportUnreadable',
      "the runner's report could not be read (exit code 1); it ended with: node:internal/modules/cjs/loader:1228\n  throw err;\nError: Cannot find module",
      'pod',
    ],
    ['JSON that is not a report', failed(), terminated(2, '{"phase":"Weird"}'), 'ReportUnreadable', 'the runner\'s report could not be read (exit code 2); it ended with: {"phase":"Weird"}', 'pod'],
    ['a report with wrong types', failed(), terminated(2, '{"phase":"Failed","stage":3}'), 'ReportUnreadable', 'the runner\'s report could not be read (exit code 2); it ended with: {"phase":"Failed","stage":3}', 'pod'],
    ['an exit without any message', failed(), terminated(2), 'RunnerFailed', 'runner exited with code 2 without a report', 'pod'],
    ['an exit after a success report', failed(), terminated(1, compactSummary(summary), 'Error'), 'RunnerFailed', 'runner exited with code 1 (Error) after reporting a result, so the result may be incomplete', 'pod'],
    ['an eviction', failed(), pod({}, undefined, { reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' }), 'Evicted', 'runner pod was evicted: The node was low on resource: ephemeral-storage.', 'pod'],
    [
      'the backoff limit with the pod gone',
      failed(),
      undefined,
      'BackoffLimitExceeded',
      "Job orders-28400000 failed (BackoffLimitExceeded: Job has reached the specified backoff limit) and its pod is gone, so the runner's report is lost",
      'pod',
    ],
    ['a Failed condition without reason', job({ conditions: [{ type: 'Failed', status: 'True' }] }), pod({}), 'JobFailed', 'Job orders-28400000 failed', 'pod'],
    ['a pod failure policy', failed('PodFailurePolicy', 'Container runner for pod x failed with exit code 2'), pod({}), 'PodFailurePolicy', 'Job orders-28400000 failed (PodFailurePolicy: Container runner for pod x failed with exit code 2)', 'pod'],
    ['FailureTarget before Failed', job({ conditions: [cond('FailureTarget', 'BackoffLimitExceeded')] }), terminated(2, compactFailure('keys', 'duplicate keys over the limit')), 'KeysFailed', 'stage "keys" failed: duplicate keys over the limit', 'keys'],
    ['a Complete Job whose runner reported failure', complete(), terminated(0, compactFailure('upload', 'access denied')), 'UploadFailed', 'stage "upload" failed: access denied', 'upload'],
  ];

  it.each(cases)('explains %s', (_why, j, p, reason, message, stage) => {
    const s = runStatusFromJob(j, p, NOW, GEN);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(message);
    expect(s.failedStage).toBe(stage);
    expect(s).not.toHaveProperty('balanced');
    expect(s.completionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(conditionsOf(s)).toEqual({ Complete: ['False', 'RunFailed'], Failed: ['True', reason], Balanced: ['Unknown', 'RunFailed'] });
    expect(s.conditions?.find((c) => c.type === 'Failed')?.message).toBe(message);
  });

  it('shows only the tail of a long log', () => {
    const log = `${'a'.repeat(1000)}THE END`;
    const s = runStatusFromJob(failed(), terminated(1, log), NOW, GEN);
    expect(s.message).toBe(`the runner's report could not be read (exit code 1); it ended with: …${log.slice(-500)}`);
  });

  it('reads the last terminated state when the container was restarted', () => {
    const p: V1Pod = {
      status: {
        containerStatuses: [
          containerStatus('runner', { waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 2, message: compactFailure('load', 'bad parquet') } }),
        ],
      },
    };
    expect(runStatusFromJob(failed(), p, NOW, GEN).message).toBe('stage "load" failed: bad parquet');
  });

  it('prefers the container named runner', () => {
    const p: V1Pod = {
      status: {
        containerStatuses: [
          containerStatus('sidecar', { terminated: { exitCode: 0, message: 'ok' } }),
          containerStatus('runner', { terminated: { exitCode: 2, message: compactFailure('render', 'unknown variable window.day') } }),
        ],
      },
    };
    expect(runStatusFromJob(failed(), p, NOW, GEN).failedStage).toBe('render');
  });

  it('takes completionTime from the Failed condition', () => {
    expect(runStatusFromJob(failed(), undefined, NOW, GEN).completionTime).toBe('2024-01-02T03:00:00Z');
  });
});

describe('runStatusFromJob: conditions over time', () => {
  const first = runStatusFromJob(job({ active: 1 }), undefined, new Date('2024-01-02T02:00:01Z'), 1);

  it('keeps lastTransitionTime while a status stays the same', () => {
    const again = runStatusFromJob(job({ active: 1 }), undefined, NOW, 2, first.conditions);
    expect(again.conditions?.map((c) => c.lastTransitionTime)).toEqual(['2024-01-02T02:00:01Z', '2024-01-02T02:00:01Z', '2024-01-02T02:00:01Z']);
    expect(again.conditions?.every((c) => c.observedGeneration === 2)).toBe(true);
  });

  it('moves lastTransitionTime only for conditions whose status changed', () => {
    const done = runStatusFromJob(complete(), terminated(0, compactSummary(summary)), NOW, 1, first.conditions);
    const at = Object.fromEntries((done.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]));
    expect(at).toEqual({ Complete: '2024-01-02T03:04:05Z', Failed: '2024-01-02T02:00:01Z', Balanced: '2024-01-02T03:04:05Z' });
  });

  it('ignores previous conditions of other types', () => {
    const prev: Condition[] = [{ type: 'Notified', status: 'True', reason: 'Sent', message: '', lastTransitionTime: '2020-01-01T00:00:00Z' }];
    const s = runStatusFromJob(undefined, undefined, NOW, 1, prev);
    expect(s.conditions?.map((c) => c.type)).toEqual(['Complete', 'Failed', 'Balanced']);
  });

  it('writes CamelCase reasons only', () => {
    const all = [
      runStatusFromJob(undefined, undefined, NOW, 1),
      runStatusFromJob(failed(), terminated(2, compactFailure('summaries', 'x')), NOW, 1),
      runStatusFromJob(failed('weird reason-from k8s'), pod({}), NOW, 1),
      runStatusFromJob(job({ active: 1 }), pod({ waiting: { reason: 'Err-Image.Pull' } }), NOW, 1),
    ];
    for (const s of all) for (const c of s.conditions ?? []) expect(c.reason).toMatch(/^[A-Z][A-Za-z0-9]*$/);
  });
});

describe('readReport', () => {
  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['  \n', 'none'],
    ['{', 'unreadable'],
    ['null', 'unreadable'],
    ['[]', 'unreadable'],
    ['"Succeeded"', 'unreadable'],
    ['{"phase":"Succeeded"}', 'unreadable'],
    ['{"phase":"Succeeded","balanced":"yes","counts":{}}', 'unreadable'],
    [JSON.stringify({ ...JSON.parse(compactSummary(summary)), counts: { ...summary.counts, matched: -1 } }), 'unreadable'],
    [JSON.stringify({ ...JSON.parse(compactSummary(summary)), counts: { ...summary.counts, matched: 1.5 } }), 'unreadable'],
    ['{"phase":"Failed","stage":"","message":"x"}', 'unreadable'],
    ['{"phase":"Failed","stage":"load","message":"x"}', 'failed'],
    [compactSummary(summary), 'succeeded'],
  ])('%j -> %s', (text, kind) => {
    expect(readReport(text).kind).toBe(kind);
  });
});

describe('toReason', () => {
  it.each([
    ['stage failed', 'X', 'StageFailed'],
    ['BackoffLimitExceeded', 'X', 'BackoffLimitExceeded'],
    ['weird reason-from k8s', 'X', 'WeirdReasonFromK8s'],
    ['', 'JobFailed', 'JobFailed'],
    ['42 failed', 'RunnerFailed', 'RunnerFailed'],
  ])('%j -> %s', (text, fallback, want) => {
    expect(toReason(text, fallback)).toBe(want);
  });
});

describe('runStatusFromJob: the ReconRun API accepts every status it writes', () => {
  const scenarios: [string, V1Job | undefined, V1Pod | undefined][] = [
    ['no Job', undefined, undefined],
    ['starting', job({}), undefined],
    ['running', job({ active: 1 }), pod({ running: {} })],
    ['cannot start', job({ active: 1 }), pod({ waiting: { reason: 'ImagePullBackOff', message: 'x' } })],
    ['succeeded', complete(), terminated(0, compactSummary(summary))],
    ['balanced', complete(), terminated(0, compactSummary(balancedSummary))],
    ['succeeded without report', complete(), undefined],
    ['stage failure', failed(), terminated(2, compactFailure('stage', 'no file matches'))],
    ['OOMKilled', failed(), pod({ terminated: { exitCode: 137, reason: 'OOMKilled' } }, '1Gi')],
    ['deadline', failed('DeadlineExceeded', 'late', 60), undefined],
    ['unreadable', failed(), terminated(1, 'Segmentation fault')],
  ];

  it.each(scenarios)('%s', (_name, j, p) => {
    const s = runStatusFromJob(j, p, NOW, GEN);
    const parsed = reconRunStatusSchema.safeParse(s);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });
});

describe('runStatusFromJob: completion time', () => {
  it('keeps the first completion time observed when the Job controller sets completionTime later (SuccessCriteriaMet first)', () => {
    const pod1 = terminated(0, compactSummary(summary));
    const early = runStatusFromJob(job({ succeeded: 1, conditions: [cond('SuccessCriteriaMet')] }), pod1, NOW, GEN);
    const later = runStatusFromJob(job({ succeeded: 1, completionTime: d('2024-01-02T02:59:59Z'), conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }), pod1, NOW, GEN, early.conditions, early);
    expect(early.phase).toBe('Succeeded');
    expect(later.completionTime).toBe(early.completionTime);
    // Without a previous finished status the Job's own completionTime is used.
    expect(runStatusFromJob(job({ succeeded: 1, completionTime: d('2024-01-02T02:59:59Z'), conditions: [cond('Complete')] }), pod1, NOW, GEN).completionTime).toBe('2024-01-02T02:59:59Z');
  });
});
