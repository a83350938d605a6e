import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../run/summary.ts';
import { catalogMigrationSql, rowsTableSql, runsTableSql, upsertRunSql } from './catalog.ts';

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
  it('upserts on namespace, job, run name and window, with every value as a parameter', () => {
    const { sql, params } = upsertRunSql('recon.runs', summary);
    expect(sql).toMatch(/^INSERT INTO "recon"\."runs" \(run, window_start, window_end, job, .*\) VALUES \(\$1, \$2, .*\$22\) ON CONFLICT \(namespace, job, run, window_start, window_end\) DO UPDATE SET balanced = EXCLUDED\.balanced, /);
    expect(sql).not.toMatch(/SET .*\b(namespace|job|run) = EXCLUDED/);
    expect(sql).not.toContain('j-20240101');
    expect(params.slice(0, 6)).toEqual(['j-20240101-20240102', '2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00', 'j', 'finance', false]);
    // Decimals stay strings inside the JSON.
    expect(params).toContain('{"amount":"-10.00"}');
    expect(params).toContain('{"s":"12345678901234567890.12"}');
  });
  it('creates keyed tables if missing', () => {
    expect(runsTableSql('raas_runs')).toMatch(/^CREATE TABLE IF NOT EXISTS "raas_runs" \([\s\S]*namespace text NOT NULL,[\s\S]*PRIMARY KEY \(namespace, job, run, window_start, window_end\)\n\)$/);
    expect(rowsTableSql('r.rows')).toMatch(/PRIMARY KEY \(namespace, job, run, window_start, window_end, row_number\)/);
  });
  it('a run without a namespace is namespace "" (a key column cannot be NULL)', () => {
    const { job: _j, namespace: _n, ...rest } = summary;
    expect(upsertRunSql('t', { ...rest, job: 'j' }).params[4]).toBe('');
  });
});

describe('catalogMigrationSql', () => {
  const oldRunsKey = { name: 'runs_pkey', columns: ['run', 'window_start', 'window_end'] };
  it.each([
    ['current runs table', 'runs', { columns: [], primaryKey: { name: 'p', columns: ['window_end', 'namespace', 'job', 'run', 'window_start'] } }, []],
    ['current rows table', 'rows', { columns: [], primaryKey: { name: 'p', columns: ['namespace', 'job', 'run', 'window_start', 'window_end', 'row_number'] } }, []],
    [
      'runs table of the earlier key',
      'runs',
      { columns: ['run', 'namespace', 'job'], primaryKey: oldRunsKey },
      [
        `UPDATE "recon"."runs" SET namespace = '' WHERE namespace IS NULL`,
        'ALTER TABLE "recon"."runs" ALTER COLUMN namespace SET NOT NULL',
        'ALTER TABLE "recon"."runs" DROP CONSTRAINT "runs_pkey"',
        'ALTER TABLE "recon"."runs" ADD PRIMARY KEY (namespace, job, run, window_start, window_end)',
      ],
    ],
  ] as const)('%s', (_n, kind, shape, sql) => {
    expect(catalogMigrationSql(kind, kind === 'runs' ? 'recon.runs' : 'recon.rows', { columns: [...shape.columns], primaryKey: { name: shape.primaryKey.name, columns: [...shape.primaryKey.columns] } }, 'recon.runs')).toEqual(sql);
  });
  it('rows table of the earlier key: columns added, filled from the runs table, unattributed rows refused, key replaced', () => {
    const sql = catalogMigrationSql('rows', 'recon.rows', { columns: ['run', 'window_start', 'window_end', 'row_number'], primaryKey: { name: 'rows_pkey', columns: ['run', 'window_start', 'window_end', 'row_number'] } }, 'recon.runs');
    expect(sql[0]).toBe('ALTER TABLE "recon"."rows" ADD COLUMN namespace text');
    expect(sql[1]).toBe('ALTER TABLE "recon"."rows" ADD COLUMN job text');
    expect(sql[2]).toMatch(/^UPDATE "recon"\."rows" AS r SET namespace = coalesce\(x\.namespace, ''\), job = x\.job FROM "recon"\."runs" AS x WHERE/);
    expect(sql[3]).toMatch(/RAISE EXCEPTION 'raas-catalog-unattributed-rows'/);
    expect(sql.slice(-2)).toEqual(['ALTER TABLE "recon"."rows" DROP CONSTRAINT "rows_pkey"', 'ALTER TABLE "recon"."rows" ADD PRIMARY KEY (namespace, job, run, window_start, window_end, row_number)']);
  });
});
