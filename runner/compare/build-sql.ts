// Builds the compare SQL from a plan, from small named fragments. Pure: the statements
// are data, so tests read them and `raas run --explain` prints them. Identifiers go
// through quoteIdent and values through quoteLiteral; nothing a user typed is spliced.
//
// Shape of a run (docs/design.md, Compare semantics):
//   <side>_keyed   view: coerced keys k0.., compared values v0.., originals o0.., present flag
//   <side>_dups    table: non-null keys that occur more than once on that side
//   dup_keys       table: union of both, with which side(s) duplicated them
//   recon          table: one row per key that is not a plain match (every key in Full mode),
//                  plus one `duplicate` row per duplicated key (its side, rows per side and
//                  the values each side's rows agree on); hidden __raas_ columns for
//                  bookkeeping. Matches without any numeric difference are not stored
//                  outside Full mode; their count is derived and cross-checked (see engine).
import type { OutputMode } from '../spec/schema.ts';
import { INTERNAL_PREFIX, type ComparePlan, type PlannedColumn, type Side } from './plan.ts';
import { classifyType, normalizeType } from './column-types.ts';
import { isNestedType } from './nested-types.ts';
import { DATE_START } from './misread-dates.ts';
import { duckdb, type Dialect } from './dialect.ts';

// Internal column names carry INTERNAL_PREFIX, which plan.ts refuses in any result column.
const PRESENT = `${INTERNAL_PREFIX}present`;
export const DUP_SIDE = `${INTERNAL_PREFIX}dup_side`;
/** On `duplicate` rows: how many rows of each side have the key. */
export const DUP_ROWS_LEFT = `${INTERNAL_PREFIX}dup_rows_left`;
export const DUP_ROWS_RIGHT = `${INTERNAL_PREFIX}dup_rows_right`;
const IN_LEFT = `${INTERNAL_PREFIX}in_left`;
const IN_RIGHT = `${INTERNAL_PREFIX}in_right`;
const RECON_N = `${INTERNAL_PREFIX}recon_n`;
const eqAlias = (i: number) => `${INTERNAL_PREFIX}eq${i}`;
const carryAlias = (i: number) => `${INTERNAL_PREFIX}carry${i}`;
/** A number as text: sign, integer digits (group 1), fraction digits (2), exponent (3). */
const NUMBER_PATTERN = '[+-]?([0-9]*)(?:\\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?';

export function keyAlias(i: number): string {
  return `k${i}`;
}
function valueAlias(i: number): string {
  return `v${i}`;
}
function originalAlias(i: number): string {
  return `o${i}`;
}

/** The expression reading one side's column in the type both sides are compared in. */
export function coercedExpr(col: PlannedColumn, side: Side, d: Dialect = duckdb): string {
  const src = side === 'left' ? col.left : col.right;
  const ref = d.ident(src.name);
  switch (col.coercion.kind) {
    case 'numeric': {
      const target = col.decimal!.type;
      const t = normalizeType(src.type);
      // Integers on both sides compare as they are; the cast to the DECIMAL is on output only.
      if (t === target || col.decimal!.integers) return ref;
      if (t === 'VARCHAR') return `CAST(trim(${ref}) AS ${target})`;
      // Floats go through their shortest text form, so 0.3 read from JSON is 0.3 exactly.
      if (t === 'DOUBLE' || t === 'FLOAT') return `CAST(CAST(${ref} AS ${d.text}) AS ${target})`;
      return `CAST(${ref} AS ${target})`;
    }
    case 'cast':
      return normalizeType(src.type) === normalizeType(col.coercion.type) ? ref : `CAST(${ref} AS ${d.typeName(col.coercion.type)})`;
    case 'same':
      return ref;
    case 'text':
      return normalizedText(isNestedType(src.type) ? d.jsonText(ref) : `CAST(${ref} AS ${d.text})`, col, d);
  }
}

