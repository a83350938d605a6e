// The seam between the run's stages and the SQL engine that executes them. Every
// data-dependent decision (which columns, which types, whether keys repeat, whether the
// counts add up) is made in TypeScript over the answers of these few calls, so DuckDB and
// Spark give one answer: they differ only in how they read files, parse user SQL, spell
// SQL (the Dialect) and write results.
import type { Side } from '../compare/plan.ts';
import type { Dialect } from '../compare/dialect.ts';
import type { SourceFormat, SourceSpec } from '../spec/schema.ts';
import { RunError } from '../run/context.ts';
import { countOf } from '../run/summary.ts';

export type Row = Record<string, unknown>;

export type EngineName = 'duckdb' | 'spark';

export interface EngineColumn {
  name: string;
  /** The engine's own type name; the plan makes it canonical (compare/column-types.ts). */
  type: string;
}

/** One input to make a view of: its files, as the stage step left them (or URIs the engine reads itself). */
export interface LoadRequest {
  side: Side;
  /** The view name the side's query reads the input through (side-inputs.ts). */
  view: string;
  src: Pick<SourceSpec, 'csv'>;
  format: SourceFormat;
  files: string[];
  workDir: string;
  /** The input's spec path without `.uri` (e.g. spec.left or spec.left.inputs.orders), for messages. */
  field: string;
  /** The side's key columns, lower case: CSV and JSON read them as text, never as a guessed number. */
  keyNames: ReadonlySet<string>;
  /** The columns the run compares, totals or carries, folded (compare/misread-dates.ts); undefined when any may be. */
  usedNames?: ReadonlySet<string> | undefined;
}

/** Where user SQL is spliced: the SELECT the runner builds around it, and the whole statement that runs. */
export interface UserSqlRun {
  select: string;
  statement: string;
}

export interface Engine {
  readonly name: EngineName;
  readonly dialect: Dialect;
  /** Runs one statement that returns nothing the run reads. */
  run(sql: string): Promise<void>;
  rows(sql: string): Promise<Row[]>;
  /** Exactly one row, or an internal error. */
  one(sql: string): Promise<Row>;
  describe(relation: string): Promise<EngineColumn[]>;
  /**
   * Refuses (UserSqlError naming `field`) anything but one read-only SELECT that reads only
   * `allowed` (or its own WITH names), judged on the engine's own parser, alone and as it
   * runs (`runs`: one statement holding the user's SELECT unchanged).
   */
  checkSelect(sql: string, field: string, allowed: readonly string[], runs: UserSqlRun): Promise<void>;
  /**
   * The names of the columns a side's query returns as it writes them (before an engine
   * renames a clash), with each input readable by its name; [] when the query does not bind.
   */
  queryColumnNames(sql: string, inputs: ReadonlyArray<{ name: string; view: string; field: string }>): Promise<string[]>;
  /** The statement textRows runs: user SQL is spliced into it, so it is checked first. */
  textRowsSql(sql: string, limit: number): string;
  /** Makes `req.view` over the input; returns the files the engine may read from then on. */
  loadInput(req: LoadRequest): Promise<string[]>;
  /** After loading: user SQL can read only `files` and write only under `dirs`. */
  lockDown(files: string[], dirs: string[]): Promise<void>;
  /** Up to `limit` rows of `sql` with every value as text, so decimals keep every digit. */
  textRows(sql: string, limit: number): Promise<Array<Array<string | null>>>;
  /** Writes `relation` (in its order) as one file at `path`; returns how many rows the write itself wrote. */
  writeResult(relation: string, path: string, format: 'parquet' | 'csv'): Promise<number>;
  /** An engine error as one readable line. */
  message(err: unknown): string;
  close(): Promise<void>;
}

/** Drops a table the run no longer reads, where the engine can. */
export async function dropTable(engine: Engine, name: string): Promise<void> {
  const sql = engine.dialect.dropTable(name);
  if (sql) await engine.run(sql);
}

/** An input's spec path without `.uri` (spec.left, spec.left.inputs.orders): where its other fields are. */
export function inputEntry(uriField: string): string {
  return uriField.replace(/\.uri$/, '');
}

/** Refuses a named input whose name is one of the engine's own relations (`existing`, lower case). */
export function refuseReservedInputNames(existing: ReadonlySet<string>, inputs: ReadonlyArray<{ name: string; field: string }>): void {
  for (const i of inputs) {
    if (existing.has(i.name.toLowerCase())) throw new RunError('query', `${inputEntry(i.field)}: the input name "${i.name}" is the name of one of raas's own relations; rename the input`);
  }
}

/** The row count an engine's write reported (countOf: never 0 for a count that could not be read). */
export function writtenCount(value: unknown, relation: string): number {
  return countOf(value, `the write of ${relation}`);
}
