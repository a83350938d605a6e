// The results catalog: after a run is published, one summary row per run, and
// optionally its result rows, go into PostgreSQL tables for other systems. Idempotent per
// run: rows are keyed by namespace, job, run name and window, so re-running replaces them
// and the same job name in two namespaces never touches the other's rows (a run without a
// namespace, `raas run` of a manifest without one, is namespace ''); everything is one
// transaction, so readers see the old run or the new one. Tables (and a schema, when the
// name is qualified) are created if missing; tables of the earlier key are migrated in
// place (catalogMigrationSql).
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
  namespace text NOT NULL,
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
  PRIMARY KEY (${RUN_KEY.join(', ')})
)`;
}

export function rowsTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(table).sql} (
  namespace text NOT NULL,
  job text NOT NULL,
  run text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  row_number bigint NOT NULL,
  recon_status text NOT NULL,
  row jsonb NOT NULL,
  PRIMARY KEY (${[...RUN_KEY, 'row_number'].join(', ')})
)`;
}

/** What identifies one run's rows: who ran it (namespace, job), which run, which window. */
export const RUN_KEY = ['namespace', 'job', 'run', 'window_start', 'window_end'] as const;

/** A table as it stands: its columns and its primary key's name and columns. */
export interface TableShape {
  columns: string[];
  primaryKey: { name: string; columns: string[] } | undefined;
}

export class CatalogMigrationError extends Error {}

/**
 * The statements that bring a table made with the earlier key (run, window) to the current
 * one, or [] when it is current. Pure. Runs table: a NULL namespace becomes '' (what a run
 * without one writes now) and the key gains namespace and job. Rows table: namespace and
 * job are filled from the runs table's row of the same run and window (unique under the
 * old key); rows whose run is not in the runs table cannot be attributed, and the
 * migration refuses rather than guess (the message says how to resolve it).
 */
export function catalogMigrationSql(kind: 'runs' | 'rows', table: string, shape: TableShape, runsTable: string): string[] {
  const want = kind === 'runs' ? [...RUN_KEY] : [...RUN_KEY, 'row_number'];
  const pk = shape.primaryKey;
  if (pk && pk.columns.length === want.length && want.every((c) => pk.columns.includes(c))) return [];
  const t = qualified(table).sql;
  const out: string[] = [];
  if (kind === 'runs') {
    out.push(`UPDATE ${t} SET namespace = '' WHERE namespace IS NULL`, `ALTER TABLE ${t} ALTER COLUMN namespace SET NOT NULL`);
  } else {
    for (const c of ['namespace', 'job']) if (!shape.columns.includes(c)) out.push(`ALTER TABLE ${t} ADD COLUMN ${c} text`);
    out.push(
      `UPDATE ${t} AS r SET namespace = coalesce(x.namespace, ''), job = x.job FROM ${qualified(runsTable).sql} AS x WHERE r.namespace IS NULL AND x.run = r.run AND x.window_start = r.window_start AND x.window_end = r.window_end`,
      `DO $$ BEGIN IF EXISTS (SELECT 1 FROM ${t} WHERE namespace IS NULL OR job IS NULL) THEN RAISE EXCEPTION 'raas-catalog-unattributed-rows'; END IF; END $$`,
      `ALTER TABLE ${t} ALTER COLUMN namespace SET NOT NULL, ALTER COLUMN job SET NOT NULL`,
    );
  }
  if (pk) out.push(`ALTER TABLE ${t} DROP CONSTRAINT "${pk.name.replace(/"/g, '""')}"`);
  out.push(`ALTER TABLE ${t} ADD PRIMARY KEY (${want.join(', ')})`);
  return out;
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
    s.run, s.window.start, s.window.end, s.job, s.namespace ?? '', s.balanced, c.left, c.right, c.matched, c.mismatched, c.leftOnly, c.rightOnly,
    c.duplicateKeysLeft, c.duplicateKeysRight, c.nullKeysLeft, c.nullKeysRight, JSON.stringify(s.mismatchedByColumn), JSON.stringify(s.diffTotals),
    JSON.stringify(s.summaries), s.results.uri, JSON.stringify(s.results.files), s.results.summaryUri,
  ];
  const values = COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  const key: ReadonlySet<string> = new Set(RUN_KEY);
  const updates = [...COLUMNS.filter((k) => !key.has(k)).map((k) => `${k} = EXCLUDED.${k}`), 'written_at = now()'].join(', ');
  return { sql: `INSERT INTO ${qualified(table).sql} (${COLUMNS.join(', ')}) VALUES (${values}) ON CONFLICT (${RUN_KEY.join(', ')}) DO UPDATE SET ${updates}`, params };
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
    await migrate(client, 'runs', runsTable, runsTable);
    const up = upsertRunSql(runsTable, w.summary);
    await client.query(up.sql, up.params);
    if (w.spec.rows) {
      const t = qualified(w.spec.rows).sql;
      await client.query(rowsTableSql(w.spec.rows));
      await migrate(client, 'rows', w.spec.rows, runsTable);
      const key = [w.summary.namespace ?? '', w.summary.job, w.summary.run, w.summary.window.start, w.summary.window.end];
      await client.query(`DELETE FROM ${t} WHERE namespace = $1 AND job = $2 AND run = $3 AND window_start = $4 AND window_end = $5`, key);
      rows = await forEachResultBatch(w.resultFile, w.resultFormat, async (nums, statuses, jsons) => {
        await client.query(
          `INSERT INTO ${t} (namespace, job, run, window_start, window_end, row_number, recon_status, row) SELECT $1, $2, $3, $4, $5, n, s, r::jsonb FROM unnest($6::bigint[], $7::text[], $8::text[]) AS x(n, s, r)`,
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

type PgClient = { query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }> };

async function tableShape(client: PgClient, table: string): Promise<TableShape> {
  const rel = qualified(table).sql;
  const cols = await client.query(`SELECT attname::text AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, [rel]);
  const pk = await client.query(
    `SELECT c.conname::text AS name, array_agg(a.attname::text) AS columns FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) WHERE c.conrelid = to_regclass($1) AND c.contype = 'p' GROUP BY c.conname`,
    [rel],
  );
  const p = pk.rows[0] as { name: string; columns: string[] } | undefined;
  return { columns: cols.rows.map((r) => String(r.name)), primaryKey: p ? { name: p.name, columns: p.columns } : undefined };
}

/** Brings a table of the earlier key to the current one, once: concurrent runs wait on a lock and find it done. */
async function migrate(client: PgClient, kind: 'runs' | 'rows', table: string, runsTable: string): Promise<void> {
  if (catalogMigrationSql(kind, table, await tableShape(client, table), runsTable).length === 0) return;
  await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`raas-catalog-migration:${table}`]);
  const steps = catalogMigrationSql(kind, table, await tableShape(client, table), runsTable);
  try {
    for (const sql of steps) await client.query(sql);
  } catch (err) {
    if (/raas-catalog-unattributed-rows/.test(errorText(err))) {
      throw new CatalogError(
        `${FIELD}.rows: table ${table} holds result rows of runs that are not in ${runsTable}, so they cannot be given the namespace and job the key now includes; ` +
          `delete those rows (or fill in their namespace and job columns) and run again`,
        `${FIELD}.rows`,
      );
    }
    throw err;
  }
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
