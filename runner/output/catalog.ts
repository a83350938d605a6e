// The results catalog: after a run is published, one summary row per run, and
// optionally its result rows, go into PostgreSQL tables for other systems. Idempotent per
// run: rows are keyed by run name and window, so re-running replaces them; everything is
// one transaction, so readers see the old run or the new one. Tables (and a schema, when
// the name is qualified) are created if missing.
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteLiteral } from '../compare/sql-text.ts';
import { CATALOG_URL_ENV, type CatalogSpec } from '../spec/connections.ts';
import { errorText } from '../stage/publish-text.ts';
import type { Env } from '../stage/types.ts';
import type { RunSummary } from '../run/summary.ts';

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const FIELD = 'spec.output.catalog';
const BATCH = 2000;

/** "schema.table" -> quoted parts; names are checked by zod to be plain identifiers. */
function qualified(name: string): { sql: string; schema: string | undefined } {
  const parts = name.split('.');
  return { sql: parts.map((p) => `"${p}"`).join('.'), schema: parts.length === 2 ? parts[0] : undefined };
}

export function runsTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(table).sql} (
  run text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  job text NOT NULL,
  namespace text,
  balanced boolean NOT NULL,
  left_rows bigint NOT NULL,
  right_rows bigint NOT NULL,
  matched bigint NOT NULL,
  mismatched bigint NOT NULL,
  left_only bigint NOT NULL,
  right_only bigint NOT NULL,
  duplicate_keys_left bigint NOT NULL,
  duplicate_keys_right bigint NOT NULL,
  null_keys_left bigint NOT NULL,
  null_keys_right bigint NOT NULL,
  mismatched_by_column jsonb NOT NULL,
  diff_totals jsonb NOT NULL,
  summaries jsonb NOT NULL,
  results_uri text NOT NULL,
  result_files jsonb NOT NULL,
  summary_uri text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run, window_start, window_end)
)`;
}

export function rowsTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(table).sql} (
  run text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  row_number bigint NOT NULL,
  recon_status text NOT NULL,
  row jsonb NOT NULL,
  PRIMARY KEY (run, window_start, window_end, row_number)
)`;
}

const COLUMNS = [
  'run', 'window_start', 'window_end', 'job', 'namespace', 'balanced', 'left_rows', 'right_rows', 'matched', 'mismatched', 'left_only', 'right_only',
  'duplicate_keys_left', 'duplicate_keys_right', 'null_keys_left', 'null_keys_right', 'mismatched_by_column', 'diff_totals', 'summaries', 'results_uri', 'result_files', 'summary_uri',
] as const;

/** The upsert of one run's summary row, with its parameters. Pure. */
export function upsertRunSql(table: string, s: RunSummary): { sql: string; params: unknown[] } {
  const c = s.counts;
  // Decimal strings stay strings inside the JSON: jsonb would keep numbers exact, but
  // readers in other languages parse JSON numbers as doubles.
  const params: unknown[] = [
    s.run, s.window.start, s.window.end, s.job, s.namespace ?? null, s.balanced, c.left, c.right, c.matched, c.mismatched, c.leftOnly, c.rightOnly,
    c.duplicateKeysLeft, c.duplicateKeysRight, c.nullKeysLeft, c.nullKeysRight, JSON.stringify(s.mismatchedByColumn), JSON.stringify(s.diffTotals),
    JSON.stringify(s.summaries), s.results.uri, JSON.stringify(s.results.files), s.results.summaryUri,
  ];
  const values = COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  const updates = [...COLUMNS.slice(3).map((k) => `${k} = EXCLUDED.${k}`), 'written_at = now()'].join(', ');
  return { sql: `INSERT INTO ${qualified(table).sql} (${COLUMNS.join(', ')}) VALUES (${values}) ON CONFLICT (run, window_start, window_end) DO UPDATE SET ${updates}`, params };
}

export interface CatalogWrite {
  spec: CatalogSpec;
  summary: RunSummary;
  /** The local result file (parquet or csv), read again for the rows table. */
  resultFile: string;
  resultFormat: 'parquet' | 'csv';
  env: Env;
  onProgress?: (m: string) => void;
}

