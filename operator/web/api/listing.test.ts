import { describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue, jobBadge, largestAtStake, markSuperseded, pageJobs, pageRuns, parseRunQuery, ParamError, runItem, scaledDecimal, type JobItem, type JobObject, type RunItem } from './listing.ts';

const run = (name: string, start: string, extra: Partial<RunItem> = {}): RunItem => ({
  namespace: 'finance',
  name,
  job: 'orders',
  window: { start, end: start },
  trigger: 'Scheduled',
  phase: 'Succeeded',
  balanced: true,
  ...extra,
});

function paramError(q: string): { param: string; message: string } {
  try {
    parseRunQuery(new URLSearchParams(q));
  } catch (err) {
    if (err instanceof ParamError) return { param: err.param, message: err.message };
    throw err;
  }
  throw new Error(`no error for ${q}`);
}

describe('run list parameters', () => {
  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=99999999999999999999', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
    ['phase=Done', 'phase'],
    ['balanced=yes', 'balanced'],
    ['from=yesterday', 'from'],
    ['from=2024-01-01T00:00:00', 'from'],
    ['from=2024-02-30', 'from'],
    ['from=2024-01-02&to=2024-01-01', 'to'],
    ['job=Orders', 'job'],
    ['job=%2e%2e%2fetc', 'job'],
    ['job=a&job=b', 'job'],
    ['continue=not-a-token', 'continue'],
    [`continue=${'A'.repeat(5000)}`, 'continue'],
    [`continue=${Buffer.from('{"v":1,"k":[1,2,3]}').toString('base64url')}`, 'continue'],
    ['colour=red', 'colour'],
    ['j%C3%B6b=x', 'jöb'],
  ])('%s is a 400 naming %s', (q, param) => {
    const e = paramError(q);
    expect(e.param).toBe(param);
    expect(e.message).toContain(param);
  });

  it('parses every filter', () => {
    expect(parseRunQuery(new URLSearchParams('job=orders&phase=Failed&balanced=false&from=2024-01-01&to=2024-02-01T09:00:00%2B09:00&limit=5'))).toEqual({
      filter: { job: 'orders', phase: 'Failed', balanced: false, from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z' },
      page: { limit: 5 },
    });
  });

  it('round-trips a continue token and refuses one of another shape', () => {
    expect(decodeContinue(encodeContinue(['a', 'b', 'c']), 3)).toEqual(['a', 'b', 'c']);
    expect(() => decodeContinue(encodeContinue(['a', 'b']), 3)).toThrow(ParamError);
  });
});

describe('paging runs', () => {
  const runs = Array.from({ length: 25 }, (_, i) => run(`r-${String(i).padStart(2, '0')}`, new Date(Date.UTC(2024, 0, 1 + i)).toISOString(), { balanced: i % 5 !== 0 }));

  it('walks every run exactly once, newest window first', () => {
    const seen: string[] = [];
    let after: string[] | undefined;
    for (let i = 0; i < 10; i++) {
      const p = pageRuns(runs, {}, { limit: 7, ...(after ? { after } : {}) });
      seen.push(...p.items.map((r) => r.name));
      if (!p.metadata.continue) break;
      after = decodeContinue(p.metadata.continue, 3);
    }
    expect(seen).toEqual(runs.map((r) => r.name).reverse());
  });

  it('filters by balanced, phase, job and window start', () => {
    expect(pageRuns(runs, { balanced: false }, { limit: 100 }).items.map((r) => r.name)).toEqual(['r-20', 'r-15', 'r-10', 'r-05', 'r-00']);
    expect(pageRuns(runs, { from: '2024-01-24T00:00:00Z', to: '2024-01-25T00:00:00Z' }, { limit: 100 }).items.map((r) => r.name)).toEqual(['r-23']);
    expect(pageRuns(runs, { phase: 'Failed' }, { limit: 100 }).items).toEqual([]);
    expect(pageRuns(runs, { job: 'other' }, { limit: 100 }).items).toEqual([]);
    expect(pageRuns(runs, {}, { limit: 20 }).metadata.remainingItemCount).toBe(5);
  });

  it('names a run\'s files by the last segment of each URI', () => {
    const item = runItem({
      metadata: { name: 'r', namespace: 'finance' },
      spec: { jobRef: { name: 'orders' }, window: { start: 'a', end: 'b' }, trigger: 'Manual' },
      status: { phase: 'Succeeded', results: { uri: 's3://b/p/', files: ['s3://b/p/part-0.csv'], summaryUri: 's3://b/p/summary.json' } },
    });
    expect(item.files).toEqual(['part-0.csv', 'summary.json']);
  });
});

