// Property test: typed inputs (Parquet with INTEGER, BIGINT, DECIMAL and TIMESTAMPTZ
// columns), where the plan answers from the column types alone (no cast when both sides
// already have the type, no probe of a column whose type proves it). The runner must still
// agree with the plain TypeScript reference of the compare semantics on every count,
// per-column mismatch, diff total and result row, on both engines (Spark on fewer of the
// same seeded cases).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import { duckSql, makeTempDir } from '../support/recon-fixture.ts';
import { casesFor, ENGINES, engineReady, reconcileOn, timeoutFor } from '../support/engines.ts';
import { parseDecimal, referenceRecon, type RefColumn, type RefRow } from '../support/reference-recon.ts';

const RUNS = Number(process.env.RAAS_FUZZ_RUNS ?? 25);
// Spark runs fewer cases of the same seed: each run costs it seconds, not milliseconds.
const SPARK_RUNS = Number(process.env.RAAS_FUZZ_SPARK_RUNS ?? 3);
const SEED = process.env.RAAS_FUZZ_SEED ? Number(process.env.RAAS_FUZZ_SEED) : process.env.RAAS_FUZZ_RUNS ? Date.now() % 2 ** 31 : 20261206;

const NUMBER_TYPES = ['INTEGER', 'BIGINT', 'DECIMAL(12,2)'] as const;
const INSTANTS = ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.5Z', '2024-03-31T23:59:59Z', '1999-12-31T12:00:00Z'];

const row = fc.record({
  key: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null, freq: 10 }),
  n: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null, freq: 6 }),
  at: fc.option(fc.constantFrom(...INSTANTS), { nil: null, freq: 6 }),
});
const side = fc.record({ numberType: fc.constantFrom(...NUMBER_TYPES), rows: fc.array(row, { minLength: 1, maxLength: 10 }) });
type Side = typeof side extends fc.Arbitrary<infer T> ? T : never;

async function writeParquet(path: string, s: Side): Promise<void> {
  const lit = (v: string | number | null, type: string) => (v === null ? `CAST(NULL AS ${type})` : `CAST('${v}' AS ${type})`);
  const values = s.rows.map((r) => `(${lit(r.key, 'INTEGER')}, ${lit(r.n, s.numberType)}, ${lit(r.at, 'TIMESTAMPTZ')})`).join(', ');
  await duckSql(`SET TimeZone = 'UTC'; COPY (SELECT * FROM (VALUES ${values}) t(id, n, ts)) TO '${path}' (FORMAT parquet)`);
}

describe.each(ENGINES)('%s: typed inputs: plans made from the types agree with the reference', (engine) => {
  const runs = casesFor(engine, RUNS, SPARK_RUNS);
  it(`on ${runs} generated reconciliations (seed ${SEED})`, async (ctx) => {
    await engineReady(engine, ctx);
    const reconcile = reconcileOn(engine);
    const dir = await makeTempDir();
    try {
      await fc.assert(
        fc.asyncProperty(side, side, async (l, r) => {
          await writeParquet(join(dir, 'l.parquet'), l);
          await writeParquet(join(dir, 'r.parquet'), r);
          const files = { 'l.parquet': await readFile(join(dir, 'l.parquet')), 'r.parquet': await readFile(join(dir, 'r.parquet')) };
          const got = await reconcile(files, { left: { uri: 'l.parquet' }, right: { uri: 'r.parquet' }, keys: [{ column: 'id' }] });
          const toRef = (s: Side): RefRow[] => s.rows.map((x) => ({ key: x.key, values: { n: x.n === null ? null : String(x.n), ts: x.at === null ? null : new Date(x.at).toISOString() } }));
          const columns: RefColumn[] = [{ name: 'n', kind: 'number' }, { name: 'ts', kind: 'text' }];
          const want = referenceRecon(toRef(l), toRef(r), columns);
          expect(got.summary.counts).toEqual(want.counts);
          expect(got.summary.mismatchedByColumn).toEqual(want.mismatchedByColumn);
          const [gv, gs] = parseDecimal(got.summary.diffTotals.n!);
          const [wv, ws] = want.diffTotals.n!;
          const common = Math.max(gs, ws);
          expect(gv * 10n ** BigInt(common - gs)).toBe(wv * 10n ** BigInt(common - ws));
          expect(got.rows.map((x) => `${String(x.id)}:${String(x.recon_status)}`).sort()).toEqual(want.rows);
        }),
        { numRuns: runs, seed: SEED, endOnFailure: true },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, timeoutFor(engine, runs));
});
