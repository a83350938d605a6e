// One reconciliation run as named stages over an engine:
//
//   render -> carry -> stage -> load -> plan -> keys -> compare -> ledger -> summaries -> publish
//
// Each stage is a module in stages/ that takes the RunContext, the Engine and what the
// stages before it returned, and returns what the ones after it need. The engine (DuckDB
// by default, or Spark) only executes SQL and reads and writes files; every decision that
// depends on the data is made in TypeScript in the stages, so both engines give one
// answer. A new step goes in as a stage module called here in its place (a check on user
// SQL before load, say, or a stage after compare that reads `recon`). Every failure names
// its stage (RunError).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Side } from '../compare/plan.ts';
import type { Engine } from '../engine/engine.ts';
import { openEngine } from '../engine/open.ts';
import { readsInPlace } from '../engine/spark-s3a.ts';
import { Transports } from '../stage/schemes.ts';
import { renderSql, templateVars, type TemplateVars } from '../template/render.ts';
import { stepClock, stepWith, type Rendered, type RunContext, type RunOptions } from './context.ts';
import { duckMessage } from './duck.ts';
import { outputLocation, renderedOutUri } from './output-location.ts';
import { planSide, type SidePlan } from './side-inputs.ts';
import { readCarryState } from './stages/carry.ts';
import { compareRows } from './stages/compare.ts';
import { buildLedger } from './stages/ledger.ts';
import { checkKeys } from './stages/keys.ts';
import { loadSides } from './stages/load.ts';
import { planCompare } from './stages/plan.ts';
import { publish, writeResult } from './stages/publish.ts';
import { stagedBytes, stageInputs } from './stages/stage.ts';
import { runSummaries } from './stages/summaries.ts';
import { expectationsFrom, isBalanced, type RunSummary } from './summary.ts';

export { RunError, type RunOptions, type Stage } from './context.ts';

export async function runRecon(opts: RunOptions): Promise<RunSummary> {
  const { job } = opts;
  const spec = job.spec;
  const env = opts.env ?? process.env;
  // Engine errors become one line; before an engine is open, DuckDB's formatting is harmless.
  let message: (err: unknown) => string = duckMessage;
  const step = stepWith((err) => message(err));

  // ---- render
  const vars: TemplateVars = templateVars({
    window: opts.window,
    jobName: job.metadata.name,
    jobNamespace: job.metadata.namespace ?? 'default',
    runName: opts.runName,
  });
  const rendered: Rendered = await step('render', undefined, async () => ({
    sides: { left: planSide(spec.left, 'left', vars), right: planSide(spec.right, 'right', vars) } as Record<Side, SidePlan>,
    outUri: renderedOutUri(opts, spec, opts.window, vars),
    summaries: (spec.summaries ?? []).map((s, i) => ({ name: s.name, sql: renderSql(s.sql, vars, `spec.summaries[${i}].sql`), field: `spec.summaries[${i}].sql` })),
  }));
  // Relative output paths: --out and the default are relative to the working directory,
  // spec.output.uri to the manifest (like the inputs).
  const outUri = await step('validate', undefined, async () => outputLocation(opts, spec, rendered.outUri));
  const engineName = opts.engine ?? spec.engine ?? 'duckdb';

  const workDir = await mkdtemp(join(opts.workDir ?? env.RAAS_WORK_DIR ?? tmpdir(), 'raas-run-'));
  const ctx: RunContext = {
    opts,
    spec,
    names: { left: spec.left.name ?? 'left', right: spec.right.name ?? 'right' },
    mode: spec.output?.mode ?? 'AllDiffs',
    outFormat: spec.output?.format ?? 'parquet',
    rendered,
    outUri,
    workDir,
    localOut: join(workDir, 'out'),
    transports: new Transports(env),
    env,
    progress: opts.progress ?? (() => {}),
    step,
  };
  let engine: Engine | undefined;
  try {
    // ---- carry: the previous window's open items and the closed breaks
    const carry = await readCarryState(ctx);

    // ---- stage
    const tStage = performance.now();
    // Spark reads s3:// itself (S3A), where the data is; DuckDB reads local copies.
    const staged = await stageInputs(ctx, engineName === 'spark' ? { remoteInPlace: readsInPlace } : {});
    const stageMs = Math.round(performance.now() - tStage);

    // ---- load
    const clock = stepClock();
    await mkdir(ctx.localOut, { recursive: true });
    engine = await step('load', undefined, async () => openEngine(engineName, ctx, engineName === 'spark' ? await stagedBytes(staged) : undefined));
    const eng = engine;
    message = (err) => eng.message(err);
    const loaded = await loadSides(ctx, eng, staged, carry.openItemsFile ? [{ view: 'carried_raw', file: carry.openItemsFile }] : []);
    const loadMs = clock.mark();

    // ---- plan
    const { plan, columns } = await planCompare(ctx, eng, loaded);
    const planMs = clock.mark();

    // ---- keys
    const keys = await checkKeys(ctx, eng, plan, loaded);
    // The grouped compare join ran inside the key checks; its time is the join's.
    const keysMs = clock.mark() - Math.round(keys.groupedMs);

    // ---- compare
    const compared = await compareRows(ctx, eng, plan, keys, columns, loaded.csvFields);
    const joinMs = clock.mark() + Math.round(keys.groupedMs);

    // ---- ledger: breaks with ids and ages, carried items matched late, money at stake
    const ledger = await buildLedger(ctx, eng, plan, loaded, columns, carry);
    // This window's keys that resolved a carried item are not left- or right-only any more.
    const counts = spec.carryForward
      ? { ...compared.counts, leftOnly: compared.counts.leftOnly - ledger.late.left, rightOnly: compared.counts.rightOnly - ledger.late.right, matchedLate: ledger.late.left + ledger.late.right }
      : compared.counts;
    const balanced = compared.unbalancedBy.length === 0 && isBalanced(counts, expectationsFrom(spec.expect));
    const ledgerMs = clock.mark();

    // ---- summaries
    const summaries = await runSummaries(ctx, eng, plan, 'made');
    const summariesMs = clock.mark();
    const compareMs = clock.since();

    // ---- publish: the engine writes the result, then summary.json goes last
    const tWrite = performance.now();
    const written = await writeResult(ctx, eng, ledger.openItems);
    await eng.close();
    engine = undefined;
    const summary: RunSummary = {
      job: job.metadata.name,
      ...(job.metadata.namespace ? { namespace: job.metadata.namespace } : {}),
      run: opts.runName,
      window: { start: opts.window.start, end: opts.window.end },
      balanced,
      counts,
      mismatchedByColumn: compared.mismatchedByColumn,
      diffTotals: compared.diffTotals,
      summaries,
      ...(ledger.atStake ? { atStake: ledger.atStake, atStakeByAge: ledger.atStakeByAge } : {}),
      breaks: ledger.breaks,
      openItems: { uri: '', count: ledger.openItems },
      results: { uri: outUri, files: [], summaryUri: '', mode: ctx.mode, format: ctx.outFormat },
      ...(compared.warnings.length ? { warnings: compared.warnings } : {}),
      timings: { stageMs, compareMs, writeMs: 0, steps: { loadMs, planMs, keysMs, joinMs, ledgerMs, summariesMs } },
    };
    return await publish(ctx, summary, written, tWrite);
  } finally {
    await engine?.close().catch(() => {});
    await ctx.transports.close();
    await rm(workDir, { recursive: true, force: true });
  }
}
