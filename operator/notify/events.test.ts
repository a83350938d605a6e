import { describe, expect, it } from 'vitest';
import { cloudEvent, eventId, runEvents, slackText, type RunRef, type RunStatusView } from './events.ts';

const counts = { left: 3, right: 3, matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 };
const run: RunRef = {
  name: 'orders-20240101',
  namespace: 'finance',
  uid: '7d2c-uid',
  job: 'orders',
  trigger: 'Backfill',
  window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' },
};
const succeeded: RunStatusView = {
  phase: 'Succeeded',
  balanced: false,
  startTime: '2024-01-02T02:00:01Z',
  completionTime: '2024-01-02T02:00:09Z',
  counts,
  mismatchedByColumn: { amount: 1 },
  diffTotals: { amount: '0.50' },
  summaries: { mismatch_amount: '0.50' },
  results: { uri: 's3://results/orders/2024-01-01/', files: ['part-0.parquet'], summaryUri: 's3://results/orders/2024-01-01/summary.json' },
  message: 'unbalanced',
};

describe('runEvents', () => {
  it.each([
    ['no status', undefined, []],
    ['Pending', { phase: 'Pending' }, []],
    ['Running', { phase: 'Running' }, ['Started']],
    ['Failed', { phase: 'Failed', failedStage: 'stage' }, ['Failed']],
    ['Succeeded, balanced', { phase: 'Succeeded', balanced: true }, ['Succeeded', 'Balanced']],
    ['Succeeded, unbalanced', { phase: 'Succeeded', balanced: false }, ['Succeeded', 'Unbalanced']],
    ['Succeeded without balanced (never written so, but not guessed)', { phase: 'Succeeded' }, ['Succeeded']],
  ] as const)('%s', (_name, status, events) => {
    expect(runEvents(status as RunStatusView | undefined)).toEqual(events);
  });
});

describe('cloudEvent', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  it('is a structured CloudEvents 1.0 event with a stable id, the run as subject and the outcome as data', () => {
    const ce = cloudEvent(run, succeeded, 'Unbalanced', now);
    expect(ce).toEqual({
      specversion: '1.0',
      id: '7d2c-uid.Unbalanced',
      source: '/apis/raas.dev/v1alpha1/namespaces/finance/reconjobs/orders',
      type: 'dev.raas.run.unbalanced',
      subject: 'finance/orders-20240101',
      time: '2024-01-02T02:00:09.000Z',
      datacontenttype: 'application/json',
      data: {
        job: 'orders',
        namespace: 'finance',
        run: 'orders-20240101',
        trigger: 'Backfill',
        window: run.window,
        phase: 'Succeeded',
        balanced: false,
        counts,
        mismatchedByColumn: { amount: 1 },
        diffTotals: { amount: '0.50' },
        summaries: { mismatch_amount: '0.50' },
        results: succeeded.results,
        message: 'unbalanced',
      },
    });
    // The same event on a later attempt is the same event.
    expect(cloudEvent(run, succeeded, 'Unbalanced', new Date())).toEqual(ce);
  });

  it.each([
    ['Started', 'Started', { phase: 'Running', startTime: '2024-01-02T02:00:01Z' }, 'dev.raas.run.started', '2024-01-02T02:00:01.000Z'],
    ['Succeeded', 'Succeeded', succeeded, 'dev.raas.run.succeeded', '2024-01-02T02:00:09.000Z'],
    ['Balanced', 'Balanced', { ...succeeded, balanced: true }, 'dev.raas.run.balanced', '2024-01-02T02:00:09.000Z'],
    ['Failed (time as a Date, as from a list)', 'Failed', { phase: 'Failed', completionTime: new Date('2024-01-02T02:00:03Z'), failedStage: 'stage', message: 'missing file' }, 'dev.raas.run.failed', '2024-01-02T02:00:03.000Z'],
    ['Failed without times: now', 'Failed', { phase: 'Failed' }, 'dev.raas.run.failed', '2030-01-01T00:00:00.000Z'],
  ] as const)('%s: type and time of the occurrence', (_label, event, status, type, time) => {
    const ce = cloudEvent(run, status as RunStatusView, event, now);
    expect(ce.type).toBe(type);
    expect(ce.time).toBe(time);
    expect(ce.id).toBe(eventId(run.uid, event));
  });

  it('carries failure details', () => {
    const ce = cloudEvent(run, { phase: 'Failed', failedStage: 'stage', message: 'spec.left.uri: s3://x does not exist' }, 'Failed', now);
    expect(ce.data).toMatchObject({ phase: 'Failed', failedStage: 'stage', message: 'spec.left.uri: s3://x does not exist' });
    expect(ce.data).not.toHaveProperty('counts');
  });
});

describe('slackText', () => {
  it.each([
    ['unbalanced', cloudEvent(run, succeeded, 'Unbalanced', new Date()), /^raas: finance\/orders run orders-20240101 unbalanced \(window .* Backfill\): matched 1, mismatched 1, left-only 1, right-only 1; diff totals amount 0\.50; results s3:\/\/results\/orders\/2024-01-01\/$/],
    ['failed', cloudEvent(run, { phase: 'Failed', failedStage: 'stage', message: 'missing file' }, 'Failed', new Date()), /run orders-20240101 failed .*: failed in stage stage: missing file$/],
    ['started', cloudEvent(run, { phase: 'Running' }, 'Started', new Date()), /run orders-20240101 started \(window 2024-01-01T00:00:00\+00:00 to 2024-01-02T00:00:00\+00:00, Backfill\)$/],
    ['zero diff totals left out', cloudEvent(run, { ...succeeded, balanced: true, counts: { ...counts, mismatched: 0 }, diffTotals: { amount: '0.00' } }, 'Balanced', new Date()), /mismatched 0, left-only 1, right-only 1; results/],
  ])('%s', (_name, ce, line) => {
    expect(slackText(ce)).toMatch(line);
    expect(slackText(ce)).not.toContain('\n');
  });
});