function normalizedText(expr: string, col: PlannedColumn, d: Dialect): string {
  let e = expr;
  for (const n of col.normalize) {
    if (n === 'trim') e = `trim(${e})`;
    else if (n === 'lower') e = `lower(${e})`;
    else e = d.collapseWhitespace(e);
  }
  return e;
}

function hasOriginal(col: PlannedColumn): boolean {
  return col.normalize.length > 0;
}

export function keyedViewSql(plan: ComparePlan, side: Side, relation: string, d: Dialect = duckdb): string {
  const cols = [
    ...plan.keys.map((k, i) => `${coercedExpr(k, side, d)} AS ${keyAlias(i)}`),
    ...plan.compares.map((c, i) => `${coercedExpr(c, side, d)} AS ${valueAlias(i)}`),
    ...plan.compares.flatMap((c, i) => (hasOriginal(c) ? [`${d.ident(side === 'left' ? c.left.name : c.right.name)} AS ${originalAlias(i)}`] : [])),
    ...(plan.carried ?? []).map((c, i) => `${d.ident(side === 'left' ? c.left.name : c.right.name)} AS ${carryAlias(i)}`),
    `true AS ${PRESENT}`,
  ];
  return d.createView(`${side}_keyed`, `SELECT ${cols.join(', ')} FROM ${d.ident(relation)}`);
}

function keysNotNull(plan: ComparePlan, alias?: string): string {
  const p = alias ? `${alias}.` : '';
  return plan.keys.map((_, i) => `${p}${keyAlias(i)} IS NOT NULL`).join(' AND ');
}

function keyList(plan: ComparePlan, alias?: string): string {
  const p = alias ? `${alias}.` : '';
  return plan.keys.map((_, i) => `${p}${keyAlias(i)}`).join(', ');
}

function keyJoinCondition(plan: ComparePlan, a: string, b: string): string {
  return plan.keys.map((_, i) => `${a}.${keyAlias(i)} = ${b}.${keyAlias(i)}`).join(' AND ');
}

/** One row: rows on the side and rows with a NULL in any key column. */
export function keyStatsSql(plan: ComparePlan, side: Side, _d: Dialect = duckdb): string {
  return `SELECT count(*) AS row_count, count(*) FILTER (WHERE NOT (${keysNotNull(plan)})) AS null_keys FROM ${side}_keyed`;
}

/**
 * A cheap proof that no key repeats, from one join of the key columns alone (grouping
 * both sides by key costs about three times as much, and duplicates are rare). With a and
 * b a key's rows on the left and right: count(l) equals the left's non-NULL rows only if
 * every left key found on the right has b = 1, and left-only rows equal their distinct
 * keys only if every left-only key has a = 1; the same holds mirrored. All four equal
 * means no duplicates; otherwise the grouping below finds them.
 */
export function keyProfileSql(plan: ComparePlan, d: Dialect = duckdb): string {
  const l = `l.${keyAlias(0)}`;
  const r = `r.${keyAlias(0)}`;
  const tuple = (alias: string) => d.distinctTuple(plan.keys.map((_, i) => `${alias}.${keyAlias(i)}`));
  return (
    `SELECT count(${l}) AS lp, count(${r}) AS rp, ` +
    `count(*) FILTER (WHERE ${r} IS NULL) AS lo, count(DISTINCT ${tuple('l')}) FILTER (WHERE ${r} IS NULL) AS lod, ` +
    `count(*) FILTER (WHERE ${l} IS NULL) AS ro, count(DISTINCT ${tuple('r')}) FILTER (WHERE ${l} IS NULL) AS rod ` +
    `FROM (SELECT ${keyList(plan)} FROM left_keyed WHERE ${keysNotNull(plan)}) l ` +
    `FULL OUTER JOIN (SELECT ${keyList(plan)} FROM right_keyed WHERE ${keysNotNull(plan)}) r ON ${keyJoinCondition(plan, 'l', 'r')}`
  );
}

