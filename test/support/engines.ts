// Both engines, one answer: suites that must hold on DuckDB and on Spark run their cases
// once per engine through this module. Spark runs share one driver (one JVM, one
// SparkContext) per test process: runner/engine/spark.ts keeps the driver it started for
// every later run of the same process, and each run opens its own Spark session in it.
// Without pyspark and Java (scripts/install-spark.sh) the Spark cases skip with the reason,
// and fail under CI=true.
import { findSpark } from '../../runner/engine/spark-install.ts';
import type { EngineName } from '../../runner/engine/engine.ts';
import { reconcile, type FixtureRun } from './recon-fixture.ts';
import { requireService, type SkipContext } from './require-service.ts';

export const ENGINES: readonly EngineName[] = ['duckdb', 'spark'];

/**
 * Per-test timeout for suites that run on both engines: a Spark case pays the JVM start
 * (first case of a file) and seconds per statement, minutes on a loaded machine.
 */
export const SPARK_TIMEOUT_MS = 900_000;

/** Skips (or, under CI=true, fails) a Spark case when Spark cannot run here; DuckDB always can. */
export async function engineReady(engine: EngineName, ctx: SkipContext): Promise<void> {
  if (engine !== 'spark') return;
  await requireService(
    'Spark (pyspark + Java, scripts/install-spark.sh)',
    async () => {
      const found = findSpark(process.env);
      if (found instanceof Error) throw found;
    },
    ctx,
  );
}

/**
 * Generated cases per engine: Spark pays a few seconds of job scheduling per run, so the
 * property suites give it a fixed, smaller share of the same seeded cases.
 */
export function casesFor(engine: EngineName, duckdbRuns: number, sparkRuns: number): number {
  return engine === 'spark' ? Math.min(duckdbRuns, sparkRuns) : duckdbRuns;
}

/** A generated-cases test's timeout: on Spark, the JVM start plus minutes per case on a loaded machine. */
export function timeoutFor(engine: EngineName, runs: number): number {
  return engine === 'spark' ? SPARK_TIMEOUT_MS + runs * 240_000 : 600_000;
}

/** `reconcile` on one engine. */
export function reconcileOn(engine: EngineName): typeof reconcile {
  return (files, spec, opts = {}) => reconcile(files, spec, { ...opts, engine });
}

/** What both engines must give alike: everything in a run but timings and locations. */
export function engineAnswer(run: FixtureRun) {
  const s = run.summary;
  const rows = run.rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
  return { balanced: s.balanced, counts: s.counts, mismatchedByColumn: s.mismatchedByColumn, diffTotals: s.diffTotals, summaries: s.summaries, warnings: s.warnings, columns: run.columns, rows };
}

export type { FixtureRun };
