// Benchmark inputs: two Parquet files of N rows with known differences planted on the
// right side. Two shapes: `basic` (key `id` + amount DECIMAL, qty INTEGER, status VARCHAR,
// booked_on DATE) and `typed`, which adds the types that used to make planning read the
// data: a TIMESTAMPTZ (`booked_at`) and a VARCHAR unique to each row (`ref`). Written once
// per size and shape under .tmp/bench/<rows>[-typed]/ (git-ignored) because 10M rows take a
// while to produce and every variant must read byte-identical inputs.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type BenchShape = 'basic' | 'typed';

/** The compared (non-key) columns of each shape, in file order. */
export const BENCH_COLUMNS: Record<BenchShape, readonly string[]> = {
  basic: ['amount', 'qty', 'status', 'booked_on'],
  typed: ['amount', 'qty', 'status', 'booked_on', 'booked_at', 'ref'],
};

export interface BenchData {
  dir: string;
  left: string;
  right: string;
  /** True when the files already existed and were reused. */
  cached: boolean;
}

/** How many keys are moved so that they exist on one side only (left_only/right_only in docs/design.md, Compare semantics). */
export const ONE_SIDED_KEYS = 1000;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The row for index `i` of the left side. Values come from hash(i) so the data is not
 * trivially compressible or sorted by value, yet is the same on every run.
 */
function leftSelect(shape: BenchShape): string {
  const typed = [
    // Whole seconds within 2024, an instant (DuckDB describes it as TIMESTAMP WITH TIME ZONE).
    `TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((hash(i + 19) % 31536000)::BIGINT) AS booked_at`,
    // Unique per row and not in key order, like a payment reference.
    `'R' || lpad(((i * 7919) % 1000000007)::VARCHAR, 10, '0') || '-' || i::VARCHAR AS ref`,
  ];
  return [
    'i AS id',
    `CAST((hash(i) % 100000000)::BIGINT * 0.01 AS DECIMAL(18,2)) AS amount`,
    `CAST(hash(i + 7) % 1000 AS INTEGER) AS qty`,
    // A few NULL statuses on both sides: NULL equals NULL, so they must stay matches.
    `CASE WHEN i % 1000003 = 0 THEN NULL ELSE ['NEW', 'PAID', 'SETTLED', 'REFUNDED', 'VOID'][(hash(i + 13) % 5)::INTEGER + 1] END AS status`,
    `DATE '2024-01-01' + (i % 366)::INTEGER AS booked_on`,
    ...(shape === 'typed' ? typed : []),
  ].join(',\n    ');
}

/**
 * The right side: the same rows with planted differences. Rows where i % step = 5 get a
 * new key (N + i), giving ONE_SIDED_KEYS left-only and as many right-only keys while both
 * files keep exactly N rows.
 */
function rightSelect(rows: number, shape: BenchShape): string {
  const step = Math.max(1, Math.floor(rows / ONE_SIDED_KEYS));
  const typed =
    shape === 'typed'
      ? `,
    CASE WHEN i % 500000 = 61 THEN booked_at + INTERVAL 1 SECOND ELSE booked_at END AS booked_at,
    CASE WHEN i % 300000 = 89 THEN ref || 'x' ELSE ref END AS ref`
      : '';
  return `SELECT
    CASE WHEN i % ${step} = 5 THEN ${rows} + i ELSE i END AS id,
    CASE WHEN i % 10000 = 17 THEN amount + 0.01 ELSE amount END::DECIMAL(18,2) AS amount,
    CASE WHEN i % 100000 = 41 THEN qty + 1 ELSE qty END AS qty,
    CASE WHEN i % 20000 = 23 THEN 'DISPUTED' WHEN i % 1000000 = 99 THEN NULL ELSE status END AS status,
    CASE WHEN i % 250000 = 77 THEN booked_on + 1 ELSE booked_on END AS booked_on${typed}
  FROM (SELECT i, ${leftSelect(shape).replace(/^i AS id,\s*/, '')} FROM range(${rows}) t(i))`;
}

export async function ensureBenchData(root: string, rows: number, log: (line: string) => void, shape: BenchShape = 'basic'): Promise<BenchData> {
  const dir = join(root, shape === 'basic' ? String(rows) : `${rows}-${shape}`);
  const left = join(dir, 'left.parquet');
  const right = join(dir, 'right.parquet');
  if ((await exists(left)) && (await exists(right))) return { dir, left, right, cached: true };

  await mkdir(dir, { recursive: true });
  log(`generating ${rows.toLocaleString('en-US')} rows per side (${shape}) under ${dir} ...`);
  const t0 = performance.now();
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    // Written to a temporary name and renamed, so an interrupted run never leaves a
    // half-written file that a later run would take as the cached input.
    const lit = (p: string) => `'${p.replaceAll("'", "''")}'`;
    await rm(`${left}.part`, { force: true });
    await rm(`${right}.part`, { force: true });
    // Instants are written in UTC whatever the machine's zone, so every run reads the same file.
    await conn.run(`SET TimeZone = 'UTC'`);
    await conn.run(`COPY (SELECT ${leftSelect(shape)} FROM range(${rows}) t(i)) TO ${lit(`${left}.part`)} (FORMAT parquet, COMPRESSION zstd)`);
    await conn.run(`COPY (${rightSelect(rows, shape)}) TO ${lit(`${right}.part`)} (FORMAT parquet, COMPRESSION zstd)`);
    await rename(`${left}.part`, left);
    await rename(`${right}.part`, right);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, left, right, cached: false };
}