export function duplicateKeysSql(plan: ComparePlan, side: Side, d: Dialect = duckdb): string {
  return (
    d.createTable(`${side}_dups`, `SELECT ${keyList(plan)}, count(*) AS n FROM ${side}_keyed WHERE ${keysNotNull(plan)} GROUP BY ${keyList(plan)} HAVING count(*) > 1`)
  );
}

export function duplicateStatsSql(side: Side): string {
  return `SELECT count(*) AS dup_keys, coalesce(sum(n), 0) AS dup_rows FROM ${side}_dups`;
}

export function dupKeysTableSql(plan: ComparePlan, d: Dialect = duckdb): string {
  const keys = keyList(plan);
  return d.createTable(
    'dup_keys',
    `SELECT ${keys}, bool_or(side = 'left') AS in_left, bool_or(side = 'right') AS in_right ` +
      `FROM (SELECT ${keys}, 'left' AS side FROM left_dups UNION ALL SELECT ${keys}, 'right' AS side FROM right_dups) GROUP BY ${keys}`,
  );
}

/** Keys duplicated only on the right that occur (once) on the left: set aside, so not part of the left's 1:1 keys. */
export function setAsideCountSql(plan: ComparePlan, side: Side, d: Dialect = duckdb): string {
  const other = side === 'left' ? 'in_right' : 'in_left';
  const own = side === 'left' ? 'in_left' : 'in_right';
  return `SELECT count(*) AS n FROM (SELECT DISTINCT ${keyList(plan, 's')} FROM ${side}_keyed s ${d.semiJoin} (SELECT * FROM dup_keys WHERE ${other} AND NOT ${own}) d ON ${keyJoinCondition(plan, 's', 'd')})`;
}

function equalsExpr(col: PlannedColumn, i: number, d: Dialect): string {
  const l = `l.${valueAlias(i)}`;
  const r = `r.${valueAlias(i)}`;
  if (!col.tolerance) return `(${l} IS NOT DISTINCT FROM ${r})`;
  const dec = col.decimal!;
  const abs = col.tolerance.absolute;
  const rel = col.tolerance.relative;
  const absLit = `CAST(${d.literal(abs)} AS ${decimalTypeFor(abs)})`;
  const relLit = `CAST(${d.literal(rel)} AS ${decimalTypeFor(rel)})`;
  const limit = rel === '0' ? absLit : abs === '0' ? `${relLit} * abs(${l})` : `${absLit} + ${relLit} * abs(${l})`;
  return `coalesce((${l} IS NULL AND ${r} IS NULL) OR abs(CAST(${r} AS ${dec.diffType}) - CAST(${l} AS ${dec.diffType})) <= ${limit}, false)`;
}

/** The narrowest DECIMAL that holds a literal exactly. */
export function decimalTypeFor(text: string): string {
  const [intPart = '0', frac = ''] = text.replace(/^[+-]/, '').split('.');
  const intDigits = Math.max(intPart.replace(/^0+/, '').length, 1);
  return `DECIMAL(${intDigits + frac.length},${frac.length})`;
}

/**
 * Where one side's keyed column is read: `l.v0` in the compare join, or the column the
 * grouped pass kept it in (groupedSource). The output values and diffs are the same
 * expressions over either.
 */
type SideRef = (column: string) => string;
const dotted =
  (alias: string): SideRef =>
  (column) =>
    `${alias}.${column}`;

/** A compared column's value as the result shows it: the original text when normalised, the DECIMAL for numbers. */
function outputValue(col: PlannedColumn, i: number, side: SideRef): string {
  if (hasOriginal(col)) return side(originalAlias(i));
  if (col.decimal?.integers) return `CAST(${side(valueAlias(i))} AS ${col.decimal.type})`;
  return side(valueAlias(i));
}

