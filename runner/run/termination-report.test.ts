// The writer side of the termination report: whatever compactSummary/compactFailure
// produce parses with the one schema the operator reads (termination-report.ts).
import { describe, expect, it } from 'vitest';
import { compactFailure, compactSummary, type RunSummary } from './summary.ts';
import { terminationReportSchema, TERMINATION_MESSAGE_BYTES } from './termination-report.ts';

const summary = (columns: number, nameLength = 8): RunSummary => ({
  job: 'orders',
  run: 'orders-20240101-20240102',
  window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' },
  balanced: false,
  counts: { left: 3, right: 3, matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 },
  mismatchedByColumn: Object.fromEntries(Array.from({ length: columns }, (_, i) => [`c${String(i).padStart(nameLength, '0')}`, i])),
  diffTotals: Object.fromEntries(Array.from({ length: columns }, (_, i) => [`c${String(i).padStart(nameLength, '0')}`, `${i}.50`])),
  summaries: { total: '12.00', empty: null },
  results: { uri: 's3://results/orders/2024-01-01/', files: ['s3://results/orders/2024-01-01/result.csv'], summaryUri: 's3://results/orders/2024-01-01/summary.json', mode: 'AllDiffs', format: 'csv' },
  timings: { stageMs: 10, compareMs: 20, writeMs: 30 },
});

describe('termination report schema', () => {
  it.each([
    ['a small summary', compactSummary(summary(3))],
    ['a summary with per-step timings (what the runner writes)', compactSummary({ ...summary(3), timings: { stageMs: 1, compareMs: 2, writeMs: 3, steps: { loadMs: 1, planMs: 1, keysMs: 0, joinMs: 1, summariesMs: 0 } } })],
    ['a summary with warnings', compactSummary({ ...summary(0), warnings: ['no column was compared'] })],
    ['a truncated summary', compactSummary(summary(400, 40))],
    ['a failure', compactFailure('stage', 'spec.left.uri: s3://ledger/x.csv does not exist', { job: 'orders', run: 'r' })],
    ['a long failure', compactFailure('query', 'x'.repeat(5_000))],
  ])('%s parses and fits the termination message', (_what, text) => {
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_BYTES);
    const parsed = terminationReportSchema.safeParse(JSON.parse(text));
    expect(parsed.success, parsed.error?.message).toBe(true);
  });

  it('keeps the counts exact and drops what it does not know', () => {
    const text = JSON.stringify({ ...JSON.parse(compactSummary(summary(1))), futureField: { x: 1 } });
    const r = terminationReportSchema.parse(JSON.parse(text));
    expect(r.phase === 'Succeeded' && r.counts.matched).toBe(1);
    expect(r).not.toHaveProperty('futureField');
  });
});