describe('job badges', () => {
  const now = Date.parse('2024-03-10T12:00:00Z');
  const job = (status: JobObject['status'] = {}, suspend = false): JobObject => ({ metadata: { name: 'j', namespace: 'n' }, spec: { schedule: { cron: '0 2 * * *', suspend } }, status });
  it.each([
    ['no run yet', job(), undefined, 'pending'],
    ['balanced', job(), run('a', '2024-03-09T00:00:00Z'), 'balanced'],
    ['unbalanced', job(), run('a', '2024-03-09T00:00:00Z', { balanced: false }), 'unbalanced'],
    ['failed', job(), run('a', '2024-03-09T00:00:00Z', { phase: 'Failed', balanced: undefined }), 'failed'],
    ['running', job(), run('a', '2024-03-09T00:00:00Z', { phase: 'Running', balanced: undefined }), 'running'],
    ['overdue', job({ nextScheduleTime: '2024-03-10T02:00:00Z' }), run('a', '2024-03-08T00:00:00Z'), 'overdue'],
    ['within the grace', job({ nextScheduleTime: '2024-03-10T11:50:00Z' }), run('a', '2024-03-09T00:00:00Z'), 'balanced'],
    ['suspended is never overdue', job({ nextScheduleTime: '2024-03-01T02:00:00Z' }, true), run('a', '2024-03-09T00:00:00Z'), 'balanced'],
    ['invalid spec', job({ conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidSpec' }] }), undefined, 'invalid'],
  ] as const)('%s', (_, j, newest, badge) => {
    expect(jobBadge(j, newest, now)).toBe(badge);
  });
});

describe('jobs by what needs attention', () => {
  const job = (name: string, badge: JobItem['badge'], lastRun?: Partial<RunItem>): JobItem => ({ namespace: 'finance', name, badge, timeZone: 'UTC', ...(lastRun ? { lastRun: run(`${name}-r`, '2024-01-01T00:00:00Z', lastRun) } : {}) });
  const stake = (usd: string, eur = '0') => ({ USD: { leftOnly: usd, rightOnly: '0', mismatched: '0' }, EUR: { leftOnly: eur, rightOnly: '0', mismatched: '0' } });

  it('failed and invalid first, then unbalanced by the largest amount in one currency, then by the oldest open break; balanced last', () => {
    const jobs = [
      job('a-balanced', 'balanced'),
      job('b-small', 'unbalanced', { atStake: stake('10.00') }),
      job('c-big-eur', 'unbalanced', { atStake: stake('0', '99999.99') }),
      job('d-failed', 'failed'),
      job('e-old', 'unbalanced', { atStake: stake('10.00'), breaks: { open: 1, new: 0, persisting: 1, resolved: 0, oldestOpenSince: '2023-11-01' } }),
      job('f-invalid', 'invalid'),
      job('g-running', 'running'),
      job('h-exact', 'unbalanced', { atStake: stake('99999.990000000000000001') }),
    ];
    expect(pageJobs(jobs, { limit: 100 }).items.map((j) => j.name)).toEqual(['d-failed', 'f-invalid', 'h-exact', 'c-big-eur', 'e-old', 'b-small', 'g-running', 'a-balanced']);
    expect(pageJobs(jobs, { limit: 100, sort: 'name' }).items.map((j) => j.name)[0]).toBe('a-balanced');
    const p1 = pageJobs(jobs, { limit: 3 });
    const p2 = pageJobs(jobs, { limit: 10, after: decodeContinue(p1.metadata.continue, 2)! });
    expect([...p1.items, ...p2.items].map((j) => j.name)).toEqual(pageJobs(jobs, { limit: 100 }).items.map((j) => j.name));
  });

  it('orders money exactly, never across currencies', () => {
    expect(largestAtStake({ USD: { leftOnly: '0.1', rightOnly: '0.2', mismatched: '-0.3' }, EUR: { leftOnly: '0.5', rightOnly: '0', mismatched: '0' } })).toBe(scaledDecimal('0.6'));
    expect(scaledDecimal('-1.5')).toBe(-1_500_000_000_000_000_000n);
  });
});

describe('which run of a window counts', () => {
  it('the newest committed run; older and unfinished ones name it', () => {
    const w = '2024-01-02T00:00:00Z';
    const runs = [
      run('orders-20240102', w, { completionTime: '2024-01-02T02:00:00Z' }),
      run('orders-20240102-rerun-1', w, { completionTime: '2024-01-03T09:00:00Z', trigger: 'Manual' }),
      run('orders-20240102-backfill', w, { completionTime: '2024-01-03T08:00:00Z', trigger: 'Backfill' }),
      run('orders-20240102-rerun-2', w, { phase: 'Failed', completionTime: '2024-01-04T00:00:00Z' }),
      run('orders-20240101', '2024-01-01T00:00:00Z'),
    ];
    expect(markSuperseded(runs).map((r) => [r.name, r.supersededBy])).toEqual([
      ['orders-20240102', 'orders-20240102-rerun-1'],
      ['orders-20240102-rerun-1', undefined],
      ['orders-20240102-backfill', 'orders-20240102-rerun-1'],
      ['orders-20240102-rerun-2', 'orders-20240102-rerun-1'],
      ['orders-20240101', undefined],
    ]);
  });

  it('a failed run reads as a sentence and keeps the engine\'s message', () => {
    const item = runItem({ metadata: { name: 'r', namespace: 'finance' }, spec: { jobRef: { name: 'orders' }, window: { start: 'a', end: 'b' }, trigger: 'Scheduled' }, status: { phase: 'Failed', failedStage: 'stage', message: 'stage "stage" failed: Could not load credentials from any providers' } });
    expect(item.failure).toBe('Fetching the input files failed: Could not load credentials from any providers');
    expect(item.message).toContain('stage "stage" failed');
  });
});
