// The DuckDB engine: the embedded database (run/duck.ts) behind the Engine seam, with the
// DuckDB-only parts of loading: reader views, exact decimals for CSV and JSON numbers, and
// nanosecond timestamps in CSV.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyType, normalizeType } from '../compare/column-types.ts';
import { describeCsvError } from '../compare/load-errors.ts';
import { duckdb } from '../compare/dialect.ts';
import { csvTextChecksSql, namedInputViewSql, readerSql, summarySelectSql } from '../compare/source-sql.ts';
import { quoteIdent, quoteLiteral } from '../compare/sql-text.ts';
import { Duck, duckMessage, type DuckOptions } from '../run/duck.ts';
import { numberOf } from '../run/context.ts';
import { checkUserSql } from '../run/user-sql-check.ts';
import { isUsed } from '../compare/misread-dates.ts';
import { nestedInOrderSql } from '../compare/nested-types.ts';
import { checkCsvDateFormats, checkMisreadDates, checkSourceNames } from './duckdb-source-checks.ts';
import { exactDecimalTypes, probeNumerics } from '../run/probes.ts';
import { copyJsonExact } from '../stage/json-exact.ts';
import { refuseReservedInputNames, writtenCount, type Engine, type EngineColumn, type LoadRequest, type Row, type UserSqlRun } from './engine.ts';

export class DuckEngine implements Engine {
  readonly name = 'duckdb';
  readonly dialect = duckdb;

  /** CSV files read so far -> the spec field they came from (without .uri), for messages. */
  private readonly csvFields = new Map<string, string>();

  private constructor(
    private readonly db: Duck,
    private readonly onSql?: (sql: string) => void,
  ) {}

  static async open(opts: DuckOptions & { onSql?: (sql: string) => void }): Promise<DuckEngine> {
    return new DuckEngine(await Duck.open(opts), opts.onSql);
  }

  async run(sql: string): Promise<void> {
    this.onSql?.(sql);
    await this.db.exec(sql);
  }

  rows(sql: string): Promise<Row[]> {
    return this.db.rows(sql);
  }

  one(sql: string): Promise<Row> {
    return this.db.one(sql);
  }

  describe(relation: string): Promise<EngineColumn[]> {
    return this.db.describe(relation);
  }

  async checkSelect(sql: string, field: string, allowed: readonly string[], runs: UserSqlRun): Promise<void> {
    await checkUserSql(this.db, { text: sql, field, allowed, ...runs });
  }

  /**
   * Bound at the top level (a subquery or view would already have renamed a clash), with
   * each input name standing for its input for the moment.
   */
  async queryColumnNames(sql: string, inputs: ReadonlyArray<{ name: string; view: string; field: string }>): Promise<string[]> {
    const existing = new Set(
      (await this.db.rows(`SELECT lower(view_name) AS n FROM duckdb_views() WHERE NOT internal UNION ALL SELECT lower(table_name) FROM duckdb_tables()`)).map((r) => String(r.n)),
    );
    refuseReservedInputNames(existing, inputs);
    for (const i of inputs) await this.db.exec(`CREATE TEMP VIEW ${quoteIdent(i.name)} AS SELECT * FROM ${quoteIdent(i.view)}`);
    try {
      return await this.db.resultNames(sql);
    } catch {
      // A query that does not bind (an unknown column, an empty file) fails again when its
      // view is made, whose message names the line and the empty input: leave it to that.
      return [];
    } finally {
      for (const i of inputs) await this.db.exec(`DROP VIEW IF EXISTS ${quoteIdent(i.name)}`);
    }
  }

  textRowsSql(sql: string, limit: number): string {
    return summarySelectSql(sql, limit);
  }

  lockDown(files: string[], dirs: string[]): Promise<void> {
    return this.db.lockDown(files, dirs);
  }

  async textRows(sql: string, limit: number): Promise<Array<Array<string | null>>> {
    const rows = await this.db.rows(this.textRowsSql(sql, limit));
    return rows.map((r) => Object.values(r).map((v) => (v === null || v === undefined ? null : String(v))));
  }

