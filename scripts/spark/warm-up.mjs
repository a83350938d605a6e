// Makes the Spark driver's class-data-sharing archive (docs/adr/0171-spark-driver-jvm-start.md):
// one small `raas run --engine spark` on a CSV and a Parquet input, with the JVM told to
// archive every class it loaded when it exits. Later driver JVMs map the archive instead of
// finding, reading and verifying those classes in Spark's jars again, which is most of a
// small Spark run's start. Run by scripts/install-spark.sh after `npm ci`:
//   node scripts/spark/warm-up.mjs <archive>
// The archive is written next to its final name and renamed once complete; on any failure
// nothing is left, and runs simply start without it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const archive = process.argv[2];
if (!archive) throw new Error('usage: node scripts/spark/warm-up.mjs <archive>');

const dir = mkdtempSync(join(tmpdir(), 'raas-spark-warm-up-'));
const partial = `${archive}.partial-${process.pid}`;
try {
  mkdirSync(join(dir, 'data'));
  const lit = (p) => `'${p.replaceAll("'", "''")}'`;
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const rows = `SELECT i AS id, CAST(i * 1.25 AS DECIMAL(12,2)) AS amount, CASE WHEN i % 3 = 0 THEN 'EUR' ELSE 'USD' END AS currency, DATE '2024-01-01' + CAST(i % 5 AS INTEGER) AS booked_on FROM range(200) t(i)`;
  await con.run(`COPY (${rows}) TO ${lit(join(dir, 'data/left.csv'))} (HEADER true)`);
  await con.run(`COPY (SELECT * REPLACE (CASE WHEN id % 7 = 0 THEN amount + 1 ELSE amount END AS amount) FROM (${rows}) WHERE id % 11 <> 0) TO ${lit(join(dir, 'data/right.parquet'))} (FORMAT parquet)`);
  con.closeSync();
  db.closeSync();
  writeFileSync(
    join(dir, 'reconjob.yaml'),
    `apiVersion: raas.dev/v1alpha1
kind: ReconJob
metadata: { name: spark-warm-up }
spec:
  engine: spark
  left: { uri: data/left.csv, query: "SELECT * FROM source WHERE amount >= 0" }
  right: { uri: data/right.parquet }
  keys: [{ column: id, type: numeric }]
  compare:
    - { column: amount, tolerance: { absolute: 0.01 } }
    - { column: currency, normalize: [trim, lower] }
    - { column: booked_on }
  summaries:
    - { name: total, sql: "SELECT sum(amount_diff) FROM result_table" }
`,
  );
  rmSync(partial, { force: true });
  const run = spawnSync(process.execPath, [join(ROOT, 'bin/raas.js'), 'run', '-f', join(dir, 'reconjob.yaml'), '--date', '2024-01-01', '--out', join(dir, 'out'), '-q'], {
    cwd: dir,
    env: { ...process.env, RAAS_SPARK_MASTER: 'local[2]', RAAS_SPARK_CONF: JSON.stringify({ 'spark.driver.extraJavaOptions': `-XX:ArchiveClassesAtExit=${partial}` }) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.status !== 0) throw new Error(`the warm-up run failed (exit ${run.status}): ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  if (!existsSync(partial)) throw new Error('the JVM wrote no archive (does this Java support -XX:ArchiveClassesAtExit? Java 13 or later)');
  renameSync(partial, archive);
  console.log(`warm-up: ${archive}`);
} finally {
  rmSync(partial, { force: true });
  rmSync(dir, { recursive: true, force: true });
}
