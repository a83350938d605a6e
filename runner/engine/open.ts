// Opens the engine a run asked for. Spark is loaded only when asked for, so a DuckDB run
// never starts a JVM or imports the Spark driver code.
import type { RunContext } from '../run/context.ts';
import { DuckEngine } from './duckdb.ts';
import type { Engine, EngineName } from './engine.ts';

/** inputBytes: the size of the run's input files, when all are local (Spark tunes its JVM by it). */
export async function openEngine(name: EngineName, ctx: RunContext, inputBytes?: number): Promise<Engine> {
  const { opts, workDir } = ctx;
  if (name === 'spark') {
    const { SparkEngine } = await import('./spark.ts');
    return SparkEngine.open({
      env: ctx.env,
      out: { uri: ctx.outUri, runName: opts.runName },
      ...(inputBytes !== undefined ? { inputBytes } : {}),
      progress: ctx.progress,
      ...(opts.onSql ? { onSql: opts.onSql } : {}),
    });
  }
  return DuckEngine.open({
    workDir,
    ...(opts.memoryLimit ? { memoryLimit: opts.memoryLimit } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.onSql ? { onSql: opts.onSql } : {}),
  });
}