  /** COPY answers with the number of rows it wrote: the count is of the file, not a second scan. */
  async writeResult(relation: string, path: string, format: 'parquet' | 'csv'): Promise<number> {
    // CSV has no lists: DuckDB would print [a, Amount (EUR), b], which no reader can split back
    // when a name holds ", " or brackets. A JSON array of strings is parsed, never split.
    const rows = format === 'parquet' ? `SELECT * FROM ${relation}` : `SELECT * REPLACE (CAST(to_json(recon_mismatched) AS VARCHAR) AS recon_mismatched) FROM ${relation}`;
    const options = format === 'parquet' ? '(FORMAT parquet, COMPRESSION zstd)' : '(FORMAT csv, HEADER true)';
    const sql = `COPY (${rows}) TO ${quoteLiteral(path)} ${options}`;
    this.onSql?.(sql);
    return writtenCount((await this.db.one(sql)).Count, relation);
  }

  message(err: unknown): string {
    const text = duckMessage(err);
    // DuckDB parses a CSV file in the first statement that reads all of it, often after the
    // load: such an error is answered with the spec field the file came from.
    const file = /CSV Error on Line/.test(text) ? /file = (\S+)/.exec(text)?.[1] : undefined;
    const field = file === undefined ? undefined : this.csvFields.get(file);
    return (field !== undefined && describeCsvError(text, field)) || text;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /**
   * A CSV input's date, timestamp, number and boolean columns, read again as text in one statement
   * (`csvTextChecksSql`): DuckDB's sniffer reads timestamps at microseconds and drops further
   * digits (`nanos`: cast to TIMESTAMP_NS instead), takes words such as "infinity" or "epoch"
   * for dates (`words`: read as the text the file holds, unless the side declares a format for
   * them), parses number spellings it reads as text in its sample (`007`, `0x1F`) as
   * numbers after it, and reads `T`, `yes` or a late `1` as booleans (`spelled`: read as the
   * text, wherever the value is, as Spark reads it).
   */
  private async readAsWritten(req: LoadRequest, columns: ReadonlyArray<{ name: string; type: string }>): Promise<{ nanos: string[]; words: string[]; spelled: string[] }> {
    const { src, files, view } = req;
    const nanos: string[] = [];
    const words: string[] = [];
    const declared = (c: { type: string }) => (classifyType(c.type) === 'date' ? src.csv?.dateFormat : src.csv?.timestampFormat) !== undefined;
    const fromFile = columns.filter((c) => !isPartitionColumn(c.name, files));
    const dated = fromFile.filter((c) => ['date', 'timestamp', 'timestamptz'].includes(classifyType(c.type)) && normalizeType(c.type) !== 'TIMESTAMP_NS');
    const numbers = fromFile.filter((c) => ['integer', 'float'].includes(classifyType(c.type)));
    const booleans = fromFile.filter((c) => classifyType(c.type) === 'boolean');
    if (dated.length + numbers.length + booleans.length === 0) return { nanos, words, spelled: [] };
    const textView = `__raas_text_${view}`;
    const asText = [...dated, ...numbers, ...booleans].map((c) => c.name);
    await this.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(textView)} AS SELECT * FROM ${readerSql(src, 'csv', files, asText)}`);
    const names = (cs: ReadonlyArray<{ name: string }>) => cs.map((c) => c.name);
    const r = await this.db.one(csvTextChecksSql(textView, names(dated), names(numbers), names(booleans)));
    dated.forEach((c, i) => {
      if (numberOf(r[`words${i}`]) > 0 && !declared(c)) words.push(c.name);
      else if (classifyType(c.type) !== 'date' && numberOf(r[`digits${i}`]) > 6) nanos.push(c.name);
    });
    const spelled = [...numbers.filter((_, j) => numberOf(r[`spelled${j}`]) > 0), ...booleans.filter((_, k) => numberOf(r[`notbool${k}`]) > 0)].map((c) => c.name);
    return { nanos, words, spelled };
  }

  /** One input's reader view; returns the files DuckDB may read (exact JSON copies replace the originals). */
  async loadInput(req: LoadRequest): Promise<string[]> {
    const { view, src, format, files: staged, side, workDir } = req;
    const rel = quoteIdent(view);
    // Names as written, before DuckDB renames a clash: "ID" next to "id" is refused.
    await checkSourceNames(this.db, src, format, staged, req.field);
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
      await checkSourceNames(this.db, src, format, files, req.field);
    }
    // First read as DuckDB's sniffer sees it; CSV columns it took for floating point are
    // then re-read as text and cast to a DECIMAL wide enough for every value.
    await this.run(namedInputViewSql(view, readerSql(src, format, files)));
    if (format === 'parquet') {
      const ordered = nestedInOrder(await this.db.describe(rel));
      if (ordered.length > 0) await this.run(namedInputViewSql(view, readerSql(src, format, files), [], ordered));
      return files;
    }
    if (format === 'csv') for (const f of files) this.csvFields.set(f, req.field);
    const described = await this.db.describe(rel);
    // Key columns of CSV and JSON files are text: a type guessed from the other rows must
    // not decide whether "01" equals "1" (keys[].type: numeric asks for numbers).
    const isKey = (name: string) => req.keyNames.has(name.toLowerCase());
    const keyText = format === 'csv' ? described.filter((c) => isKey(c.name) && classifyType(c.type) !== 'text').map((c) => c.name) : [];
    if (format === 'csv') await checkCsvDateFormats(this.db, src, staged, described, req.field);
    // Keys are read as text as written whatever the declaration, so only the other columns the run uses.
    if (format === 'csv') await checkMisreadDates(this.db, src, rel, staged, described.filter((c) => !isKey(c.name) && isUsed(req.usedNames, c.name)), req.field);
    const { nanos, words, spelled } = format === 'csv' ? await this.readAsWritten(req, described.filter((c) => !isKey(c.name))) : { nanos: [], words: [], spelled: [] };
    const floats =
      format === 'csv'
        ? described.filter((c) => classifyType(c.type) === 'float' && !isKey(c.name) && !spelled.includes(c.name)).map((c) => c.name)
        : described.filter((c) => exactFields.some((f) => f.toLowerCase() === c.name.toLowerCase()) && classifyType(c.type) === 'text' && !isKey(c.name)).map((c) => c.name);
    const ordered = format === 'csv' ? [] : [...nestedInOrder(described), ...mixedJsonAsText(described)];
    if (floats.length === 0 && nanos.length === 0 && words.length === 0 && spelled.length === 0 && keyText.length === 0 && ordered.length === 0) return files;
    const reader = format === 'csv' ? readerSql(src, format, files, [...floats, ...nanos, ...words, ...spelled, ...keyText]) : readerSql(src, format, files);
    await this.run(namedInputViewSql(view, reader));
    const decimals: Array<{ column: string; type: string }> = nanos.map((column) => ({ column, type: 'TIMESTAMP_NS' }));
    // Whole numbers wider than DECIMAL holds (e.g. 40-digit ids from JSON, where an integer
    // has one spelling) stay text, exactly as written; anything else that wide is refused.
    const wholeJson = format !== 'csv';
    const shapes = await probeNumerics(this, view, side, floats.map((column) => ({ column })), side, wholeJson);
    decimals.push(...exactDecimalTypes(shapes, side, side));
    await this.run(namedInputViewSql(view, reader, decimals, ordered));
    return files;
  }
}

/**
 * The nested columns read through an expression that puts every struct's fields in name order
 * and every map's entries in key order. Neither order means anything, yet DuckDB's JSON reader
 * gives a struct the order it first meets and a Parquet file keeps its writer's, so `{a, b}`
 * on one side and `{b, a}` on the other would compare unequal. DuckDB casts a struct to
 * another by field name, so the cast only reorders.
 */
function nestedInOrder(described: ReadonlyArray<{ name: string; type: string }>): Array<{ column: string; sql: string }> {
  return described.flatMap((c) => {
    const sql = nestedInOrderSql(quoteIdent(c.name), c.type);
    return sql === undefined ? [] : [{ column: c.name, sql }];
  });
}

/**
 * Whether a column comes from the files' paths (`dt=2024-01-01/`, DuckDB's hive partitioning)
 * rather than from the files: its value is the path's, typed from the path, and a reader's
 * column types cannot name it.
 */
function isPartitionColumn(name: string, files: readonly string[]): boolean {
  const prefix = `${name.toLowerCase()}=`;
  return files.some((f) => f.split('/').some((segment) => segment.toLowerCase().startsWith(prefix)));
}

/**
 * JSON fields holding values of several kinds (a string in one object, a number or boolean in
 * another), which DuckDB types JSON, read as text: a string as itself, anything else as its
 * JSON text. Compared as JSON, the string "x" was the text `"x"` with its quotes and differed
 * from the same string on the other side; Spark's reader makes such a field text the same way.
 */
function mixedJsonAsText(described: ReadonlyArray<{ name: string; type: string }>): Array<{ column: string; sql: string }> {
  return described
    .filter((c) => c.type.trim().toUpperCase() === 'JSON')
    .map((c) => {
      const ref = quoteIdent(c.name);
      return { column: c.name, sql: `CASE WHEN json_type(${ref}) = 'VARCHAR' THEN ${ref}->>'$' ELSE CAST(${ref} AS VARCHAR) END` };
    });
}
