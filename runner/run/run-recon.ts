// One reconciliation run, stage by stage (docs/design.md, How a run flows): render templates -> stage inputs ->
// DuckDB views -> lock down -> per-side query -> key checks -> compare -> summaries ->
// write locally -> publish, summary.json last. Every failure names its stage.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  castProbeSql,
  copyResultSql,
  groupedProofSql,
  reconFromGroupedSql,
  reconGroupedSql,
  dupKeysTableSql,
  duplicateKeysSql,
  duplicateStatsSql,
  fractionDigitsSql,
  insertDuplicatesSql,
  keyProfileSql,
  keyStatsSql,
  keyedViewSql,
  numericProbeSql,
  reconStatsSql,
  reconTableSql,
  resultTableViewSql,
  setAsideCountSql,
} from '../compare/build-sql.ts';
import { classifyType } from '../compare/column-types.ts';
import { describeClash, nameClash, parquetTopLevelNames, unambiguousDateFormat } from '../compare/column-names.ts';
import { describeCsvError, firstRaggedLine } from '../compare/load-errors.ts';
import { finalizePlan, PlanError, probeKey, resolveColumns, type ComparePlan, type NumericShape, type Side } from '../compare/plan.ts';
import { csvHeaderSql, csvSniffSql, detectFormat, groupedViewSql, joinedRowsSelectSql, jsonKeysSql, namedInputViewSql, readerSql, rowsSelectSql, summarySelectSql } from '../compare/source-sql.ts';
import { quoteIdent, quoteLiteral } from '../compare/sql-text.ts';
import type { ReconJob, SourceFormat, SourceSpec } from '../spec/schema.ts';
import { writeCatalog } from '../output/catalog.ts';
import { publishResults } from '../output/publish.ts';
import { defaultOutputFolder, overwriteGuard } from '../output/overwrite-guard.ts';
import { outputTarget } from '../output/target.ts';
import { copyJsonExact } from '../stage/json-exact.ts';
import { isRemote, Transports } from '../stage/schemes.ts';
import { renderSql, renderText, templateVars, type TemplateVars } from '../template/render.ts';
import type { ReconWindow } from '../window/window.ts';
import { Duck, duckMessage } from './duck.ts';
import { resultLocations } from './locations.ts';
import { checkUserSql } from './user-sql-check.ts';
import { planSide, type PlannedInput, type SidePlan } from './side-inputs.ts';
import { expectationsFrom, isBalanced, type Counts, type RunSummary } from './summary.ts';

export type Stage = 'validate' | 'render' | 'stage' | 'load' | 'query' | 'keys' | 'compare' | 'summaries' | 'write' | 'upload' | 'catalog';

export class RunError extends Error {
  constructor(
    readonly stage: Stage,
    message: string,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

export interface RunOptions {
  job: ReconJob;
  window: ReconWindow;
  runName: string;
  /** Directory relative paths in the manifest are read from. */
  baseDir: string;
  /** Overrides spec.output.uri (the CLI's --out). */
  outUri?: string;
  /** Default output location when neither --out nor spec.output.uri is given. */
  defaultOutUri?: string;
  memoryLimit?: string;
  threads?: number;
  workDir?: string;
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Called with the statements as they run, for --explain. */
  onSql?: (sql: string) => void;
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}

async function step<T>(stage: Stage, field: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RunError) throw err;
    const fieldOf = (err as { field?: unknown }).field;
    const msg = err instanceof Error ? err.message : String(err);
    // Errors that already name their field (plan, stage, template, format) pass through as is.
    if (typeof fieldOf === 'string') throw new RunError(stage, msg.startsWith(fieldOf) ? msg : `${fieldOf}: ${msg}`);
    throw new RunError(stage, field ? `${field}: ${duckMessage(err)}` : duckMessage(err));
  }
}

function numberOf(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return 0;
}

