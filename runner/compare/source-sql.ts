// SQL that turns staged files into each side's relation: the reader call, the user's
// query over `source`, and summary-mode grouping. Pure.
import type { MeasureSpec, ReconJobSpec, SourceFormat, SourceSpec } from '../spec/schema.ts';
import { quoteIdent as q, quoteLiteral } from './sql-text.ts';
import { duckdb, type Dialect } from './dialect.ts';
import type { Side } from './plan.ts';
import { DATE_START } from './misread-dates.ts';

export class FormatError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The format a side is read as: declared, or told by the (first) file's extension. */
export function detectFormat(src: Pick<SourceSpec, 'format' | 'uri'>, files: string[], field: string): SourceFormat {
  if (src.format) return src.format;
  const name = (files[0] ?? src.uri ?? '').toLowerCase().replace(/\.(gz|gzip|zst)$/, '');
  if (/\.(parquet|pq)$/.test(name)) return 'parquet';
  if (/\.(csv|tsv|txt)$/.test(name)) return 'csv';
  if (/\.(ndjson|jsonl)$/.test(name)) return 'ndjson';
  if (/\.json$/.test(name)) return 'json';
  throw new FormatError(`${field}.format`, `cannot tell the format of "${files[0] ?? src.uri}" from its name; set format: parquet, csv, json or ndjson`);
}

function fileList(files: string[]): string {
  return `[${files.map(quoteLiteral).join(', ')}]`;
}

/**
 * The reader call for a side. `varcharColumns` are read as text (CSV columns the sniffer
 * took for DOUBLE), so their decimals never pass through binary floating point.
 */
export function readerSql(src: SourceSpec, format: SourceFormat, files: string[], varcharColumns: string[] = []): string {
  const multi = files.length > 1 ? ', union_by_name = true' : '';
  switch (format) {
    case 'parquet':
      return `read_parquet(${fileList(files)}${multi})`;
    case 'csv': {
      const o = src.csv ?? {};
      const opts = [
        `delim = ${quoteLiteral(o.delimiter ?? ',')}`,
        `header = ${o.header ?? true}`,
        `quote = ${quoteLiteral(o.quote ?? '"')}`,
        `escape = ${quoteLiteral(o.escape ?? o.quote ?? '"')}`,
        ...(o.nullString !== undefined ? [`nullstr = ${quoteLiteral(o.nullString)}`] : []),
        ...(o.skipRows ? [`skip = ${o.skipRows}`] : []),
        ...(o.dateFormat ? [`dateformat = ${quoteLiteral(o.dateFormat)}`] : []),
        ...(o.timestampFormat ? [`timestampformat = ${quoteLiteral(o.timestampFormat)}`] : []),
        ...(varcharColumns.length ? [`types = {${varcharColumns.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(', ')}}`] : []),
      ];
      return `read_csv(${fileList(files)}, ${opts.join(', ')}${multi})`;
    }
    case 'json':
      return `read_json(${fileList(files)}, format = 'auto'${multi})`;
    case 'ndjson':
      return `read_json(${fileList(files)}, format = 'newline_delimited'${multi})`;
  }
}

/** The dialect options of a CSV side, as read_csv and sniff_csv take them. */
function csvDialect(src: Pick<SourceSpec, 'csv'>): string[] {
  const o = src.csv ?? {};
  return [
    `delim = ${quoteLiteral(o.delimiter ?? ',')}`,
    `quote = ${quoteLiteral(o.quote ?? '"')}`,
    `escape = ${quoteLiteral(o.escape ?? o.quote ?? '"')}`,
    ...(o.skipRows ? [`skip = ${o.skipRows}`] : []),
  ];
}

/** The header line of one CSV file as text values (column0, column1, ...): the names as written, before DuckDB renames clashes. */
export function csvHeaderSql(src: Pick<SourceSpec, 'csv'>, file: string): string {
  return `SELECT * FROM read_csv([${quoteLiteral(file)}], header = false, all_varchar = true, ${csvDialect(src).join(', ')}) LIMIT 1`;
}

/** The date and timestamp formats DuckDB's sniffer guesses for one CSV file. */
export function csvSniffSql(src: Pick<SourceSpec, 'csv'>, file: string): string {
  const header = src.csv?.header ?? true;
  return `SELECT DateFormat AS date_format, TimestampFormat AS timestamp_format FROM sniff_csv(${quoteLiteral(file)}, header = ${header}, ${csvDialect(src).join(', ')})`;
}

