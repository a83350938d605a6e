import { describe, expect, it } from 'vitest';
import type { RunItem } from './listing.ts';
import { mergeHistory, outputPrefix } from './routes.ts';

const counts = (mismatched: number) => ({ left: 1, right: 1, matched: 1, mismatched, leftOnly: 0, rightOnly: 0, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 });
const summary = (start: string, extra: Record<string, unknown> = {}) => ({ summary: { job: 'orders', namespace: 'finance', run: `r-${start}`, window: { start, end: start }, balanced: true, counts: counts(0), ...extra } });
const run = (name: string, start: string, phase = 'Succeeded'): RunItem => ({ namespace: 'finance', name, job: 'orders', window: { start, end: start }, trigger: 'Scheduled', phase, counts: counts(3), createdAt: '2024-02-01T00:00:00Z' });
const job = { namespace: 'finance', name: 'orders' };

describe('job history', () => {
  it('takes runs over summaries of the same window, adds pruned windows, oldest first', () => {
    const h = mergeHistory(job, [run('b', '2024-01-02T00:00:00Z')], [summary('2024-01-02T00:00:00Z'), summary('2024-01-01T00:00:00Z')]);
    expect(h.map((p) => [p.window.start, p.source, p.counts?.mismatched])).toEqual([
      ['2024-01-01T00:00:00Z', 'summary', 0],
      ['2024-01-02T00:00:00Z', 'run', 3],
    ]);
  });

  it('keeps an older window\'s summary while its rerun is still running', () => {
    const h = mergeHistory(job, [run('rerun', '2024-01-01T00:00:00Z', 'Running')], [summary('2024-01-01T00:00:00Z')]);
    expect(h.map((p) => p.source)).toEqual(['summary']);
  });

  it('ignores summaries of another job or namespace under the same prefix, and malformed ones', () => {
    const h = mergeHistory(job, [], [summary('2024-01-01T00:00:00Z', { job: 'payroll' }), summary('2024-01-02T00:00:00Z', { namespace: 'hr' }), { summary: { job: 'orders', window: 'x' } }]);
    expect(h).toEqual([]);
  });

  it.each([
    ['s3://results/{{ job.name }}/{{ window.startDate }}/', 's3://results/orders/'],
    ['s3://results/{{ job.namespace }}/{{job.name}}/dt={{ window.startDate }}/', 's3://results/finance/orders/'],
    ['s3://results/fixed/', 's3://results/fixed/'],
    ['{{ window.startDate }}/out', undefined],
  ])('lists %s under %s', (uri, prefix) => {
    expect(outputPrefix({ metadata: { name: 'orders', namespace: 'finance' }, spec: { output: { uri } } })).toBe(prefix);
  });
});