export async function runRecon(opts: RunOptions): Promise<RunSummary> {
  const { job } = opts;
  const spec = job.spec;
  const progress = opts.progress ?? (() => {});
  const env = opts.env ?? process.env;
  const names = { left: spec.left.name ?? 'left', right: spec.right.name ?? 'right' };
  const mode = spec.output?.mode ?? 'AllDiffs';
  const outFormat = spec.output?.format ?? 'parquet';

  const vars: TemplateVars = templateVars({
    window: opts.window,
    jobName: job.metadata.name,
    jobNamespace: job.metadata.namespace ?? 'default',
    runName: opts.runName,
  });
  const rendered = await step('render', undefined, async () => ({
    sides: { left: planSide(spec.left, 'left', vars), right: planSide(spec.right, 'right', vars) } as Record<Side, SidePlan>,
    outUri: opts.outUri ?? (spec.output?.uri ? renderText(spec.output.uri, vars, 'spec.output.uri') : renderText(opts.defaultOutUri ?? `raas-out/{{ job.name }}/${defaultOutputFolder(opts.window)}/`, vars, '--out')),
    summaries: (spec.summaries ?? []).map((s, i) => ({ name: s.name, sql: renderSql(s.sql, vars, `spec.summaries[${i}].sql`), field: `spec.summaries[${i}].sql` })),
  }));
  // Relative output paths: --out and the default are relative to the working directory,
  // spec.output.uri to the manifest (like the inputs).
  const outPath = await step('validate', undefined, async () => {
    const target = outputTarget(rendered.outUri, opts.outUri ? '--out' : spec.output?.uri ? 'spec.output.uri' : '--out');
    return /^file:\/\//i.test(target) ? fileURLToPath(target) : target;
  });
  const outUri = isRemote(outPath) || isAbsolute(outPath) ? outPath : resolve(!opts.outUri && spec.output?.uri ? opts.baseDir : process.cwd(), outPath);

  const workDir = await mkdtemp(join(opts.workDir ?? env.RAAS_WORK_DIR ?? tmpdir(), 'raas-run-'));
  const transports = new Transports(env);
  let duck: Duck | undefined;
  try {
    // ---- stage
    const tStage = performance.now();
    // Files per input, by side, in plan order.
    const staged: Record<Side, Array<{ input: PlannedInput; files: string[]; format?: 'parquet' }>> = { left: [], right: [] };
    for (const side of ['left', 'right'] as const) {
      for (const input of rendered.sides[side].inputs) {
        const label = rendered.sides[side].named ? `${side} (${names[side]}.${input.name})` : `${side} (${names[side]})`;
        const res = await step('stage', undefined, () =>
          transports.stage({
            uri: input.uri,
            field: input.field,
            baseDir: opts.baseDir,
            destDir: join(workDir, 'input', side, input.name),
            sftp: input.sftp,
            ftp: input.ftp,
            database: input.database,
            query: input.dbQuery,
            ...(opts.memoryLimit ? { memoryLimit: opts.memoryLimit } : {}),
            onProgress: (m) => progress(`stage    ${label}: ${m}`),
          }),
        );
        staged[side].push({ input, files: res.files, ...(res.format ? { format: res.format } : {}) });
      }
    }
    const stageMs = ms(tStage);

    // ---- load: reader views, exact decimals for CSV/JSON, then lock down
    const tCompare = performance.now();
    // Per-step clock for summary.timings.steps: each mark() returns the time since the last.
    let tStep = tCompare;
    const mark = () => {
      const now = performance.now();
      const d = Math.round(now - tStep);
      tStep = now;
      return d;
    };
    const localOut = join(workDir, 'out');
    await mkdir(localOut, { recursive: true });
    duck = await step('load', undefined, () =>
      Duck.open({ workDir, ...(opts.memoryLimit ? { memoryLimit: opts.memoryLimit } : {}), ...(opts.threads ? { threads: opts.threads } : {}) }),
    );
    const db = duck;
    const run = async (sql: string) => {
      opts.onSql?.(sql);
      await db.exec(sql);
    };
    // Sides with CSV or JSON inputs: their column types are guessed from the values.
    const guessed: Record<Side, boolean> = { left: false, right: false };
    const sideKeyNames = (side: Side) => new Set(spec.keys.map((k) => (side === 'left' ? k.column : (k.right ?? k.column)).toLowerCase()));
    const readFiles: Record<Side, string[]> = { left: [], right: [] };
    const inputRows: Record<Side, number> = { left: 0, right: 0 };
    const noRows = (side: Side) => `${rendered.sides[side].inputs.map((i) => i.uri).join(', ')} has no rows (the file is empty or holds only a header)`;
    for (const side of ['left', 'right'] as const) {
      for (const { input, files, format: fixed } of staged[side]) {
        const field = input.field.replace(/\.uri$/, '');
        await step('load', input.field, async () => {
          const format: SourceFormat = fixed ?? detectFormat(input.spec, files, field);
          if (format !== 'parquet') guessed[side] = true;
          const label = rendered.sides[side].named ? `${names[side]}.${input.name}` : names[side];
          try {
            readFiles[side].push(...(await loadInput(db, run, side, input.view, input.spec, format, files, workDir, { field, keyNames: sideKeyNames(side) })));
            const rows = await db.one(`SELECT count(*) AS n FROM ${quoteIdent(input.view)}`);
            inputRows[side] += numberOf(rows.n);
            progress(`load     ${side} (${label}): ${numberOf(rows.n)} row(s) as ${format}`);
          } catch (err) {
            if (format !== 'csv') throw err;
            const msg = duckMessage(err);
            const ragged = /sniffing file|detect the CSV parsing dialect/i.test(msg) ? await findRagged(files, input.spec.csv?.delimiter ?? ',', input.spec.csv?.quote ?? '"') : undefined;
            const line = describeCsvError(msg, field, ragged);
            throw line ? new RunError('load', line) : err;
          }
        });
      }
    }
    await step('load', undefined, () => db.lockDown([...readFiles.left, ...readFiles.right], [localOut]));

    // ---- per-side query and (summary mode) grouping
    for (const side of ['left', 'right'] as const) {
      const sp = rendered.sides[side];
      const query = sp.duckQuery;
      await step('query', `spec.${side}.query (${names[side]})`, async () => {
        const select = sp.named ? joinedRowsSelectSql(sp.inputs, query) : rowsSelectSql(side, query);
        const statement = `CREATE OR REPLACE TEMP VIEW ${side}_rows AS ${select}`;
        if (query) {
          await checkUserSql(db, { text: query, field: `spec.${side}.query`, allowed: sp.named ? sp.inputs.map((i) => i.name) : ['source'], select, statement });
          // The query's own column names, before DuckDB renames a clash inside the view.
          const clash = nameClash(await queryResultNames(db, sp.inputs, query));
          if (clash) throw new RunError('query', `spec.${side}.query: ${describeClash(clash, 'the query', 'give them distinct aliases (AS ...)')}`);
        }
        try {
          await run(statement);
        } catch (err) {
          // The query sits on line 2 of the statement that wraps it; report the user's line.
          const text = duckMessage(err).replace(/LINE (\d+):/g, (_m, n: string) => `line ${Number(n) - 1} of the query:`);
          throw new Error(inputRows[side] === 0 ? `spec.${side}.uri: ${noRows(side)}, so its columns are unknown: ${text}` : text, { cause: err });
        }
      });
      if (spec.aggregate) await step('query', `spec.aggregate (${side})`, () => run(groupedViewSql(spec, side)));
    }
    const rel = (side: Side) => (spec.aggregate ? `${side}_grouped` : `${side}_rows`);
    const loadMs = mark();

    // ---- plan
    const leftCols = await step('query', `spec.left.query (${names.left})`, () => db.describe(rel('left')));
    const rightCols = await step('query', `spec.right.query (${names.right})`, () => db.describe(rel('right')));
    const resolved = await step('compare', undefined, async () => {
      try {
        return resolveColumns(spec, leftCols, rightCols, names, guessed);
      } catch (err) {
        // "column id not found; available: column0" is what an empty file looks like: say that.
        const side = err instanceof PlanError ? err.side : undefined;
        if (side && inputRows[side] === 0 && !spec[side].query) throw new RunError('compare', `spec.${side}.uri: ${noRows(side)}; ${err instanceof Error ? err.message : ''}`);
        throw err;
      }
    });
    const probed = new Map<string, NumericShape>();
    for (const p of resolved.probes) {
      const shape = await step('compare', undefined, async () => probeNumeric(db, rel(p.side), p.side, p.column, names[p.side], p.field));
      probed.set(probeKey(p.side, p.column), shape);
    }
    const plan: ComparePlan = await step('compare', undefined, async () => finalizePlan(resolved, probed));
    // Text read as BOOLEAN, DATE or a timestamp: a value that does not convert is named here,
    // not in a cast error from the middle of the compare statement.
    for (const c of [...plan.keys, ...plan.compares]) {
      if (c.coercion.kind !== 'cast') continue;
      const type = c.coercion.type;
      for (const side of ['left', 'right'] as const) {
        const col = side === 'left' ? c.left : c.right;
        if (col.type.toUpperCase() === type) continue;
        const r = await step('compare', undefined, () => db.one(castProbeSql(rel(side), col.name, type)));
        if (numberOf(r.bad) > 0) {
          throw new RunError(
            'compare',
            `${c.field}: column "${col.name}" on the ${side} side (${names[side]}) is compared as ${type} but ${numberOf(r.bad)} value(s) are not, e.g. ${JSON.stringify(r.example)}; clean or cast them in spec.${side}.query`,
          );
        }
      }
    }
    progress(
      `compare  keys: ${plan.keys.map((k) => (k.left.name === k.right.name ? k.name : `${k.left.name}=${k.right.name}`)).join(', ')}; ` +
        `columns: ${plan.compares.map((c) => c.name).join(', ') || '(none: keys only)'}`,
    );

    const planMs = mark();

    // ---- key checks
    const counts = await step('keys', undefined, async () => {
      await run(keyedViewSql(plan, 'left', rel('left')));
      await run(keyedViewSql(plan, 'right', rel('right')));
      const ls = await db.one(keyStatsSql(plan, 'left'));
      const rs = await db.one(keyStatsSql(plan, 'right'));
      const nonNullLeft = numberOf(ls.row_count) - numberOf(ls.null_keys);
      const nonNullRight = numberOf(rs.row_count) - numberOf(rs.null_keys);
      let unique: boolean | undefined;
      // Set when the grouped compare join proved the keys unique: its plain matches.
      let plainMatches: number | undefined;
      let groupedMs = 0;
      if (mode !== 'Full') {
        // The compare join proves the keys unique in the same pass (build-sql.ts,
        // reconGroupedSql), instead of a second, key-only join. Full mode keeps
        // every key, so grouping would be one group per key: it keeps the key-only proof.
        const t0 = performance.now();
        try {
          await run(reconGroupedSql(plan));
          groupedMs = performance.now() - t0;
          const g = await db.one(groupedProofSql(plan));
          const plain = numberOf(g.plain);
          unique = numberOf(g.max_n) <= 1 && plain + numberOf(g.gl) === nonNullLeft && plain + numberOf(g.gr) === nonNullRight;
          if (unique) plainMatches = plain;
          else await run('DROP TABLE recon_grouped');
        } catch (err) {
          // One group per differing key: when most keys differ, the grouping's state may not
          // fit memoryLimit where the two-pass path (which spills) does. Take that path.
          if (!/out of memory/i.test(duckMessage(err))) throw err;
          progress(`keys     one-pass check exceeded the memory limit (many differing keys); checking keys in a second pass`);
          await run('DROP TABLE IF EXISTS recon_grouped');
          groupedMs = 0;
        }
      }
      if (unique === undefined) {
        const p = await db.one(keyProfileSql(plan));
        unique =
          numberOf(p.lp) === nonNullLeft && numberOf(p.rp) === nonNullRight && numberOf(p.lo) === numberOf(p.lod) && numberOf(p.ro) === numberOf(p.rod);
      }
      let ld: Record<string, unknown> = { dup_keys: 0, dup_rows: 0 };
      let rd: Record<string, unknown> = { dup_keys: 0, dup_rows: 0 };
      if (!unique) {
        await run(duplicateKeysSql(plan, 'left'));
        await run(duplicateKeysSql(plan, 'right'));
        ld = await db.one(duplicateStatsSql('left'));
        rd = await db.one(duplicateStatsSql('right'));
      }
      return {
        leftRows: numberOf(ls.row_count),
        rightRows: numberOf(rs.row_count),
        nullLeft: numberOf(ls.null_keys),
        nullRight: numberOf(rs.null_keys),
        dupKeysLeft: numberOf(ld.dup_keys),
        dupRowsLeft: numberOf(ld.dup_rows),
        dupKeysRight: numberOf(rd.dup_keys),
        dupRowsRight: numberOf(rd.dup_rows),
        plainMatches,
        groupedMs,
      };
    });
    const hasDups = counts.dupKeysLeft + counts.dupKeysRight > 0;
    progress(
      `keys     left ${counts.leftRows} row(s), ${counts.nullLeft} null key(s), ${counts.dupKeysLeft} duplicated key(s); ` +
        `right ${counts.rightRows} row(s), ${counts.nullRight} null key(s), ${counts.dupKeysRight} duplicated key(s)`,
    );

    // The grouped compare join ran inside the key checks; its time is the join's.
    const keysMs = mark() - Math.round(counts.groupedMs);

    // ---- compare
    const stats = await step('compare', undefined, async () => {
      let setAsideLeft = 0;
      let setAsideRight = 0;
      if (hasDups) {
        await run(dupKeysTableSql(plan));
        if (counts.dupKeysRight > 0) setAsideLeft = numberOf((await db.one(setAsideCountSql(plan, 'left'))).n);
        if (counts.dupKeysLeft > 0) setAsideRight = numberOf((await db.one(setAsideCountSql(plan, 'right'))).n);
      }
      if (counts.plainMatches !== undefined) {
        await run(reconFromGroupedSql(plan));
        await run('DROP TABLE recon_grouped');
      } else {
        await run(reconTableSql(plan, { mode, excludeDuplicates: hasDups }));
        if (hasDups) await run(insertDuplicatesSql(plan));
      }
      const s = await db.one(reconStatsSql(plan));
      return { s, setAsideLeft, setAsideRight };
    });
    const mismatched = numberOf(stats.s.mismatched);
    const leftOnly = numberOf(stats.s.left_only);
    const rightOnly = numberOf(stats.s.right_only);
    // Keys present exactly once on a side and not set aside: every one is matched, mismatched or one-sided.
    const oneToOneLeft = counts.leftRows - counts.nullLeft - counts.dupRowsLeft - stats.setAsideLeft;
    const oneToOneRight = counts.rightRows - counts.nullRight - counts.dupRowsRight - stats.setAsideRight;
    const matched = oneToOneLeft - mismatched - leftOnly;
    const matchedFromRight = oneToOneRight - mismatched - rightOnly;
    const storedMatched = numberOf(stats.s.stored_matched);
    if (
      matched !== matchedFromRight ||
      matched < storedMatched ||
      (mode === 'Full' && matched !== storedMatched) ||
      (counts.plainMatches !== undefined && matched !== counts.plainMatches + storedMatched)
    ) {
      throw new RunError(
        'compare',
        `internal consistency check failed: matched keys ${matched} (from the left) vs ${matchedFromRight} (from the right), ${storedMatched} stored; no result was written. Please report this with the spec.`,
      );
    }
    const result: Counts = {
      left: counts.leftRows,
      right: counts.rightRows,
      matched,
      mismatched,
      leftOnly,
      rightOnly,
      duplicateKeysLeft: counts.dupKeysLeft,
      duplicateKeysRight: counts.dupKeysRight,
      nullKeysLeft: counts.nullLeft,
      nullKeysRight: counts.nullRight,
    };
    const mismatchedByColumn: Record<string, number> = {};
    const diffTotals: Record<string, string> = {};
    plan.compares.forEach((c, i) => {
      mismatchedByColumn[c.name] = numberOf(stats.s[`mm${i}`]);
      if (c.decimal) diffTotals[c.name] = String(stats.s[`dt${i}`]);
    });
    // A run that compared no value proves only that the keys line up; unless the spec asks
    // for exactly that (compare: []), it must not pass as balanced (docs/design.md, Compare semantics).
    const warnings: string[] = [];
    if (plan.compares.length === 0 && !spec.aggregate && spec.compare === undefined) {
      warnings.push(
        `no column was compared: the sides have no common non-key column (left: ${someNames(leftCols)}; right: ${someNames(rightCols)}); ` +
          'list the columns in spec.compare (with right: for differing names), or write compare: [] to compare keys only',
      );
    }
    // Only a run that compared nothing is unbalanced by its warning; the others explain counts.
    const balanced = warnings.length === 0 && isBalanced(result, expectationsFrom(spec.expect));
    const csvFields = (['left', 'right'] as const).flatMap((side) =>
      staged[side].filter(({ input, files, format }) => (format ?? detectFormat(input.spec, files, input.field)) === 'csv').map(({ input }) => input.field.replace(/\.uri$/, '')),
    );
    if (csvFields.length) {
      plan.compares.forEach((c, i) => {
        const n = numberOf(stats.s[`en${i}`]);
        if (n === 0) return;
        warnings.push(
          `${n} mismatch(es) of "${c.name}" are an empty field read as NULL against an empty text ('') on the other side: the CSV reader reads empty fields, quoted ("") or not, as NULL; ` +
            `to read them as empty text set csv.nullString on ${csvFields.join(' and ')} to the text that means NULL in the file (e.g. "NULL" or "\\N")`,
        );
      });
    }
    progress(
      `compare  matched ${matched}, mismatched ${mismatched}, left-only ${leftOnly}, right-only ${rightOnly}, ` +
        `duplicate keys ${counts.dupKeysLeft + counts.dupKeysRight}, null keys ${counts.nullLeft + counts.nullRight} -> ${balanced ? 'BALANCED' : 'UNBALANCED'}`,
    );
    for (const w of warnings) progress(`compare  warning: ${w}`);

    const joinMs = mark() + Math.round(counts.groupedMs);

    // ---- summaries over the result table
    await run(resultTableViewSql(plan, mode));
    const summaries: Record<string, string | null> = {};
    for (const s of rendered.summaries) {
      summaries[s.name] = await step('summaries', s.field, async () => {
        // Values come back as text so decimals keep every digit.
        const select = summarySelectSql(s.sql);
        await checkUserSql(db, { text: s.sql, field: s.field, allowed: ['result_table'], select, statement: select });
        const reader = await db.rows(select);
        if (reader.length !== 1 || Object.keys(reader[0]!).length !== 1) {
          const cols = reader[0] ? Object.keys(reader[0]).length : 0;
          throw new RunError('summaries', `${s.field}: must return exactly one row with one column; got ${reader.length} row(s) and ${cols} column(s)`);
        }
        const value = Object.values(reader[0]!)[0];
        return value === null || value === undefined ? null : stringifyValue(value);
      });
    }
    const summariesMs = mark();
    const compareMs = ms(tCompare);

    // ---- write locally, then publish with summary.json last
    const tWrite = performance.now();
    const resultName = `result.${outFormat}`;
    await step('write', undefined, () => run(copyResultSql(join(localOut, resultName), outFormat)));
    const resultRows = numberOf((await db.one('SELECT count(*) AS n FROM result_table')).n);
    progress(`write    ${resultRows} result row(s) (${mode}) as ${outFormat}`);
    duck.close();
    duck = undefined;

    const summary: RunSummary = {
      job: job.metadata.name,
      ...(job.metadata.namespace ? { namespace: job.metadata.namespace } : {}),
      run: opts.runName,
      window: { start: opts.window.start, end: opts.window.end },
      balanced,
      counts: result,
      mismatchedByColumn,
      diffTotals,
      summaries,
      results: { uri: outUri, files: [], summaryUri: '', mode, format: outFormat },
      ...(warnings.length ? { warnings } : {}),
      timings: { stageMs, compareMs, writeMs: 0, steps: { loadMs, planMs, keysMs, joinMs, summariesMs } },
    };
    // summary.json names the final locations and is published last: it is the commit marker.
    const planned = resultLocations(outUri, [resultName], 'summary.json');
    summary.results = { ...summary.results, ...planned };
    summary.timings.writeMs = ms(tWrite);
    await writeFile(join(localOut, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const published = await step('upload', 'spec.output.uri', async () =>
      publishResults({
        localDir: localOut,
        files: [resultName],
        summaryFile: 'summary.json',
        targetUri: outUri,
        transports,
        sftp: spec.output?.sftp,
        ftp: spec.output?.ftp,
        guard: overwriteGuard(opts.window, outUri),
        onProgress: (m) => progress(`upload   ${m}`),
      }),
    );
    summary.results = { ...summary.results, uri: published.uri, files: published.files, summaryUri: published.summaryUri };
    const catalog = spec.output?.catalog;
    if (catalog) {
      // After publishing: the catalog names published files. A failure here fails the run
      // (stage catalog); re-running the window replaces both the files and the rows.
      await step('catalog', 'spec.output.catalog', () =>
        writeCatalog({ spec: catalog, summary, resultFile: join(localOut, resultName), resultFormat: outFormat, env, onProgress: progress }),
      );
    }
    progress(`done     results at ${published.uri}`);
    return summary;
  } finally {
    duck?.close();
    await transports.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** One input's reader view; returns the files DuckDB may read (exact JSON copies replace the originals). */
async function loadInput(
  db: Duck,
  run: (sql: string) => Promise<void>,
  side: Side,
  view: string,
  src: Pick<SourceSpec, 'csv'>,
  format: SourceFormat,
  staged: string[],
  workDir: string,
  /** `field`: the input's spec path without `.uri`; `keyNames`: the side's key columns, lower case. */
  opts: { field: string; keyNames: ReadonlySet<string> },
): Promise<string[]> {
  const rel = quoteIdent(view);
  // Names as written, before DuckDB renames a clash: "ID" next to "id" is refused.
  await checkSourceNames(db, src, format, staged, opts.field);
  // JSON numbers would pass through doubles in DuckDB's reader: copy them as text first
  // (stage/json-exact.ts) and cast the all-number fields to an exact DECIMAL below.
  let files = staged;
  let exactFields: string[] = [];
  if (format === 'json' || format === 'ndjson') {
    const dir = join(workDir, 'exact', view);
    await mkdir(dir, { recursive: true });
    files = [];
    const fields = new Set<string>();
    for (const [i, f] of staged.entries()) {
      const dest = join(dir, `${i}.json`);
      const r = await copyJsonExact(f, dest);
      r.numericFields.forEach((n) => fields.add(n));
      files.push(dest);
    }
    exactFields = [...fields];
    await checkSourceNames(db, src, format, files, opts.field);
  }
  // First read as DuckDB's sniffer sees it; CSV columns it took for floating point are
  // then re-read as text and cast to a DECIMAL wide enough for every value.
  await run(namedInputViewSql(view, readerSql(src, format, files)));
  if (format === 'parquet') return files;
  const described = await db.describe(rel);
  // Key columns of CSV and JSON files are text: a type guessed from the other rows must
  // not decide whether "01" equals "1" (keys[].type: numeric asks for numbers).
  const isKey = (name: string) => opts.keyNames.has(name.toLowerCase());
  const keyText = format === 'csv' ? described.filter((c) => isKey(c.name) && classifyType(c.type) !== 'text').map((c) => c.name) : [];
  const floats =
    format === 'csv'
      ? described.filter((c) => classifyType(c.type) === 'float' && !isKey(c.name)).map((c) => c.name)
      : described.filter((c) => exactFields.some((f) => f.toLowerCase() === c.name.toLowerCase()) && classifyType(c.type) === 'text' && !isKey(c.name)).map((c) => c.name);
  if (format === 'csv') await checkCsvDateFormats(db, src, staged, described, opts.field);
  // DuckDB's CSV sniffer reads timestamps at microseconds and drops further digits; a
  // column with nanoseconds in the data is re-read as text and cast to TIMESTAMP_NS.
  const nanos: string[] = [];
  if (format === 'csv') {
    const stamps = described.filter((c) => ['timestamp', 'timestamptz'].includes(classifyType(c.type)) && c.type.toUpperCase() !== 'TIMESTAMP_NS').map((c) => c.name);
    if (stamps.length) {
      const stampsView = `__raas_stamps_${view}`;
      await run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(stampsView)} AS SELECT * FROM ${readerSql(src, format, files, stamps)}`);
      for (const column of stamps) {
        const r = await db.one(fractionDigitsSql(stampsView, column));
        if (numberOf(r.digits) > 6) nanos.push(column);
      }
    }
  }
  if (floats.length === 0 && nanos.length === 0 && keyText.length === 0) return files;
  const reader = format === 'csv' ? readerSql(src, format, files, [...floats, ...nanos, ...keyText]) : readerSql(src, format, files);
  await run(namedInputViewSql(view, reader));
  const decimals: Array<{ column: string; type: string }> = nanos.map((column) => ({ column, type: 'TIMESTAMP_NS' }));
  for (const column of floats) {
    // Whole numbers wider than DECIMAL holds (e.g. 40-digit ids from JSON, where an integer
    // has one spelling) stay text, exactly as written; anything else that wide is refused.
    const wholeJson = format !== 'csv';
    const shape = await probeNumeric(db, view, side, column, side, undefined, wholeJson);
    if (shape.intDigits + shape.scale > 38) {
      if (shape.scale === 0) continue;
      await probeNumeric(db, view, side, column, side);
    }
    const precision = Math.min(38, shape.intDigits + shape.scale);
    decimals.push({ column, type: `DECIMAL(${Math.max(precision, 1)},${Math.min(shape.scale, precision)})` });
  }
  await run(namedInputViewSql(view, reader, decimals));
  return files;
}

/**
 * The names of the columns a side's query returns, as it writes them: bound at the top
 * level (a subquery or view would already have renamed a clash), with each name the
 * query reads standing for its input for the moment.
 */
async function queryResultNames(db: Duck, inputs: ReadonlyArray<{ name: string; view: string; field: string }>, query: string): Promise<string[]> {
  const existing = new Set(
    (await db.rows(`SELECT lower(view_name) AS n FROM duckdb_views() WHERE NOT internal UNION ALL SELECT lower(table_name) FROM duckdb_tables()`)).map((r) => String(r.n)),
  );
  for (const i of inputs) {
    if (existing.has(i.name.toLowerCase())) throw new RunError('query', `${i.field.replace(/\.uri$/, '')}: the input name "${i.name}" is the name of one of raas's own relations; rename the input`);
  }
  for (const i of inputs) await db.exec(`CREATE TEMP VIEW ${quoteIdent(i.name)} AS SELECT * FROM ${quoteIdent(i.view)}`);
  try {
    return await db.resultNames(query);
  } catch {
    // A query that does not bind (an unknown column, an empty file) fails again when its
    // view is made, whose message names the line and the empty input: leave it to that.
    return [];
  } finally {
    for (const i of inputs) await db.exec(`DROP VIEW IF EXISTS ${quoteIdent(i.name)}`);
  }
}

/** Refuses a source whose raw column names repeat, exactly or ignoring case (column-names.ts). */
async function checkSourceNames(db: Duck, src: Pick<SourceSpec, 'csv'>, format: SourceFormat, files: string[], field: string): Promise<void> {
  const refuse = (names: string[], where: string, fix: string) => {
    const clash = nameClash(names);
    if (clash) throw new RunError('load', `${field}.uri: ${describeClash(clash, where, fix)}`);
  };
  if (format === 'csv') {
    if (src.csv?.header === false) return;
    for (const file of files) {
      const rows = await db.rows(csvHeaderSql(src, file));
      const names = rows[0] ? Object.values(rows[0]).map((v) => String(v ?? '')) : [];
      refuse(names, `the header of ${basename(file)}`, `rename one in the file, or read it with csv: { header: false, skipRows: 1 } and name the columns in the side's query`);
    }
  } else if (format === 'parquet') {
    for (const file of files) {
      const rows = await db.rows(`SELECT name, coalesce(num_children, 0) AS children FROM parquet_schema(${quoteLiteral(file)})`);
      const names = parquetTopLevelNames(rows.map((r) => ({ name: String(r.name), children: numberOf(r.children) })));
      refuse(names, basename(file), 'rename one where the file is written (or in the database query that produced it)');
    }
  } else {
    const rows = await db.rows(jsonKeysSql(format, files));
    refuse(rows.map((r) => String(r.k)), 'the JSON input', 'rename one where the file is written');
  }
}

/**
 * CSV dates and timestamps: a declared format, or one the sniffer chose that cannot be
 * read two ways (year first). Any other guess is refused: a file whose days are all 12 or
 * less reads day-first and month-first alike, so two files of one feed may differ.
 */
async function checkCsvDateFormats(db: Duck, src: Pick<SourceSpec, 'csv'>, files: string[], described: Array<{ name: string; type: string }>, field: string): Promise<void> {
  const classes = described.map((c) => classifyType(c.type));
  const needDate = classes.includes('date') && !src.csv?.dateFormat;
  const needStamp = (classes.includes('timestamp') || classes.includes('timestamptz')) && !src.csv?.timestampFormat;
  if (!needDate && !needStamp) return;
  for (const file of files) {
    const r = await db.one(csvSniffSql(src, file));
    for (const [which, format, wanted] of [['dateFormat', r.date_format, needDate], ['timestampFormat', r.timestamp_format, needStamp]] as const) {
      if (!wanted || typeof format !== 'string' || format === '' || unambiguousDateFormat(format)) continue;
      const cols = described.filter((c) => (which === 'dateFormat' ? classifyType(c.type) === 'date' : ['timestamp', 'timestamptz'].includes(classifyType(c.type)))).map((c) => c.name);
      throw new RunError(
        'load',
        `${field}.csv.${which}: the ${which === 'dateFormat' ? 'dates' : 'timestamps'} in ${basename(file)} (${cols.join(', ')}) are not year-first, and their format was guessed from the data as "${format}"; ` +
          `another file may be guessed the other way (01/02/2024 reads both ways): declare csv.${which}, e.g. "${format}"`,
      );
    }
  }
}

async function probeNumeric(db: Duck, relation: string, side: Side, column: string, sideName: string, field?: string, allowWide = false): Promise<NumericShape> {
  const r = await db.one(numericProbeSql(relation, column));
  const bad = numberOf(r.bad);
  if (bad > 0) {
    throw new RunError(
      'compare',
      `${field ? `${field}: ` : ''}column "${column}" on the ${side} side (${sideName}) is compared as a number but ${bad} value(s) are not numbers, e.g. ${JSON.stringify(r.example)}; clean or cast them in spec.${side}.query`,
    );
  }
  const intDigits = numberOf(r.int_digits);
  const scale = numberOf(r.scale);
  if (intDigits + scale > 38 && !allowWide) {
    throw new RunError('compare', `column "${column}" on the ${side} side (${sideName}) has numbers with ${intDigits + scale} digits; at most 38 can be compared exactly`);
  }
  return { intDigits, scale };
}

/** The first ragged line of the first file that has one (reads at most 64 MiB of each, decompressing .gz). */
async function findRagged(files: string[], delimiter: string, quote: string): Promise<{ file: string; line: number; fields: number; expected: number } | undefined> {
  for (const file of files) {
    const chunks: Buffer[] = [];
    let size = 0;
    const input = createReadStream(file);
    const stream = /\.gz$/i.test(file) ? input.pipe(createGunzip()) : input;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > 64 * 1024 * 1024) break;
      }
    } catch {
      continue;
    } finally {
      input.destroy();
    }
    const found = firstRaggedLine(Buffer.concat(chunks).toString('utf8'), delimiter, quote);
    if (found) return { file, ...found };
  }
  return undefined;
}

/** Column names for a message: the first 20, then how many more. */
function someNames(cols: Array<{ name: string }>): string {
  const shown = cols.slice(0, 20).map((c) => c.name).join(', ');
  return cols.length > 20 ? `${shown} and ${cols.length - 20} more` : shown;
}

function stringifyValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}