/**
 * Every object key of JSON files, as written (the raw objects, before DuckDB's reader renames
 * clashes): each name once, and once more for each time one object repeats it
 * (`{"v": 1, "v": 2}`), so a repeat within an object is a clash like `ID` next to `id`.
 */
export function jsonKeysSql(format: 'json' | 'ndjson', files: string[]): string {
  const objects = `SELECT json_keys(json) AS ks FROM read_json_objects(${fileList(files)}, format = ${format === 'ndjson' ? "'newline_delimited'" : "'auto'"}) WHERE json_type(json) = 'OBJECT'`;
  return (
    `WITH o AS (${objects}) SELECT DISTINCT unnest(ks) AS k FROM o ` +
    `UNION ALL SELECT * FROM (SELECT DISTINCT unnest(list_filter(ks, lambda x, i: list_position(ks, x) <> i)) AS k FROM o)`
  );
}

/** `<side>_input`: the files as read, with probed decimal columns cast exactly. */
export function inputViewSql(side: Side, reader: string, decimalColumns: ReadonlyArray<{ column: string; type: string }> = []): string {
  return namedInputViewSql(`${side}_input`, reader, decimalColumns);
}

/** The view of one input of a side: `<side>_input` for a single uri, `<side>_input__<name>` for named inputs. */
export function namedInputViewSql(
  view: string,
  reader: string,
  decimalColumns: ReadonlyArray<{ column: string; type: string }> = [],
  /** Columns read through an expression of themselves (a nested value with its struct fields and map entries in order). */
  rewrittenColumns: ReadonlyArray<{ column: string; sql: string }> = [],
): string {
  const casts = [
    ...decimalColumns.map((d) => `CAST(trim(CAST(${q(d.column)} AS VARCHAR)) AS ${d.type}) AS ${q(d.column)}`),
    ...rewrittenColumns.map((c) => `${c.sql} AS ${q(c.column)}`),
  ];
  const replace = casts.length ? ` REPLACE (${casts.join(', ')})` : '';
  return `CREATE OR REPLACE TEMP VIEW ${q(view)} AS SELECT *${replace} FROM ${reader}`;
}

export function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/** `<side>_rows`: the user's query over `source`, or the input as is. */
export function rowsViewSql(side: Side, renderedQuery: string | undefined, d: Dialect = duckdb): string {
  return d.createView(`${side}_rows`, rowsSelectSql(side, renderedQuery));
}

/**
 * The SELECT of `<side>_rows`. The user's statement runs as a subquery under a CTE named
 * `source`, so it may use its own WITH clauses and cannot see the other side's data by
 * accident. The user's text is spliced here: it must have been checked alone and in this
 * statement (user-sql.ts, checkUserSelect and checkEmbedded) before this runs.
 */
export function rowsSelectSql(side: Side, renderedQuery: string | undefined): string {
  if (!renderedQuery) return `SELECT * FROM ${side}_input`;
  return `WITH source AS (SELECT * FROM ${side}_input) SELECT * FROM (\n${stripTrailingSemicolons(renderedQuery)}\n)`;
}

function measureExpr(m: MeasureSpec, side: Side, d: Dialect): string {
  const col = side === 'left' ? m.column : (m.right ?? m.column);
  if (m.fn === 'count') return col ? `count(${d.ident(col)})` : 'count(*)';
  return `${m.fn}(${d.ident(col!)})`;
}

/**
 * `<side>_rows` for a side with named inputs: each input is a CTE of its name, so the
 * user's query joins them as tables. Names are quoted; they are plain identifiers (zod).
 */
export function joinedRowsViewSql(side: Side, inputs: ReadonlyArray<{ name: string; view: string }>, renderedQuery: string | undefined, d: Dialect = duckdb): string {
  return d.createView(`${side}_rows`, joinedRowsSelectSql(inputs, renderedQuery, d));
}

/** The SELECT of `<side>_rows` for named inputs (the user's text is spliced: check it first, as for rowsSelectSql). */
export function joinedRowsSelectSql(inputs: ReadonlyArray<{ name: string; view: string }>, renderedQuery: string | undefined, d: Dialect = duckdb): string {
  const ctes = inputs.map((i) => `${d.ident(i.name)} AS (SELECT * FROM ${d.ident(i.view)})`).join(', ');
  const body = renderedQuery ? stripTrailingSemicolons(renderedQuery) : `SELECT * FROM ${d.ident(inputs[0]!.name)}`;
  return `WITH ${ctes} SELECT * FROM (\n${body}\n)`;
}