function diffExpr(col: PlannedColumn, i: number, l: SideRef, r: SideRef): string {
  const d = col.decimal!;
  return `CAST(${r(valueAlias(i))} AS ${d.diffType}) - CAST(${l(valueAlias(i))} AS ${d.diffType})`;
}

/**
 * The compared numbers whose diff decides whether a match is kept. Besides every row whose
 * status is not `match`, non-Full modes keep the matches whose numbers still differ, and
 * only a tolerance makes such a match: without one, equality is exact (both sides read in
 * one DECIMAL type by coercedExpr, or both integers), so a non-zero diff means distinct
 * values and the row is a mismatch already. Leaving those diffs out of the filter spares
 * computing them for every joined row.
 */
function toleratedNumbers(plan: ComparePlan): Array<{ col: PlannedColumn; i: number }> {
  return plan.compares.flatMap((col, i) => (col.decimal && col.tolerance ? [{ col, i }] : []));
}

export function publicColumns(plan: ComparePlan): string[] {
  return [
    ...plan.keys.map((k) => k.name),
    'recon_status',
    'recon_mismatched',
    ...plan.compares.flatMap((c) => [`${c.name}_left`, `${c.name}_right`, ...(c.decimal ? [`${c.name}_diff`] : [])]),
    ...carriedColumns(plan),
  ];
}

/** The result columns of spec.output.columns: <c>_left, <c>_right, after the compared ones. */
function carriedColumns(plan: ComparePlan): string[] {
  return (plan.carried ?? []).flatMap((c) => [`${c.name}_left`, `${c.name}_right`]);
}

/** Where the grouped pass keeps a side's keyed column (`__raas_l_v0`): only kept rows compute their output values from it. */
const groupedSource =
  (s: 'l' | 'r'): SideRef =>
  (column) =>
    `${INTERNAL_PREFIX}${s}_${column}`;

/** The names of the presence flags and per-column equalities: what a row's status is made from, besides its keys. */
function verdictNames(plan: ComparePlan): string[] {
  return [IN_LEFT, IN_RIGHT, ...plan.compares.map((_, i) => eqAlias(i))];
}

/** The keyed columns the result values are made from (outputValue, diffExpr, carried columns). */
function sourceAliases(plan: ComparePlan): string[] {
  return [
    ...plan.compares.flatMap((c, i) => [...(hasOriginal(c) ? [originalAlias(i)] : []), ...(!hasOriginal(c) || c.decimal ? [valueAlias(i)] : [])]),
    ...(plan.carried ?? []).map((_, i) => carryAlias(i)),
  ];
}