export async function writeCatalog(w: CatalogWrite): Promise<{ rows: number }> {
  const envName = w.spec.urlEnv ?? CATALOG_URL_ENV;
  const url = w.env[envName];
  if (!url) {
    throw w.spec.urlEnv
      ? new CatalogError(`${FIELD}.urlEnv: environment variable ${envName} is not set; put the catalog's connection URL in a Secret listed in spec.runner.envFrom`, `${FIELD}.urlEnv`)
      : new CatalogError(`${FIELD}.postgres.secretRef: environment variable ${envName} is not set; in a cluster the operator sets it from the Secret, for raas run export it`, `${FIELD}.postgres.secretRef`);
  }
  const secrets = [url];
  try {
    const p = new URL(url).password;
    if (p) secrets.push(p, decodeURIComponent(p));
  } catch {
    // an unparsable URL fails in the driver; the scrub still covers the whole string
  }
  const scrub = (m: string) => secrets.filter((x) => x.length >= 3).reduce((acc, x) => acc.split(x).join('***'), m);
  const runsTable = w.spec.table ?? 'raas_runs';
  const { default: pg } = await import('pg');
  const mode = w.spec.tls?.mode;
  const ca = w.spec.tls?.caEnv ? w.env[w.spec.tls.caEnv] : undefined;
  const ssl = mode === 'disable' ? false : mode === 'require' ? { rejectUnauthorized: false } : mode === 'verify-full' || ca ? { rejectUnauthorized: true, ...(ca ? { ca } : {}) } : undefined;
  const client = new pg.Client({ connectionString: url, ...(ssl !== undefined ? { ssl } : {}) });
  client.on('error', () => undefined);
  let rows = 0;
  try {
    await client.connect();
    await client.query('BEGIN');
    for (const t of [runsTable, w.spec.rows]) {
      const schema = t ? qualified(t).schema : undefined;
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    }
    await client.query(runsTableSql(runsTable));
    const up = upsertRunSql(runsTable, w.summary);
    await client.query(up.sql, up.params);
    if (w.spec.rows) {
      const t = qualified(w.spec.rows).sql;
      await client.query(rowsTableSql(w.spec.rows));
      const key = [w.summary.run, w.summary.window.start, w.summary.window.end];
      await client.query(`DELETE FROM ${t} WHERE run = $1 AND window_start = $2 AND window_end = $3`, key);
      rows = await forEachResultBatch(w.resultFile, w.resultFormat, async (nums, statuses, jsons) => {
        await client.query(
          `INSERT INTO ${t} (run, window_start, window_end, row_number, recon_status, row) SELECT $1, $2, $3, n, s, r::jsonb FROM unnest($4::bigint[], $5::text[], $6::text[]) AS x(n, s, r)`,
          [...key, nums, statuses, jsons],
        );
      });
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof CatalogError) throw err;
    throw new CatalogError(scrub(`${FIELD}: ${describePgFailure(err)}`), FIELD);
  } finally {
    await client.end().catch(() => undefined);
  }
  w.onProgress?.(`catalog  run ${w.summary.run} written to ${runsTable}${w.spec.rows ? ` and ${rows} result row(s) to ${w.spec.rows}` : ''}`);
  return { rows };
}

function describePgFailure(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ECONNREFUSED') return 'cannot reach the catalog database: connection refused; check the host and port in the connection URL';
  if (code === 'ENOTFOUND') return 'cannot reach the catalog database: the host name does not resolve';
  if (code === '28P01' || code === '28000') return `authentication refused by the catalog database (${code}); check the user and password in the connection URL's Secret`;
  if (code === '42501') return `permission denied in the catalog database (${errorText(err)}); the user needs CREATE on the schema (or the tables made beforehand) and INSERT, UPDATE, DELETE on them`;
  return `writing the catalog failed: ${errorText(err).replace(/^\d+: /, '')}${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`;
}

/** Reads the result file in batches: row numbers, statuses and each row as JSON text (decimals exact). */
async function forEachResultBatch(file: string, format: 'parquet' | 'csv', fn: (nums: string[], statuses: string[], jsons: string[]) => Promise<void>): Promise<number> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  let n = 0;
  try {
    // CSV results are read back as text: the JSON then holds exactly what the file holds.
    const reader = format === 'parquet' ? `read_parquet(${quoteLiteral(file)})` : `read_csv(${quoteLiteral(file)}, all_varchar = true, header = true)`;
    const result = await conn.stream(`SELECT CAST(recon_status AS VARCHAR) AS s, CAST(to_json(t) AS VARCHAR) AS j FROM ${reader} t`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const rows = chunk.getRows();
      for (let i = 0; i < rows.length; i += BATCH) {
        const part = rows.slice(i, i + BATCH);
        await fn(
          part.map((_, k) => String(n + k + 1)),
          part.map((r) => String(r[0])),
          part.map((r) => String(r[1])),
        );
        n += part.length;
      }
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return n;
}
