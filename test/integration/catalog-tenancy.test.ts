// The results catalog against a real PostgreSQL: the same job name (and run name, and
// window) in two namespaces gives two summary rows and two sets of result rows, and a rerun
// replaces only its own; tables made with the earlier key (run, window) are migrated in
// place, keeping their rows; rows that cannot be attributed refuse the run with one line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCatalog } from '../../runner/output/catalog.ts';
import type { RunSummary } from '../../runner/run/summary.ts';
import { startPostgres } from '../support/postgres.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';

const pg = sharedService('PostgreSQL', () => startPostgres(), (s) => s.stop());

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'raas-catalog-tenancy-'));
  await writeFile(path.join(dir, 'two.csv'), 'id,recon_status,recon_mismatched\n1,mismatch,[amount]\n2,left_only,[]\n');
  await writeFile(path.join(dir, 'one.csv'), 'id,recon_status,recon_mismatched\n9,right_only,[]\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const summary = (namespace: string | undefined, matched: number): RunSummary => ({
  job: 'orders',
  ...(namespace !== undefined ? { namespace } : {}),
  run: 'orders-20240101',
  window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' },
  balanced: false,
  counts: { left: 1, right: 1, matched, mismatched: 1, leftOnly: 1, rightOnly: 0, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 },
  mismatchedByColumn: { amount: 1 },
  diffTotals: { amount: '1.00' },
  summaries: {},
  results: { uri: `s3://r/${namespace}/`, files: [], summaryUri: `s3://r/${namespace}/summary.json`, mode: 'AllDiffs', format: 'csv' },
  timings: { stageMs: 0, compareMs: 0, writeMs: 0 },
});

async function database(ctx: SkipContext, name: string): Promise<{ url: string; sql: (text: string) => Promise<Array<Record<string, unknown>>> }> {
  const server = await pg(ctx);
  await server.sql(`CREATE DATABASE ${name}`);
  const url = server.adminUrl.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  const { default: pgLib } = await import('pg');
  return {
    url,
    sql: async (text) => {
      const c = new pgLib.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(text)).rows as Array<Record<string, unknown>>;
      } finally {
        await c.end();
      }
    },
  };
}

const write = (url: string, s: RunSummary, file: string) =>
  writeCatalog({ spec: { table: 'recon.runs', rows: 'recon.rows' }, summary: s, resultFile: path.join(dir, file), resultFormat: 'csv', env: { RAAS_CATALOG_URL: url } });