/** The pieces of the compare statement, shared by reconTableSql and the grouped variant. */
function reconParts(plan: ComparePlan, excludeDuplicates: boolean, d: Dialect) {
  const side = (s: 'l' | 'r') => {
    const rel = s === 'l' ? 'left_keyed' : 'right_keyed';
    const anti = excludeDuplicates ? ` ${d.antiJoin} dup_keys d ON ${keyJoinCondition(plan, 's', 'd')}` : '';
    return `SELECT s.* FROM ${rel} s${anti} WHERE ${keysNotNull(plan, 's')}`;
  };
  const from = `FROM (${side('l')}) l FULL OUTER JOIN (${side('r')}) r ON ${keyJoinCondition(plan, 'l', 'r')}`;
  /** Keys, presence and equality of each compared column: what the status is made from. */
  const verdict = [
    ...plan.keys.map((k, i) => `coalesce(l.${keyAlias(i)}, r.${keyAlias(i)}) AS ${d.ident(k.name)}`),
    `l.${PRESENT} AS ${IN_LEFT}`,
    `r.${PRESENT} AS ${IN_RIGHT}`,
    ...plan.compares.map((c, i) => `${equalsExpr(c, i, d)} AS ${eqAlias(i)}`),
  ];
  /** The result's value columns, read from wherever the sides' keyed columns are. */
  const values = (l: SideRef, r: SideRef) => [
    ...plan.compares.flatMap((c, i) => [
      `${outputValue(c, i, l)} AS ${d.ident(`${c.name}_left`)}`,
      `${outputValue(c, i, r)} AS ${d.ident(`${c.name}_right`)}`,
      ...(c.decimal ? [`${diffExpr(c, i, l, r)} AS ${d.ident(`${c.name}_diff`)}`] : []),
    ]),
    ...(plan.carried ?? []).flatMap((c, i) => [`${l(carryAlias(i))} AS ${d.ident(`${c.name}_left`)}`, `${r(carryAlias(i))} AS ${d.ident(`${c.name}_right`)}`]),
  ];
  const allEqual = plan.compares.length ? plan.compares.map((_, i) => eqAlias(i)).join(' AND ') : 'true';
  const status =
    `CASE WHEN ${IN_LEFT} IS NULL THEN 'right_only' WHEN ${IN_RIGHT} IS NULL THEN 'left_only' ` +
    `WHEN ${allEqual} THEN 'match' ELSE 'mismatch' END`;
  const mismatched = plan.compares.length
    ? `CASE WHEN ${IN_LEFT} AND ${IN_RIGHT} THEN ${d.nonNullList(plan.compares.map((c, i) => `CASE WHEN NOT ${eqAlias(i)} THEN ${d.literal(c.name)} END`))} ELSE ${d.emptyTextList} END`
    : d.emptyTextList;
  const outer = [
    ...plan.keys.map((k) => d.ident(k.name)),
    `${status} AS recon_status`,
    `${mismatched} AS recon_mismatched`,
    ...plan.compares.flatMap((c) => [d.ident(`${c.name}_left`), d.ident(`${c.name}_right`), ...(c.decimal ? [d.ident(`${c.name}_diff`)] : [])]),
    ...carriedColumns(plan).map(d.ident),
    `${d.nullText} AS ${DUP_SIDE}`,
    `CAST(NULL AS BIGINT) AS ${DUP_ROWS_LEFT}`,
    `CAST(NULL AS BIGINT) AS ${DUP_ROWS_RIGHT}`,
  ];
  return { from, verdict, values, status, outer };
}

export function reconTableSql(plan: ComparePlan, opts: { mode: OutputMode; excludeDuplicates: boolean }, d: Dialect = duckdb): string {
  const { from, verdict, values, outer } = reconParts(plan, opts.excludeDuplicates, d);
  const joined = `SELECT ${[...verdict, ...values(dotted('l'), dotted('r'))].join(', ')} ${from}`;
  const diffs = toleratedNumbers(plan).map(({ col }) => `${d.ident(`${col.name}_diff`)} <> 0`);
  const keep = opts.mode === 'Full' ? '' : ` WHERE recon_status <> 'match'${diffs.map((x) => ` OR ${x}`).join('')}`;
  // The filter reads the projection's names from outside it (Spark resolves no SELECT alias in WHERE).
  const compared = keep ? `SELECT * FROM (SELECT ${outer.join(', ')} FROM (${joined}))${keep}` : `SELECT ${outer.join(', ')} FROM (${joined})`;
  // Duplicated keys were kept out of the join; each gets one `duplicate` row.
  return d.createTable('recon', opts.excludeDuplicates ? `SELECT * FROM (${compared}) UNION ALL ${duplicateRowsSql(plan, d)}` : compared);
}

/**
 * The compare join and the proof that no key repeats in one pass, for every
 * mode but Full. The joined rows are grouped by `CASE WHEN <row is kept> THEN key END`:
 * each row reconTableSql would store becomes a group of its own key (a group of more
 * than one row means a repeated key), and every plain match falls into the one group
 * whose keys are NULL (real keys are never NULL here), whose RECON_N counts them. With
 * those counts, groupedProofSql gives the same proof as keyProfileSql without a second
 * join. Duplicates are not excluded: when the proof fails, the run takes the duplicate path.
 * The groups keep the sides' keyed columns as they are; output values and diffs are made
 * from them for the kept rows only (reconFromGroupedSql), not for every joined row.
 */
