import { describe, expect, it } from 'vitest';
import { configErrorStatus, crashLoopStatus, exitedStatus, podConditions, restartDelayMs, runningStatus, terminatedState, terminationMessage, type RunContext } from './status.ts';

const ctx: RunContext = { container: { name: 'runner', image: 'raas:test' }, uid: 'u1', podIP: '127.0.0.3', startedAt: '2026-01-01T00:00:00Z' };
const T = '2026-01-01T00:01:00Z';
const exit = (code: number | null, deadlineExceeded = false, message = '') => terminatedState(ctx, { code, deadlineExceeded, message, since: ctx.startedAt, finishedAt: T });

describe('pod status from a process exit', () => {
  it.each([
    ['exit 0', 0, false, { exitCode: 0, reason: 'Completed' }],
    ['exit 2 (runner failed)', 2, false, { exitCode: 2, reason: 'Error' }],
    ['killed by a signal (no code)', null, false, { exitCode: 137, reason: 'Error' }],
    ['killed at the active deadline', null, true, { exitCode: 137, reason: 'DeadlineExceeded' }],
    ['exit 0 but past the deadline', 0, true, { exitCode: 0, reason: 'DeadlineExceeded' }],
  ])('terminated state: %s', (_what, code, deadline, want) => {
    expect(exit(code, deadline)).toMatchObject({ ...want, startedAt: ctx.startedAt, finishedAt: T, containerID: 'process://u1' });
  });

  it.each([
    ['Never, exit 0', 0, false, false, 'Succeeded', undefined],
    ['Never, exit 2', 2, false, false, 'Failed', undefined],
    ['Never, deadline', null, false, true, 'Failed', 'DeadlineExceeded'],
    ['Always, stopped', 0, true, false, 'Running', undefined],
  ] as const)('final phase: restartPolicy %s', (_what, code, restartAlways, deadlineExceeded, phase, reason) => {
    const s = exitedStatus(ctx, exit(code, deadlineExceeded), { restartAlways, deadlineExceeded, restartCount: 0, now: T });
    expect(s.phase).toBe(phase);
    expect(s.reason).toBe(reason);
    expect(s.containerStatuses?.[0]?.state).toEqual({ terminated: exit(code, deadlineExceeded) });
    expect(s.podIP).toBe('127.0.0.3');
  });

  it('the termination message is carried into the terminated state only when there is one', () => {
    expect(exit(2, false, '{"phase":"Failed"}').message).toBe('{"phase":"Failed"}');
    expect('message' in exit(0)).toBe(false);
  });

  it('running, crash loop and config error statuses', () => {
    expect(runningStatus(ctx, T, true, 1, T)).toMatchObject({ phase: 'Running', containerStatuses: [{ ready: true, started: true, restartCount: 1, state: { running: { startedAt: T } } }] });
    expect(crashLoopStatus(ctx, exit(1), 2, T)).toMatchObject({ phase: 'Running', containerStatuses: [{ ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }] });
    expect(configErrorStatus(ctx, 'secret "s3" not found')).toMatchObject({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "s3" not found' } } }] });
  });

  it('conditions: Ready and ContainersReady follow readiness', () => {
    const ready = podConditions(ctx.startedAt, true, T);
    const notReady = podConditions(ctx.startedAt, false, T);
    expect(ready.filter((c) => c.status === 'True').map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(notReady.filter((c) => c.status === 'False')).toEqual([
      { type: 'Ready', status: 'False', lastTransitionTime: T, reason: 'ContainersNotReady' },
      { type: 'ContainersReady', status: 'False', lastTransitionTime: T, reason: 'ContainersNotReady' },
    ]);
  });

  it.each([
    ['the file wins', 'from file', 'FallbackToLogsOnError', 2, 'log', 'from file'],
    ['no file, fallback on failure: the log tail', '', 'FallbackToLogsOnError', 2, 'a\nb', 'a\nb'],
    ['no file, fallback but success: empty', '', 'FallbackToLogsOnError', 0, 'a', ''],
    ['no file, default policy: empty', '', undefined, 2, 'a', ''],
  ])('termination message: %s', (_what, file, policy, code, output, want) => {
    expect(terminationMessage(Buffer.from(file), policy, code, output)).toBe(want);
  });

  it('termination message limits: 4096 bytes from the file, 80 lines and 2048 bytes of log', () => {
    expect(terminationMessage(Buffer.alloc(5000, 'x'), undefined, 0, '')).toHaveLength(4096);
    const log = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const tail = terminationMessage(Buffer.alloc(0), 'FallbackToLogsOnError', 1, log);
    expect(tail.split('\n')).toHaveLength(80);
    expect(tail.endsWith('line 199')).toBe(true);
    expect(terminationMessage(Buffer.alloc(0), 'FallbackToLogsOnError', 1, 'y'.repeat(3000))).toHaveLength(2048);
  });

  it('restart backoff doubles from 1 s to at most 10 s', () => {
    expect([1, 2, 3, 4, 5, 9].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});
