// How each engine spells the few things the compare statements need that SQL dialects
// disagree on. Everything else in compare/ is plain SQL both DuckDB and Spark run as is.
// The Spark entries are where Spark would otherwise differ silently: string literals
// process backslash escapes (so patterns are raw literals), RLIKE finds rather than
// matches and Java's `$` matches before a trailing newline (so patterns are anchored
// with \A and \z), Java's \s also matches a vertical tab (so whitespace is spelled out),
// and there are no temporary tables (cached views stand in).
import { normalizeType } from './column-types.ts';
import { quoteIdent, quoteLiteral } from './sql-text.ts';

export interface Dialect {
  readonly name: 'duckdb' | 'spark';
  ident(name: string): string;
  literal(value: string): string;
  /** The text type in CAST. */
  readonly text: string;
  /** The engine's name for a canonical type (compare/column-types.ts) in a CAST. */
  typeName(canonical: string): string;
  /** The canonical name of a type as the engine describes it. */
  canonicalType(engineType: string): string;
  createView(name: string, select: string): string;
  /** A table (materialised once) the later statements read several times. */
  createTable(name: string, select: string): string;
  /** Frees a table no later statement reads; undefined where that cannot be done safely. */
  dropTable(name: string): string | undefined;
  readonly antiJoin: string;
  readonly semiJoin: string;
  /** An empty list of text. */
  readonly emptyTextList: string;
  /** A typed NULL of the text type. */
  readonly nullText: string;
  /** A list of the non-NULL values of `items` (text expressions). */
  nonNullList(items: string[]): string;
  listContains(list: string, item: string): string;
  /** Whether all of `value` matches `pattern` (a regular expression without anchors). */
  fullMatch(value: string, pattern: string): string;
  /** Whether `value` contains a match of `pattern`. */
  containsMatch(value: string, pattern: string): string;
  /** Group `group` of the first match of `pattern` in `value`, or '' when none. */
  regexExtract(value: string, pattern: string, group: number): string;
  /** Runs of whitespace (space, tab, newline, carriage return, form feed) as one space. */
  collapseWhitespace(expr: string): string;
  trimLeadingZeros(expr: string): string;
  /** count(DISTINCT …) of several columns as one value. */
  distinctTuple(columns: string[]): string;
  /**
   * A nested value (struct, list, map) as JSON text, NULL fields included: one spelling on
   * both engines, and unambiguous where a cast to text is not (['a, b'] and ['a', 'b'] both
   * print as [a, b]).
   */
  jsonText(expr: string): string;
  /**
   * A value as the text its break id and version are hashed from: DuckDB's cast to text on
   * both engines, so one break has one id whichever engine found it (an instant is
   * `2024-01-01 10:00:00+00`).
   */
  hashText(expr: string): string;
}

const WHITESPACE = '[ \\t\\n\\f\\r]+';

export const duckdb: Dialect = {
  name: 'duckdb',
  ident: quoteIdent,
  literal: quoteLiteral,
  text: 'VARCHAR',
  typeName: (canonical) => canonical,
  canonicalType: normalizeType,
  createView: (name, select) => `CREATE OR REPLACE TEMP VIEW ${name} AS ${select}`,
  createTable: (name, select) => `CREATE OR REPLACE TEMP TABLE ${name} AS ${select}`,
  dropTable: (name) => `DROP TABLE IF EXISTS ${name}`,
  antiJoin: 'ANTI JOIN',
  semiJoin: 'SEMI JOIN',
  emptyTextList: '[]::VARCHAR[]',
  nullText: 'NULL::VARCHAR',
  nonNullList: (items) => `list_filter([${items.join(', ')}], x -> x IS NOT NULL)`,
  listContains: (list, item) => `list_contains(${list}, ${item})`,
  fullMatch: (value, pattern) => `regexp_full_match(${value}, ${quoteLiteral(pattern)})`,
  containsMatch: (value, pattern) => `regexp_matches(${value}, ${quoteLiteral(pattern)})`,
  regexExtract: (value, pattern, group) => `regexp_extract(${value}, ${quoteLiteral(pattern)}, ${group})`,
  collapseWhitespace: (expr) => `regexp_replace(${expr}, ${quoteLiteral(WHITESPACE)}, ' ', 'g')`,
  trimLeadingZeros: (expr) => `ltrim(${expr}, '0')`,
  distinctTuple: (columns) => (columns.length === 1 ? columns[0]! : `(${columns.join(', ')})`),
  jsonText: (expr) => `CAST(to_json(${expr}) AS VARCHAR)`,
  hashText: (expr) => `CAST(${expr} AS VARCHAR)`,
};