export function reconGroupedSql(plan: ComparePlan, d: Dialect = duckdb): string {
  const { from, verdict, status } = reconParts(plan, false, d);
  const l = groupedSource('l');
  const r = groupedSource('r');
  const sources = sourceAliases(plan);
  const joined = `SELECT ${[...verdict, ...sources.flatMap((a) => [`l.${a} AS ${l(a)}`, `r.${a} AS ${r(a)}`])].join(', ')} ${from}`;
  const kept = `coalesce((${status}) <> 'match'${toleratedNumbers(plan).map(({ col, i }) => ` OR ${diffExpr(col, i, l, r)} <> 0`).join('')}, false)`;
  const carriedOver = [...verdictNames(plan), ...sources.flatMap((a) => [l(a), r(a)])];
  const cols = [
    ...plan.keys.map((k) => `CASE WHEN ${kept} THEN ${d.ident(k.name)} END AS ${d.ident(k.name)}`),
    `count(*) AS ${RECON_N}`,
    // One row per kept group once the proof holds, so any_value is that row's value.
    ...carriedOver.map((c) => `any_value(${c}) AS ${c}`),
  ];
  return d.createTable('recon_grouped', `SELECT ${cols.join(', ')} FROM (${joined}) GROUP BY ALL`);
}

/**
 * One row: `plain` plain matches, `max_n` the most joined rows any kept key has, `gl`/`gr`
 * kept keys present on the left/right. No key repeats exactly when max_n <= 1 and
 * plain + gl and plain + gr equal the sides' rows with non-NULL keys (as in keyProfileSql:
 * a key with a left and b right rows gives a*b joined rows).
 */
export function groupedProofSql(plan: ComparePlan, d: Dialect = duckdb): string {
  const k = d.ident(plan.keys[0]!.name);
  return (
    `SELECT coalesce(sum(${RECON_N}) FILTER (WHERE ${k} IS NULL), 0) AS plain, coalesce(max(${RECON_N}) FILTER (WHERE ${k} IS NOT NULL), 0) AS max_n, ` +
    `count(*) FILTER (WHERE ${k} IS NOT NULL AND ${IN_LEFT}) AS gl, count(*) FILTER (WHERE ${k} IS NOT NULL AND ${IN_RIGHT}) AS gr FROM recon_grouped`
  );
}

/** The recon table from the grouped pass, once groupedProofSql proved the keys unique: the kept rows' values and diffs made here. */
export function reconFromGroupedSql(plan: ComparePlan, d: Dialect = duckdb): string {
  const { values, outer } = reconParts(plan, false, d);
  const verdict = [...plan.keys.map((k) => d.ident(k.name)), ...verdictNames(plan)];
  const rows = `SELECT ${[...verdict, ...values(groupedSource('l'), groupedSource('r'))].join(', ')} FROM recon_grouped WHERE ${d.ident(plan.keys[0]!.name)} IS NOT NULL`;
  return d.createTable('recon', `SELECT ${outer.join(', ')} FROM (${rows})`);
}

/**
 * One side's rows of the duplicated keys, one row per key: how many rows have it and, per
 * compared column, the value they share (NULL when the rows disagree or have no value).
 */
function duplicateSideSql(plan: ComparePlan, side: Side, d: Dialect): string {
  const agreed = plan.compares.map((c, i) => {
    const v = `s.${valueAlias(i)}`;
    return `CASE WHEN count(DISTINCT ${v}) = 1 AND count(${v}) = count(*) THEN any_value(${outputValue(c, i, dotted('s'))}) END AS ${eqAlias(i)}`;
  });
  return (
    `SELECT ${[keyList(plan, 's'), `count(*) AS ${RECON_N}`, ...agreed].join(', ')} FROM ${side}_keyed s ` +
    `${d.semiJoin} dup_keys dk ON ${keyJoinCondition(plan, 's', 'dk')} GROUP BY ${keyList(plan, 's')}`
  );
}