/** A summary's values as text (decimals keep every digit), DuckDB's spelling; the user's text is spliced: check it first. */
export function summarySelectSql(renderedSql: string, limit = 2): string {
  return `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (\n${stripTrailingSemicolons(renderedSql)}\n) LIMIT ${limit}`;
}

/** `<side>_grouped`: summary reconciliation groups each side by its key columns first. */
export function groupedViewSql(spec: ReconJobSpec, side: Side, d: Dialect = duckdb): string {
  const keys = spec.keys.map((k) => d.ident(side === 'left' ? k.column : (k.right ?? k.column)));
  const measures = (spec.aggregate?.measures ?? []).map((m) => `${measureExpr(m, side, d)} AS ${d.ident(m.as)}`);
  return d.createView(`${side}_grouped`, `SELECT ${[...keys, ...measures].join(', ')} FROM ${side}_rows GROUP BY ${keys.join(', ')}`);
}

/**
 * Number spellings DuckDB's CSV sniffer reads as text when it meets them in its sample (the
 * first 20,480 rows), yet parses as numbers after it, where Spark's inference reads them as
 * numbers anywhere: a plus sign, an unsigned leading zero ("007", "00.5"), a fraction or
 * exponent followed by spaces, a tab, Java's type suffixes ("1.5d"), infinities, and a radix
 * prefix (DuckDB reads `0x1F` as 31 and `0b11` as 3, Java `0x1.8p1` as 3.0). A number column
 * holding one anywhere is read as the text the file holds, on both engines, so "0013"
 * against "013" differs wherever the row is. One pattern for RE2 (DuckDB) and Java (Spark:
 * the runner sends it to the driver).
 */
export const SNIFFER_TEXT_SPELLING = '^ *\\+|^ *0[0-9]|[.eE][^ ]* +$|\\t|[dDfF] *$|[iI][nN][fF]|0[xXbB]';

/**
 * One statement over a CSV input's columns read again as text: what DuckDB's sniffer made of
 * them that the file does not say.
 * - Date and timestamp columns, per column `i`: the most digits after the seconds' point
 *   (`digits<i>`: more than 6 means nanoseconds, which the sniffer drops) and how many values
 *   do not start like a date (`words<i>`, one of them in `word<i>`). The sniffer takes the
 *   words `infinity`, `-infinity` and `epoch` for dates and timestamps: a column holding them
 *   would show `5881580-07-11` or 1970-01-01 for text the file never held.
 * - Number columns, per column `j`: how many values are spelled the way the sniffer reads as
 *   text in its sample (`spelled<j>`, `SNIFFER_TEXT_SPELLING`).
 * - Boolean columns, per column `k`: how many values are neither `true` nor `false` in any
 *   letter case (`notbool<k>`). The sniffer reads `T`, `f`, `yes` and `no` as booleans, and
 *   `1`, `0` and `y` too after its sample, so a column of codes `T`/`F` compared equal to
 *   `true`/`false`; Spark infers a boolean from `true` and `false` alone.
 */
export function csvTextChecksSql(relation: string, dated: readonly string[], numbers: readonly string[] = [], booleans: readonly string[] = []): string {
  if (dated.length + numbers.length + booleans.length === 0) throw new Error('internal: csvTextChecksSql needs at least one column');
  const text = (c: string) => `CAST(${q(c)} AS VARCHAR)`;
  const dateParts = dated.map((c, i) => {
    const v = text(c);
    const word = `${v} IS NOT NULL AND trim(${v}) <> '' AND NOT regexp_matches(${v}, ${quoteLiteral(DATE_START)})`;
    return (
      `coalesce(max(length(regexp_extract(${v}, ':[0-9]{2}[.,]([0-9]+)', 1))), 0) AS digits${i}, ` +
      `count(*) FILTER (WHERE ${word}) AS words${i}, any_value(${v}) FILTER (WHERE ${word}) AS word${i}`
    );
  });
  const numberParts = numbers.map((c, j) => `count(*) FILTER (WHERE regexp_matches(${text(c)}, ${quoteLiteral(SNIFFER_TEXT_SPELLING)})) AS spelled${j}`);
  const booleanParts = booleans.map((c, k) => `count(*) FILTER (WHERE lower(${text(c)}) NOT IN ('true', 'false')) AS notbool${k}`);
  return `SELECT ${[...dateParts, ...numberParts, ...booleanParts].join(', ')} FROM ${q(relation)}`;
}