/** Spark identifiers are backquoted; a backquote inside is doubled. */
function sparkIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Spark string literals process backslash escapes: a backslash and a quote are escaped. */
function sparkLiteral(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** A raw literal: the text reaches the regex engine as written. Patterns here are ours and hold no quote. */
function sparkRegex(pattern: string): string {
  if (pattern.includes("'")) throw new Error(`internal: regex literal with a quote: ${pattern}`);
  return `r'${pattern}'`;
}

// Spelled out both ways: the session sets spark.sql.timestampType to TIMESTAMP_NTZ, under
// which a bare TIMESTAMP is the local date-time and a cast to it drops the text's offset.
const SPARK_TYPE_NAMES: Record<string, string> = { TIMESTAMPTZ: 'TIMESTAMP_LTZ', TIMESTAMP: 'TIMESTAMP_NTZ', VARCHAR: 'STRING', HUGEINT: 'DECIMAL(38,0)' };
const SPARK_CANONICAL: Record<string, string> = {
  timestamp: 'TIMESTAMPTZ',
  timestamp_ltz: 'TIMESTAMPTZ',
  timestamp_ntz: 'TIMESTAMP',
  string: 'VARCHAR',
  int: 'INTEGER',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  long: 'BIGINT',
  smallint: 'SMALLINT',
  tinyint: 'TINYINT',
  byte: 'TINYINT',
  double: 'DOUBLE',
  float: 'FLOAT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  binary: 'BLOB',
};

export const spark: Dialect = {
  name: 'spark',
  ident: sparkIdent,
  literal: sparkLiteral,
  text: 'STRING',
  typeName: (canonical) => SPARK_TYPE_NAMES[canonical] ?? canonical,
  // Spark's TIMESTAMP is an instant (DuckDB's TIMESTAMPTZ); its TIMESTAMP_NTZ is DuckDB's TIMESTAMP.
  canonicalType: (engineType) => SPARK_CANONICAL[engineType.toLowerCase().trim()] ?? normalizeType(engineType),
  createView: (name, select) => `CREATE OR REPLACE TEMPORARY VIEW ${name} AS ${select}`,
  // CACHE TABLE … AS makes a temporary view and materialises it at once.
  createTable: (name, select) => `CACHE TABLE ${name} AS ${select}`,
  // A cached view built on another reads it by name when re-resolved: dropping the source
  // would break it. Tables stay until the run's session closes.
  dropTable: () => undefined,
  antiJoin: 'LEFT ANTI JOIN',
  semiJoin: 'LEFT SEMI JOIN',
  emptyTextList: 'CAST(array() AS ARRAY<STRING>)',
  nullText: 'CAST(NULL AS STRING)',
  nonNullList: (items) => `filter(array(${items.join(', ')}), x -> x IS NOT NULL)`,
  listContains: (list, item) => `array_contains(${list}, ${item})`,
  fullMatch: (value, pattern) => `(${value} RLIKE ${sparkRegex(`\\A(?:${pattern})\\z`)})`,
  containsMatch: (value, pattern) => `(${value} RLIKE ${sparkRegex(pattern)})`,
  regexExtract: (value, pattern, group) => `regexp_extract(${value}, ${sparkRegex(pattern)}, ${group})`,
  collapseWhitespace: (expr) => `regexp_replace(${expr}, ${sparkRegex(WHITESPACE)}, ' ')`,
  trimLeadingZeros: (expr) => `TRIM(LEADING '0' FROM ${expr})`,
  distinctTuple: (columns) => (columns.length === 1 ? columns[0]! : `struct(${columns.join(', ')})`),
  // Spark's to_json leaves NULL fields out unless told otherwise; DuckDB's writes them.
  jsonText: (expr) => `to_json(${expr}, map('ignoreNullFields', 'false'))`,
  // Spark's cast of an instant (its TIMESTAMP) leaves out the zone that DuckDB's cast of a
  // TIMESTAMPTZ writes; the session zone is UTC. typeof() is the column's type, one branch per column.
  hashText: (expr) => `CASE typeof(${expr}) WHEN 'timestamp' THEN concat(CAST(${expr} AS STRING), '+00') ELSE CAST(${expr} AS STRING) END`,
};