/**
 * One `duplicate` row per key in dup_keys, in the columns of the compare statement: the
 * side(s) that repeat it, each side's number of rows with it, and each compared column's
 * value on a side when all that side's rows agree on it (docs/adr/0165). Differences and
 * carried columns stay NULL: with more than one row there is no single pair to subtract.
 */
function duplicateRowsSql(plan: ComparePlan, d: Dialect): string {
  const vals = [
    ...plan.keys.map((_, i) => `dk.${keyAlias(i)}`),
    `'duplicate'`,
    d.emptyTextList,
    ...plan.compares.flatMap((c, i) => [`l.${eqAlias(i)}`, `r.${eqAlias(i)}`, ...(c.decimal ? ['NULL'] : [])]),
    ...carriedColumns(plan).map(() => 'NULL'),
    `CASE WHEN dk.in_left AND dk.in_right THEN 'both' WHEN dk.in_left THEN 'left' ELSE 'right' END`,
    `coalesce(l.${RECON_N}, 0)`,
    `coalesce(r.${RECON_N}, 0)`,
  ];
  return (
    `SELECT ${vals.join(', ')} FROM dup_keys dk ` +
    `LEFT JOIN (${duplicateSideSql(plan, 'left', d)}) l ON ${keyJoinCondition(plan, 'dk', 'l')} ` +
    `LEFT JOIN (${duplicateSideSql(plan, 'right', d)}) r ON ${keyJoinCondition(plan, 'dk', 'r')}`
  );
}

export function modeFilter(mode: OutputMode): string {
  switch (mode) {
    case 'Full':
      return 'true';
    case 'AllDiffs':
      return `recon_status <> 'match'`;
    case 'LeftDiffs':
      return `(recon_status IN ('mismatch', 'left_only') OR (recon_status = 'duplicate' AND ${DUP_SIDE} IN ('left', 'both')))`;
    case 'RightDiffs':
      return `(recon_status IN ('mismatch', 'right_only') OR (recon_status = 'duplicate' AND ${DUP_SIDE} IN ('right', 'both')))`;
  }
}

export function resultTableViewSql(plan: ComparePlan, mode: OutputMode, d: Dialect = duckdb): string {
  const order = plan.keys.map((k) => d.ident(k.name)).join(', ');
  return d.createView('result_table', `SELECT ${publicColumns(plan).map(d.ident).join(', ')} FROM recon WHERE ${modeFilter(mode)} ORDER BY ${order}, recon_status`);
}

/** Counts of the stored keys by status, mismatches per column and diff totals, in one scan of `recon`. */
export function reconStatsSql(plan: ComparePlan, d: Dialect = duckdb): string {
  const parts = [
    `count(*) FILTER (WHERE recon_status = 'match') AS stored_matched`,
    `count(*) FILTER (WHERE recon_status = 'mismatch') AS mismatched`,
    `count(*) FILTER (WHERE recon_status = 'left_only') AS left_only`,
    `count(*) FILTER (WHERE recon_status = 'right_only') AS right_only`,
    ...plan.compares.map((c, i) => `count(*) FILTER (WHERE recon_status = 'mismatch' AND ${d.listContains('recon_mismatched', d.literal(c.name))}) AS mm${i}`),
    // Mismatches that are only NULL against empty text: the CSV reader reads an empty
    // field as NULL, so the run says so (warnings) instead of leaving them unexplained.
    ...plan.compares.flatMap((c, i) => {
      if (!comparesAsText(c)) return [];
      const l = d.ident(`${c.name}_left`);
      const r = d.ident(`${c.name}_right`);
      return [`count(*) FILTER (WHERE recon_status = 'mismatch' AND ((${l} IS NULL AND ${r} = '') OR (${l} = '' AND ${r} IS NULL))) AS en${i}`];
    }),
    ...plan.compares.flatMap((c, i) =>
      c.decimal
        ? [
            `CAST(coalesce(sum(${d.ident(`${c.name}_diff`)}) FILTER (WHERE recon_status IN ('match', 'mismatch')), CAST(0 AS DECIMAL(38,${c.decimal.scale}))) AS ${d.text}) AS dt${i}`,
          ]
        : [],
    ),
  ];
  return `SELECT ${parts.join(', ')} FROM recon`;
}

