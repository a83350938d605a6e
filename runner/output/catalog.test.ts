import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../run/summary.ts';
import { rowsTableSql, runsTableSql, upsertRunSql } from './catalog.ts';

const summary: RunSummary = {
  job: 'j',
  namespace: 'finance',
  run: 'j-20240101-20240102',
  window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' },
  balanced: false,
  counts: { left: 3, right: 4, matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 2, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 },
  mismatchedByColumn: { amount: 1 },
  diffTotals: { amount: '-10.00' },
  summaries: { s: '12345678901234567890.12' },
  results: { uri: 'sftp://u@h/out/', files: ['sftp://u@h/out/result.csv'], summaryUri: 'sftp://u@h/out/summary.json', mode: 'AllDiffs', format: 'csv' },
  timings: { stageMs: 1, compareMs: 1, writeMs: 1 },
};

describe('catalog SQL', () => {
  it('upserts on run name and window, with every value as a parameter', () => {
    const { sql, params } = upsertRunSql('recon.runs', summary);
    expect(sql).toMatch(/^INSERT INTO "recon"\."runs" \(run, window_start, window_end, job, .*\) VALUES \(\$1, \$2, .*\$22\) ON CONFLICT \(run, window_start, window_end\) DO UPDATE SET job = EXCLUDED\.job, /);
    expect(sql).not.toContain('j-20240101');
    expect(params.slice(0, 6)).toEqual(['j-20240101-20240102', '2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00', 'j', 'finance', false]);
    // Decimals stay strings inside the JSON.
    expect(params).toContain('{"amount":"-10.00"}');
    expect(params).toContain('{"s":"12345678901234567890.12"}');
  });
  it('creates keyed tables if missing', () => {
    expect(runsTableSql('raas_runs')).toMatch(/^CREATE TABLE IF NOT EXISTS "raas_runs" \([\s\S]*PRIMARY KEY \(run, window_start, window_end\)\n\)$/);
    expect(rowsTableSql('r.rows')).toMatch(/PRIMARY KEY \(run, window_start, window_end, row_number\)/);
  });
});
