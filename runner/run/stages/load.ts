// Load: one view per input (the engine reads the staged files), then lock down, then each
// side's query over its inputs (user SQL, checked first) and, for summary reconciliation,
// the grouping. Leaves `<side>_rows` or `<side>_grouped` for the plan.
import { findRagged } from '../find-ragged.ts';
import { describeCsvError } from '../../compare/load-errors.ts';
import type { Side } from '../../compare/plan.ts';
import { describeClash, nameClash } from '../../compare/column-names.ts';
import { usedColumnNames } from '../../compare/misread-dates.ts';
import { detectFormat, groupedViewSql, joinedRowsSelectSql, joinedRowsViewSql, rowsSelectSql, rowsViewSql } from '../../compare/source-sql.ts';
import { inputEntry, type Engine } from '../../engine/engine.ts';
import type { SourceFormat } from '../../spec/schema.ts';
import { numberOf, RunError, type RunContext } from '../context.ts';
import type { Staged } from './stage.ts';

export interface Loaded {
  /** Rows read per side, over all its inputs. */
  inputRows: Record<Side, number>;
  /** The relation the plan reads for a side. */
  relation: Record<Side, string>;
  /** Sides with CSV or JSON inputs, whose column types were guessed from the values. */
  guessed: Record<Side, boolean>;
  /** The spec paths (without .uri) of CSV inputs, for messages about how CSV is read. */
  csvFields: string[];
}

/** The message for a side whose inputs have no rows. */
export function noRows(ctx: RunContext, side: Side): string {
  return `${ctx.rendered.sides[side].inputs.map((i) => i.uri).join(', ')} has no rows (the file is empty or holds only a header)`;
}

/**
 * Reads every input, then `extra` (files the run itself brought, such as the previous
 * window's open items) as views of their own, then locks the engine down.
 */
export async function loadSides(ctx: RunContext, engine: Engine, staged: Staged, extra: Array<{ view: string; file: string }> = []): Promise<Loaded> {
  const { spec, names } = ctx;
  const readFiles: Record<Side, string[]> = { left: [], right: [] };
  const inputRows: Record<Side, number> = { left: 0, right: 0 };
  const guessed: Record<Side, boolean> = { left: false, right: false };
  const csvFields: string[] = [];
  // A query or named inputs may use any column of an input; otherwise the spec names them.
  const usedNames = (side: Side) => usedColumnNames(spec, side, ctx.rendered.sides[side].named || Boolean(ctx.rendered.sides[side].duckQuery));
  const keyNames = (side: Side) => new Set(spec.keys.map((k) => (side === 'left' ? k.column : (k.right ?? k.column)).toLowerCase()));
  for (const side of ['left', 'right'] as const) {
    for (const { input, files, format: fixed } of staged[side]) {
      const field = inputEntry(input.field);
      await ctx.step('load', input.field, async () => {
        const format: SourceFormat = fixed ?? detectFormat(input.spec, files, field);
        if (format !== 'parquet') guessed[side] = true;
        if (format === 'csv') csvFields.push(field);
        const label = ctx.rendered.sides[side].named ? `${names[side]}.${input.name}` : names[side];
        try {
          readFiles[side].push(...(await engine.loadInput({ side, view: input.view, src: input.spec, format, files, workDir: ctx.workDir, field, keyNames: keyNames(side), usedNames: usedNames(side) })));
          const rows = await engine.one(`SELECT count(*) AS n FROM ${engine.dialect.ident(input.view)}`);
          inputRows[side] += numberOf(rows.n);
          ctx.progress(`load     ${side} (${label}): ${numberOf(rows.n)} row(s) as ${format}`);
        } catch (err) {
          if (format !== 'csv') throw err;
          const msg = engine.message(err);
          const ragged = /sniffing file|detect the CSV parsing dialect/i.test(msg) ? await findRagged(files, input.spec.csv?.delimiter ?? ',', input.spec.csv?.quote ?? '"') : undefined;
          const line = describeCsvError(msg, field, ragged);
          throw line ? new RunError('load', line) : err;
        }
      });
    }
  }
  for (const x of extra) {
    readFiles.left.push(...(await ctx.step('carry', undefined, () => engine.loadInput({ side: 'left', view: x.view, src: {}, format: 'parquet', files: [x.file], workDir: ctx.workDir, field: 'spec.carryForward', keyNames: new Set<string>() }))));
  }
  await ctx.step('load', undefined, () => engine.lockDown([...readFiles.left, ...readFiles.right], [ctx.localOut]));

  for (const side of ['left', 'right'] as const) {
    const sp = ctx.rendered.sides[side];
    const query = sp.duckQuery;
    await ctx.step('query', `spec.${side}.query (${names[side]})`, async () => {
      const statement = sp.named ? joinedRowsViewSql(side, sp.inputs, query, engine.dialect) : rowsViewSql(side, query, engine.dialect);
      if (query) {
        const select = sp.named ? joinedRowsSelectSql(sp.inputs, query, engine.dialect) : rowsSelectSql(side, query);
        await engine.checkSelect(query, `spec.${side}.query`, sp.named ? sp.inputs.map((i) => i.name) : ['source'], { select, statement });
        // The query's own column names, before the engine renames a clash inside the view.
        const clash = nameClash(await engine.queryColumnNames(query, sp.inputs));
        if (clash) throw new RunError('query', `spec.${side}.query: ${describeClash(clash, 'the query', 'give them distinct aliases (AS ...)')}`);
      }
      try {
        await engine.run(statement);
      } catch (err) {
        // The query sits on line 2 of the statement that wraps it; report the user's line.
        const text = engine.message(err).replace(/LINE (\d+):/g, (_m, n: string) => `line ${Number(n) - 1} of the query:`);
        throw new Error(inputRows[side] === 0 ? `spec.${side}.uri: ${noRows(ctx, side)}, so its columns are unknown: ${text}` : text, { cause: err });
      }
    });
    if (spec.aggregate) await ctx.step('query', `spec.aggregate (${side})`, () => engine.run(groupedViewSql(spec, side, engine.dialect)));
  }
  const rel = (side: Side) => (spec.aggregate ? `${side}_grouped` : `${side}_rows`);
  return { inputRows, relation: { left: rel('left'), right: rel('right') }, guessed, csvFields };
}
