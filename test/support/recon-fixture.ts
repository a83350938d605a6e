// Runs a real reconciliation (real files, real DuckDB, the real runner) on data written
// by a test, and reads the result file back, so tests assert counts and rows.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { validateReconJob } from '../../runner/spec/load.ts';
import { runRecon } from '../../runner/run/run-recon.ts';
import type { RunSummary } from '../../runner/run/summary.ts';
import { explicitWindow } from '../../runner/window/window.ts';

export type ResultRow = Record<string, unknown>;

export interface FixtureRun {
  summary: RunSummary;
  rows: ResultRow[];
  columns: string[];
  dir: string;
}

export async function makeTempDir(prefix = 'raas-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes files (relative path -> text) under dir. */
export async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/** Runs SQL in a scratch DuckDB, e.g. to write Parquet test inputs. */
export async function duckSql(sql: string): Promise<Array<Record<string, unknown>>> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const r = await conn.runAndReadAll(sql);
    return r.getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** The bytes of a Parquet file holding what `sql` selects, written by DuckDB. */
export async function parquetOf(sql: string): Promise<Buffer> {
  const dir = await makeTempDir();
  try {
    const file = join(dir, 'p.parquet');
    await duckSql(`COPY (${sql}) TO '${file}' (FORMAT parquet)`);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function readResult(file: string): Promise<{ rows: ResultRow[]; columns: string[] }> {
  const reader = file.endsWith('.csv') ? `read_csv('${file}', all_varchar = true)` : `read_parquet('${file}')`;
  const rows = await duckSql(`SELECT * FROM ${reader}`);
  const cols = await duckSql(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${reader})`);
  return { rows, columns: cols.map((c) => String(c.column_name)) };
}

/**
 * Reconciles `files` (written to a fresh directory) with `spec`; the spec's URIs are
 * relative to that directory. The window defaults to 2024-01-01 (UTC).
 */
export async function reconcile(
  files: Record<string, string | Buffer>,
  spec: Record<string, unknown>,
  opts: { start?: string; end?: string; name?: string; keep?: boolean; engine?: 'duckdb' | 'spark' } = {},
): Promise<FixtureRun> {
  const dir = await makeTempDir();
  try {
    await writeFiles(dir, files);
    const job = validateReconJob(
      { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: opts.name ?? 'test-job', namespace: 'test' }, spec },
      'test',
    );
    const out = join(dir, 'out');
    const summary = await runRecon({
      job,
      window: explicitWindow(opts.start ?? '2024-01-01', opts.end ?? '2024-01-02', job.spec.schedule?.timeZone ?? 'UTC'),
      runName: 'test-run',
      baseDir: dir,
      outUri: out,
      ...(opts.engine ? { engine: opts.engine } : {}),
    });
    const file = summary.results.files[0]!;
    const { rows, columns } = await readResult(file);
    const onDisk = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as RunSummary;
    if (JSON.stringify(onDisk.counts) !== JSON.stringify(summary.counts)) throw new Error('summary.json differs from the returned summary');
    return { summary, rows, columns, dir };
  } finally {
    if (!opts.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** Result rows as "key:status" strings, sorted, for compact assertions. */
export function statuses(rows: ResultRow[], key = 'id'): string[] {
  return rows.map((r) => `${String(r[key])}:${String(r.recon_status)}`).sort();
}