describe('results catalog keyed by namespace, job, run and window', { timeout: 120_000 }, () => {
  it('the same job, run name and window in two namespaces keep their own rows; a rerun replaces only its own', async (ctx: SkipContext) => {
    const db = await database(ctx, 'tenancy');
    await write(db.url, summary('team-a', 1), 'two.csv');
    await write(db.url, summary('team-b', 5), 'one.csv');
    await write(db.url, summary(undefined, 7), 'one.csv');
    // Rerun in team-a: replaces team-a's rows, nobody else's.
    await write(db.url, summary('team-a', 2), 'two.csv');
    expect(await db.sql('SELECT namespace, job, matched::int AS matched FROM recon.runs ORDER BY namespace')).toEqual([
      { namespace: '', job: 'orders', matched: 7 },
      { namespace: 'team-a', job: 'orders', matched: 2 },
      { namespace: 'team-b', job: 'orders', matched: 5 },
    ]);
    expect(await db.sql(`SELECT namespace, row->>'id' AS id FROM recon.rows ORDER BY namespace, row_number`)).toEqual([
      { namespace: '', id: '9' },
      { namespace: 'team-a', id: '1' },
      { namespace: 'team-a', id: '2' },
      { namespace: 'team-b', id: '9' },
    ]);
  });

  it('migrates tables of the earlier key in place, keeping their rows', async (ctx: SkipContext) => {
    const db = await database(ctx, 'legacy');
    // The tables as the earlier key made them, holding one run without a namespace and one with.
    await db.sql(`CREATE SCHEMA recon;
      CREATE TABLE recon.runs (run text NOT NULL, window_start timestamptz NOT NULL, window_end timestamptz NOT NULL, job text NOT NULL, namespace text, balanced boolean NOT NULL,
        left_rows bigint NOT NULL, right_rows bigint NOT NULL, matched bigint NOT NULL, mismatched bigint NOT NULL, left_only bigint NOT NULL, right_only bigint NOT NULL,
        duplicate_keys_left bigint NOT NULL, duplicate_keys_right bigint NOT NULL, null_keys_left bigint NOT NULL, null_keys_right bigint NOT NULL,
        mismatched_by_column jsonb NOT NULL, diff_totals jsonb NOT NULL, summaries jsonb NOT NULL, results_uri text NOT NULL, result_files jsonb NOT NULL, summary_uri text NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run, window_start, window_end));
      CREATE TABLE recon.rows (run text NOT NULL, window_start timestamptz NOT NULL, window_end timestamptz NOT NULL, row_number bigint NOT NULL, recon_status text NOT NULL, row jsonb NOT NULL,
        PRIMARY KEY (run, window_start, window_end, row_number));
      INSERT INTO recon.runs VALUES ('old-local', '2023-12-01', '2023-12-02', 'orders', NULL, true, 1,1,1,0,0,0,0,0,0,0, '{}', '{}', '{}', 'x', '[]', 'x/summary.json'),
                                    ('orders-20240101', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 'orders', 'team-a', true, 1,1,1,0,0,0,0,0,0,0, '{}', '{}', '{}', 'x', '[]', 'x/summary.json');
      INSERT INTO recon.rows VALUES ('old-local', '2023-12-01', '2023-12-02', 1, 'match', '{"id":"old"}'),
                                    ('orders-20240101', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 1, 'match', '{"id":"a-old"}');`);
    // team-b's run of the same name and window no longer replaces team-a's.
    await write(db.url, summary('team-b', 5), 'one.csv');
    expect(await db.sql('SELECT namespace, run, matched::int AS matched FROM recon.runs ORDER BY namespace, run')).toEqual([
      { namespace: '', run: 'old-local', matched: 1 },
      { namespace: 'team-a', run: 'orders-20240101', matched: 1 },
      { namespace: 'team-b', run: 'orders-20240101', matched: 5 },
    ]);
    expect(await db.sql(`SELECT namespace, job, row->>'id' AS id FROM recon.rows ORDER BY namespace, id`)).toEqual([
      { namespace: '', job: 'orders', id: 'old' },
      { namespace: 'team-a', job: 'orders', id: 'a-old' },
      { namespace: 'team-b', job: 'orders', id: '9' },
    ]);
    const key = await db.sql(`SELECT array_agg(a.attname::text ORDER BY a.attname) AS cols FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) WHERE c.conrelid = 'recon.runs'::regclass AND c.contype = 'p'`);
    expect(key[0]!.cols).toEqual(['job', 'namespace', 'run', 'window_end', 'window_start']);
  });

  it('refuses, with one line, to migrate result rows whose run it cannot attribute', async (ctx: SkipContext) => {
    const db = await database(ctx, 'orphans');
    await db.sql(`CREATE SCHEMA recon;
      CREATE TABLE recon.rows (run text NOT NULL, window_start timestamptz NOT NULL, window_end timestamptz NOT NULL, row_number bigint NOT NULL, recon_status text NOT NULL, row jsonb NOT NULL,
        PRIMARY KEY (run, window_start, window_end, row_number));
      INSERT INTO recon.rows VALUES ('gone', '2023-12-01', '2023-12-02', 1, 'match', '{"id":"x"}');`);
    const err = await write(db.url, summary('team-a', 1), 'two.csv').then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toBe(
      'spec.output.catalog.rows: table recon.rows holds result rows of runs that are not in recon.runs, so they cannot be given the namespace and job the key now includes; delete those rows (or fill in their namespace and job columns) and run again',
    );
    // Nothing was changed: the whole write is one transaction.
    expect(await db.sql(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'recon' AND table_name = 'rows' AND column_name = 'namespace'`)).toEqual([{ n: 0 }]);
    expect(await db.sql(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'recon' AND table_name = 'runs'`)).toEqual([{ n: 0 }]);
  });
});