/**
 * Asks the data how wide the numbers of text or float columns are, and whether any value is
 * not a number: one scan for all of `columns`, turned into (column, value) rows by the SQL
 * standard's UNPIVOT (DuckDB and Spark both speak it), so each regular expression is written
 * once however many columns there are (a wide file has hundreds; a question per column read
 * the input again each time, and one aggregate per column made the statement itself slow to
 * plan). One row per column that has a non-NULL value: `col` is `v<i>` for column i;
 * `bad`, `example`, `int_digits`, `scale`. A column without a row holds only NULLs.
 */
export function numericProbesSql(relation: string, columns: readonly string[], d: Dialect = duckdb): string {
  if (columns.length === 0) throw new Error('internal: numericProbesSql needs at least one column');
  const isNumber = `(${d.fullMatch('v', NUMBER_PATTERN)} AND ${d.containsMatch('v', '[0-9]')})`;
  // Groups are taken from the whole text only (anchored), as the match above requires.
  const group = (g: number) => d.regexExtract('v', `^${NUMBER_PATTERN}$`, g);
  const exp = `coalesce(TRY_CAST(nullif(${group(3)}, '') AS INTEGER), 0)`;
  const values = columns.map((c, i) => `trim(CAST(${d.ident(c)} AS ${d.text})) AS v${i}`);
  return (
    `SELECT col, count(*) FILTER (WHERE NOT ${isNumber}) AS bad, any_value(v) FILTER (WHERE NOT ${isNumber}) AS example, ` +
    `coalesce(max(greatest(length(${d.trimLeadingZeros(group(1))}) + ${exp}, 1)) FILTER (WHERE ${isNumber}), 1) AS int_digits, ` +
    `coalesce(max(greatest(length(${group(2)}) - ${exp}, 0)) FILTER (WHERE ${isNumber}), 0) AS scale ` +
    `FROM (SELECT ${values.join(', ')} FROM ${d.ident(relation)}) UNPIVOT (v FOR col IN (${columns.map((_, i) => `v${i}`).join(', ')})) GROUP BY col`
  );
}

/**
 * Asks the data whether a column converts to the type both sides are compared in, with an
 * example that does not. Text compared as a date or timestamp must also start like one:
 * DuckDB's cast takes `epoch` for 1970-01-01 and `infinity` for a date, Spark's refuses both.
 */
export function castProbeSql(relation: string, column: string, type: string, d: Dialect = duckdb): string {
  const dated = ['date', 'timestamp', 'timestamptz'].includes(classifyType(type));
  const notDate = dated ? ` OR NOT ${d.containsMatch(`CAST(v AS ${d.text})`, DATE_START)}` : '';
  const bad = `v IS NOT NULL AND (TRY_CAST(v AS ${d.typeName(type)}) IS NULL${notDate})`;
  return `SELECT count(*) FILTER (WHERE ${bad}) AS bad, any_value(CAST(v AS ${d.text})) FILTER (WHERE ${bad}) AS example FROM (SELECT ${d.ident(column)} AS v FROM ${d.ident(relation)})`;
}

/** Whether a compare column is compared as text (so an empty text can stand against a NULL). */
export function comparesAsText(c: PlannedColumn): boolean {
  return c.coercion.kind === 'text' || (c.coercion.kind === 'same' && classifyType(c.left.type) === 'text' && classifyType(c.right.type) === 'text');
}
