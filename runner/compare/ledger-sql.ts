// The break ledger's SQL (docs/user-guide/breaks.md): after the compare, this window's
// breaks (left-only, right-only, mismatched keys of `recon`) become ledger rows with a
// stable id, the open items carried from the previous window are matched late against
// them, and the result table is the ledger plus the other rows. Pure: statements as data,
// identifiers and literals through the dialect, so every engine runs the same plan.
//
//   money_<side>   view: coerced keys, the side's amount and currency (spec.amount)
//   ledger_now     this window's breaks with ids, versions and money (a table when carried items are matched against it)
//   ledger_carried view: the previous window's open items, read as today's column types
//   ledger_late    table: carried items matched by a this-window break of the other side
//   ledger         table: every break row after this run (new, persisting, resolved, closed)
import type { OutputMode } from '../spec/schema.ts';
import { DUPLICATE_COLUMNS, LEDGER_COLUMNS, MATCHED_LATE, MONEY_COLUMNS } from '../breaks/columns.ts';
import { NO_CURRENCY } from '../run/termination-report.ts';
import { coercedExpr, decimalTypeFor, DUP_ROWS_LEFT, DUP_ROWS_RIGHT, DUP_SIDE, keyAlias, modeFilter, publicColumns } from './build-sql.ts';
import type { ComparePlan, PlannedColumn, Side } from './plan.ts';
import { classifyType } from './column-types.ts';
import { duckdb, type Dialect } from './dialect.ts';

/** Whole days from the date `from` to the date `to` (both DATE expressions). */
function daysBetween(d: Dialect, from: string, to: string): string {
  return d.name === 'spark' ? `datediff(${to}, ${from})` : `date_diff('day', ${from}, ${to})`;
}

const BREAK_KINDS = `('left_only', 'right_only', 'mismatch')`;
const OPEN_STATES = `('new', 'persisting')`;
/** A ledger row the open items file keeps: every break but the resolved ones. */
const OPEN_ITEM = `recon_break_state <> 'resolved'`;
/** Separates the parts of a hashed text: a control character no key text contains by accident. */
const SEP = '\u001f';
/** Stands for NULL inside a version hash, so NULL and '' hash differently. */
const NULL_MARK = '\u2205';

export interface MoneyColumns {
  /** Column names on each side, as resolved against the relations. */
  amount: Record<Side, string>;
  currency?: Record<Side, string>;
  /** The one DECIMAL both sides' amounts are read as. */
  type: string;
}

export interface LedgerContext {
  namespace: string;
  job: string;
  /** This window's start (ISO-8601 with offset) and local start date. */
  windowStart: string;
  windowStartDate: string;
  /** spec.carryForward.periods; 0 without carry-forward. */
  periods: number;
  /** Whether the previous window's open items were read (view carried_raw). */
  carried: boolean;
  money?: MoneyColumns;
  /** Types of recon's columns by name (DESCRIBE recon). */
  types: ReadonlyMap<string, string>;
  /** Types of the carried open items' columns by name (DESCRIBE carried_raw). */
  carriedTypes?: ReadonlyMap<string, string>;
}

/** The job's result columns besides keys, status and mismatched list: compared, then carried. */
function valueColumns(plan: ComparePlan): string[] {
  return publicColumns(plan).slice(plan.keys.length + 2);
}

const MONEY: readonly string[] = MONEY_COLUMNS;
const LEDGER: readonly string[] = LEDGER_COLUMNS;
const DUPLICATES: readonly string[] = DUPLICATE_COLUMNS;

/** Every column of a ledger row, in result order. */
export function ledgerRowColumns(plan: ComparePlan, money: boolean): string[] {
  return [...publicColumns(plan), ...LEDGER, ...(money ? MONEY : [])];
}

/** Columns a previous window's open-items file must have to be carried into this plan (state and ages are recomputed). */
export function requiredCarriedColumns(plan: ComparePlan, money: boolean): string[] {
  const recomputed = new Set(['recon_break_state', 'recon_origin_window', 'recon_age_days']);
  return ledgerRowColumns(plan, money).filter((c) => !recomputed.has(c));
}

/** Coerced keys and the side's money: joined to `recon` by key (a break's key is unique on its side). */
export function moneyViewSql(plan: ComparePlan, side: Side, relation: string, money: MoneyColumns, d: Dialect = duckdb): string {
  const amount = d.ident(money.amount[side]);
  const cols = [
    ...plan.keys.map((k, i) => `${coercedExpr(k, side, d)} AS ${keyAlias(i)}`),
    `CAST(trim(CAST(${amount} AS ${d.text})) AS ${money.type}) AS amt`,
    `${money.currency ? `CAST(${d.ident(money.currency[side])} AS ${d.text})` : `CAST(NULL AS ${d.text})`} AS ccy`,
  ];
  return d.createView(`money_${side}`, `SELECT ${cols.join(', ')} FROM ${d.ident(relation)}`);
}

function keyEq(plan: ComparePlan, a: string, b: string, d: Dialect, aliasB = false): string {
  return plan.keys.map((k, i) => `${a}.${d.ident(k.name)} = ${b}.${aliasB ? keyAlias(i) : d.ident(k.name)}`).join(' AND ');
}

/** This window's breaks, each with its id, version and (spec.amount) money. */
export function ledgerNowSql(plan: ComparePlan, ctx: LedgerContext, d: Dialect = duckdb): string {
  const keys = plan.keys.map((k) => `r.${d.ident(k.name)}`);
  const values = valueColumns(plan).map((c) => `r.${d.ident(c)}`);
  const id = `md5(concat_ws(${d.literal(SEP)}, ${d.literal(ctx.namespace)}, ${d.literal(ctx.job)}, r.recon_status, ${keys.map((k) => d.hashText(k)).join(', ')}))`;
  const moneyCols = ctx.money
    ? [`ml.amt AS recon_amount_left`, `mr.amt AS recon_amount_right`, `ml.ccy AS recon_currency_left`, `mr.ccy AS recon_currency_right`]
    : [];
  const hashed = [...values, ...(ctx.money ? ['ml.amt', 'mr.amt', 'ml.ccy', 'mr.ccy'] : [])];
  const version = `md5(concat_ws(${d.literal(SEP)}, r.recon_status, ${hashed.map((v) => `coalesce(${d.hashText(v)}, ${d.literal(NULL_MARK)})`).join(', ') || d.literal('')}))`;
  const joins = ctx.money
    ? ` LEFT JOIN money_left ml ON r.recon_status IN ('left_only', 'mismatch') AND ${keyEq(plan, 'r', 'ml', d, true)}` +
      ` LEFT JOIN money_right mr ON r.recon_status IN ('right_only', 'mismatch') AND ${keyEq(plan, 'r', 'mr', d, true)}`
    : '';
  const cols = [...keys.map((k, i) => `${k} AS ${d.ident(plan.keys[i]!.name)}`), 'r.recon_status', 'r.recon_mismatched', ...values, ...moneyCols, `${id} AS recon_break_id`, `${version} AS recon_break_version`];
  const select = `SELECT ${cols.join(', ')} FROM recon r${joins} WHERE r.recon_status IN ${BREAK_KINDS}`;
  // Read once (by the ledger) unless carried items are matched against it too: a view then,
  // which spares Spark a job that would materialise it.
  return ctx.carried ? d.createTable('ledger_now', select) : d.createView('ledger_now', select);
}

/**
 * The previous window's open items (view carried_raw). A key read as another kind of type
 * today (text then, numbers now) is cast to today's type so keys compare; values keep
 * their own type, since today's DECIMAL is only as wide as today's data, and the engine
 * widens both to a common type where they meet.
 */
export function ledgerCarriedSql(plan: ComparePlan, ctx: LedgerContext, d: Dialect = duckdb): string {
  const key = (c: string) => {
    const today = ctx.types.get(c);
    const then = ctx.carriedTypes?.get(c);
    return today && then && classifyType(today) !== classifyType(then) ? `CAST(${d.ident(c)} AS ${today}) AS ${d.ident(c)}` : d.ident(c);
  };
  const cols = [
    ...plan.keys.map((k) => key(k.name)),
    'recon_status',
    'recon_mismatched',
    ...valueColumns(plan).map((c) => d.ident(c)),
    ...(ctx.money
      ? [
          `CAST(recon_amount_left AS ${ctx.money.type}) AS recon_amount_left`,
          `CAST(recon_amount_right AS ${ctx.money.type}) AS recon_amount_right`,
          `CAST(recon_currency_left AS ${d.text}) AS recon_currency_left`,
          `CAST(recon_currency_right AS ${d.text}) AS recon_currency_right`,
        ]
      : []),
    'recon_break_id',
    'recon_break_version',
    `CAST(recon_first_seen AS ${d.text}) AS recon_first_seen`,
    `CAST(recon_age_periods AS INTEGER) AS recon_age_periods`,
  ];
  return d.createView('ledger_carried', `SELECT ${cols.join(', ')} FROM carried_raw WHERE recon_status IN ${BREAK_KINDS}`);
}

/** The value one side of a late pair is compared as: normalised text as the compare does it. */
function comparedAs(expr: string, col: PlannedColumn, d: Dialect): string {
  if (col.normalize.length === 0) return expr;
  let e = `CAST(${expr} AS ${d.text})`;
  for (const n of col.normalize) e = n === 'trim' ? `trim(${e})` : n === 'lower' ? `lower(${e})` : d.collapseWhitespace(e);
  return e;
}

/** The compare rule of one column on a late pair, as the compare statement applies it. */
function lateEquals(col: PlannedColumn, l: string, r: string, d: Dialect): string {
  const a = comparedAs(l, col, d);
  const b = comparedAs(r, col, d);
  if (!col.tolerance || !col.decimal) return `(${a} IS NOT DISTINCT FROM ${b})`;
  const t = col.decimal.diffType;
  const abs = `CAST(${d.literal(col.tolerance.absolute)} AS ${decimalTypeFor(col.tolerance.absolute)})`;
  const rel = `CAST(${d.literal(col.tolerance.relative)} AS ${decimalTypeFor(col.tolerance.relative)})`;
  const limit = col.tolerance.relative === '0' ? abs : col.tolerance.absolute === '0' ? `${rel} * abs(${a})` : `${abs} + ${rel} * abs(${a})`;
  return `coalesce((${a} IS NULL AND ${b} IS NULL) OR abs(CAST(${b} AS ${t}) - CAST(${a} AS ${t})) <= ${limit}, false)`;
}

/**
 * Carried left-only items paired with this window's right-only keys (and the mirror), within
 * `periods`, not closed, every compared value equal by the job's rules. A key of this window
 * resolves at most one carried item: the oldest.
 */
export function ledgerLateSql(plan: ComparePlan, ctx: LedgerContext, d: Dialect = duckdb): string {
  // The left value of a pair comes from the carried item when it was left-only, else from
  // this window's row; the right value the other way round.
  const carriedLeft = `c.recon_status = 'left_only'`;
  const leftOf = (col: string) => `CASE WHEN ${carriedLeft} THEN c.${d.ident(col)} ELSE n.${d.ident(col)} END`;
  const rightOf = (col: string) => `CASE WHEN ${carriedLeft} THEN n.${d.ident(col)} ELSE c.${d.ident(col)} END`;
  const equal = plan.compares.map((c) => lateEquals(c, leftOf(`${c.name}_left`), rightOf(`${c.name}_right`), d));
  const values = plan.compares.flatMap((c) => [
    `${leftOf(`${c.name}_left`)} AS ${d.ident(`${c.name}_left`)}`,
    `${rightOf(`${c.name}_right`)} AS ${d.ident(`${c.name}_right`)}`,
    ...(c.decimal ? [`CAST(${rightOf(`${c.name}_right`)} AS ${c.decimal.diffType}) - CAST(${leftOf(`${c.name}_left`)} AS ${c.decimal.diffType}) AS ${d.ident(`${c.name}_diff`)}`] : []),
  ]);
  const carriedCols = (plan.carried ?? []).flatMap((c) => [`${leftOf(`${c.name}_left`)} AS ${d.ident(`${c.name}_left`)}`, `${rightOf(`${c.name}_right`)} AS ${d.ident(`${c.name}_right`)}`]);
  const money = ctx.money
    ? ['recon_amount_left', 'recon_currency_left'].map((c) => `${leftOf(c)} AS ${c}`).concat(['recon_amount_right', 'recon_currency_right'].map((c) => `${rightOf(c)} AS ${c}`))
    : [];
  const cols = [
    ...plan.keys.map((k) => `n.${d.ident(k.name)} AS ${d.ident(k.name)}`),
    `n.recon_status AS now_kind`,
    ...values,
    ...carriedCols,
    ...money,
    'c.recon_break_id',
    'c.recon_break_version',
    'c.recon_first_seen',
    'c.recon_age_periods',
  ];
  const partition = [...plan.keys.map((k) => `n.${d.ident(k.name)}`), 'n.recon_status'].join(', ');
  const pairs =
    `SELECT ${cols.join(', ')}, row_number() OVER (PARTITION BY ${partition} ORDER BY c.recon_age_periods DESC, c.recon_break_id) AS late_rank ` +
    `FROM ledger_carried c JOIN ledger_now n ON ${keyEq(plan, 'c', 'n', d)} ` +
    `AND ((c.recon_status = 'left_only' AND n.recon_status = 'right_only') OR (c.recon_status = 'right_only' AND n.recon_status = 'left_only')) ` +
    `WHERE c.recon_age_periods + 1 <= ${ctx.periods} AND NOT ${closedSql('c', d)}${equal.length ? ` AND ${equal.join(' AND ')}` : ''}`;
  return d.createTable('ledger_late', `SELECT * FROM (${pairs}) p WHERE late_rank = 1`);
}

/** Whether a break row (alias) is closed by a person for its current version (table ledger_closures). */
function closedSql(alias: string, d: Dialect): string {
  return `EXISTS (SELECT 1 FROM ledger_closures x WHERE x.break_id = ${alias}.recon_break_id AND x.${d.ident('version')} = ${alias}.recon_break_version)`;
}

/** The closures the catalog holds for this job (break id, version), as a small table. */
export function closuresTableSql(closures: ReadonlyArray<{ breakId: string; version: string }>, d: Dialect = duckdb): string {
  if (closures.length === 0) return d.createView('ledger_closures', `SELECT CAST(NULL AS ${d.text}) AS break_id, CAST(NULL AS ${d.text}) AS ${d.ident('version')} WHERE false`);
  const rows = closures.map((c) => `SELECT ${d.literal(c.breakId)} AS break_id, ${d.literal(c.version)} AS ${d.ident('version')}`);
  return d.createTable('ledger_closures', rows.join(' UNION ALL '));
}

/** Every break row after this run: this window's (new), carried (persisting), matched late (resolved); closed ones marked. */
export function ledgerSql(plan: ComparePlan, ctx: LedgerContext, d: Dialect = duckdb): string {
  const keys = plan.keys.map((k) => d.ident(k.name));
  const values = valueColumns(plan).map((c) => d.ident(c));
  const money = ctx.money ? MONEY : [];
  const ws = d.literal(ctx.windowStart);
  const startDate = `CAST(${d.literal(ctx.windowStartDate)} AS DATE)`;
  const ageDays = (alias: string) => daysBetween(d, `CAST(substr(${alias}.recon_first_seen, 1, 10) AS DATE)`, startDate);
  const lateOf = (alias: string, kind: string) => `EXISTS (SELECT 1 FROM ledger_late l WHERE ${keyEq(plan, 'l', alias, d)} AND l.now_kind = ${kind})`;
  const now =
    `SELECT ${[...keys.map((k) => `n.${k}`), 'n.recon_status', 'n.recon_mismatched', ...values.map((v) => `n.${v}`), 'n.recon_break_id', 'n.recon_break_version'].join(', ')}, ` +
    `CASE WHEN ${closedSql('n', d)} THEN 'closed' ELSE 'new' END AS recon_break_state, ${ws} AS recon_first_seen, CAST(NULL AS ${d.text}) AS recon_origin_window, ` +
    `CAST(0 AS INTEGER) AS recon_age_days, CAST(0 AS INTEGER) AS recon_age_periods${money.map((m) => `, n.${m}`).join('')} ` +
    `FROM ledger_now n${ctx.carried ? ` WHERE NOT ${lateOf('n', 'n.recon_status')}` : ''}`;
  if (!ctx.carried) return d.createTable('ledger', now);
  const resolvedIds = `EXISTS (SELECT 1 FROM ledger_late l WHERE l.recon_break_id = c.recon_break_id AND l.recon_first_seen = c.recon_first_seen)`;
  const persisting =
    `SELECT ${[...keys.map((k) => `c.${k}`), 'c.recon_status', 'c.recon_mismatched', ...values.map((v) => `c.${v}`), 'c.recon_break_id', 'c.recon_break_version'].join(', ')}, ` +
    `CASE WHEN ${closedSql('c', d)} THEN 'closed' ELSE 'persisting' END AS recon_break_state, c.recon_first_seen, c.recon_first_seen AS recon_origin_window, ` +
    `CAST(${ageDays('c')} AS INTEGER) AS recon_age_days, CAST(c.recon_age_periods + 1 AS INTEGER) AS recon_age_periods${money.map((m) => `, c.${m}`).join('')} ` +
    `FROM ledger_carried c WHERE NOT ${resolvedIds}`;
  const late =
    `SELECT ${[...keys.map((k) => `l.${k}`), `${d.literal(MATCHED_LATE)} AS recon_status`, `${d.emptyTextList} AS recon_mismatched`, ...values.map((v) => `l.${v}`), 'l.recon_break_id', 'l.recon_break_version'].join(', ')}, ` +
    `'resolved' AS recon_break_state, l.recon_first_seen, l.recon_first_seen AS recon_origin_window, ` +
    `CAST(${ageDays('l')} AS INTEGER) AS recon_age_days, CAST(l.recon_age_periods + 1 AS INTEGER) AS recon_age_periods${money.map((m) => `, l.${m}`).join('')} ` +
    `FROM ledger_late l`;
  return d.createTable('ledger', `${now} UNION ALL ${persisting} UNION ALL ${late}`);
}

/** How many this-window keys of each side were matched late (they leave leftOnly/rightOnly). */
export function lateCountsSql(): string {
  return `SELECT count(*) FILTER (WHERE now_kind = 'left_only') AS late_left, count(*) FILTER (WHERE now_kind = 'right_only') AS late_right FROM ledger_late`;
}

/**
 * The ledger's counts after this run, one row per window a break was first seen in (few:
 * one per window the ledger carries); breaks/ledger-stats.ts folds them. open_items counts
 * with the open_items view's own predicate, so the file written can be checked against it.
 */
export function ledgerStatsSql(): string {
  return (
    `SELECT recon_first_seen AS first_seen, count(*) FILTER (WHERE recon_break_state = 'new') AS new_breaks, count(*) FILTER (WHERE recon_break_state = 'persisting') AS persisting, ` +
    `count(*) FILTER (WHERE recon_break_state = 'resolved') AS resolved, count(*) FILTER (WHERE recon_break_state = 'closed') AS closed, ` +
    `count(*) FILTER (WHERE ${OPEN_ITEM}) AS open_items, ` +
    `coalesce(max(recon_age_days) FILTER (WHERE recon_break_state IN ${OPEN_STATES}), 0) AS oldest_days FROM ledger GROUP BY recon_first_seen`
  );
}

/** Money at stake of open breaks per currency, kind and age bucket, as exact text (money/moneyAtStake shapes it). */
export function moneyAtStakeSql(d: Dialect = duckdb): string {
  const cur = (c: string) => `coalesce(nullif(trim(${c}), ''), ${d.literal(NO_CURRENCY)})`;
  const bucket = `CASE WHEN recon_age_days <= 1 THEN '0-1' WHEN recon_age_days <= 7 THEN '2-7' WHEN recon_age_days <= 30 THEN '8-30' ELSE '>30' END`;
  const x =
    `SELECT ${cur('recon_currency_left')} AS cl, ${cur('recon_currency_right')} AS cr, recon_status AS kind, ${bucket} AS bucket, ` +
    `coalesce(recon_amount_left, 0) AS al, coalesce(recon_amount_right, 0) AS ar FROM ledger WHERE recon_break_state IN ${OPEN_STATES}`;
  const parts = [
    `SELECT cl AS currency, kind, bucket, al AS amount FROM x WHERE kind = 'left_only'`,
    `SELECT cr AS currency, kind, bucket, ar AS amount FROM x WHERE kind = 'right_only'`,
    `SELECT cl AS currency, kind, bucket, abs(ar - al) AS amount FROM x WHERE kind = 'mismatch' AND cl = cr`,
    `SELECT cl AS currency, kind, bucket, abs(al) AS amount FROM x WHERE kind = 'mismatch' AND cl <> cr`,
    `SELECT cr AS currency, kind, bucket, abs(ar) AS amount FROM x WHERE kind = 'mismatch' AND cl <> cr`,
  ];
  return `WITH x AS (${x}) SELECT currency, kind, bucket, CAST(sum(amount) AS ${d.text}) AS amount FROM (${parts.join(' UNION ALL ')}) m GROUP BY currency, kind, bucket`;
}

/**
 * One side's money on the duplicated keys, one row per key: the total of that side's rows
 * and their currency, only when they are all in one currency (never summed across).
 */
function duplicateMoneySql(plan: ComparePlan, side: Side, d: Dialect): string {
  const keys = plan.keys.map((_, i) => `m.${keyAlias(i)}`).join(', ');
  const oneCurrency = `count(DISTINCT coalesce(m.ccy, ${d.literal(NULL_MARK)})) = 1`;
  const dupKeys = `(SELECT ${plan.keys.map((k) => d.ident(k.name)).join(', ')} FROM recon WHERE recon_status = 'duplicate') dk`;
  const on = plan.keys.map((k, i) => `m.${keyAlias(i)} = dk.${d.ident(k.name)}`).join(' AND ');
  return (
    `SELECT ${keys}, CASE WHEN ${oneCurrency} THEN sum(m.amt) END AS amt, CASE WHEN ${oneCurrency} THEN max(m.ccy) END AS ccy ` +
    `FROM money_${side} m ${d.semiJoin} ${dupKeys} ON ${on} GROUP BY ${keys}`
  );
}

/** The result table: the ledger's rows in place of recon's breaks, filtered by the output mode. */
export function resultWithLedgerViewSql(plan: ComparePlan, mode: OutputMode, money: boolean, d: Dialect = duckdb): string {
  const pub = publicColumns(plan).map((c) => d.ident(c));
  const extra = [...LEDGER, ...(money ? MONEY : [])];
  const dupSide = d.ident(DUP_SIDE);
  const dup = DUPLICATES.map((c) => d.ident(c));
  const fromLedger = [...pub.map((c) => `g.${c}`), ...extra.map((c) => `g.${c}`), `CAST(NULL AS ${d.text}) AS ${dupSide}`, `CAST(NULL AS BIGINT) AS ${dup[1]}`, `CAST(NULL AS BIGINT) AS ${dup[2]}`];
  // Other rows of recon: matches (no ledger columns) and duplicates, whose money is each
  // side's total over the key's rows.
  const moneyOf = (c: string): string => {
    if (!money || !MONEY.includes(c)) return `NULL AS ${c}`;
    const [, what, side] = /^recon_(amount|currency)_(left|right)$/.exec(c)!;
    return `${side === 'left' ? 'ml' : 'mr'}.${what === 'amount' ? 'amt' : 'ccy'} AS ${c}`;
  };
  const fromRecon = [...pub.map((c) => `r.${c}`), ...extra.map(moneyOf), `r.${dupSide}`, `r.${d.ident(DUP_ROWS_LEFT)} AS ${dup[1]}`, `r.${d.ident(DUP_ROWS_RIGHT)} AS ${dup[2]}`];
  const keyOn = (alias: string) => plan.keys.map((k, i) => `r.${d.ident(k.name)} = ${alias}.${keyAlias(i)}`).join(' AND ');
  const moneyJoins = money
    ? ` LEFT JOIN (${duplicateMoneySql(plan, 'left', d)}) ml ON r.recon_status = 'duplicate' AND ${keyOn('ml')}` +
      ` LEFT JOIN (${duplicateMoneySql(plan, 'right', d)}) mr ON r.recon_status = 'duplicate' AND ${keyOn('mr')}`
    : '';
  const rows =
    `SELECT ${fromLedger.join(', ')} FROM ledger g ` +
    `UNION ALL SELECT ${fromRecon.join(', ')} FROM recon r${moneyJoins} WHERE r.recon_status NOT IN ${BREAK_KINDS}`;
  const order = plan.keys.map((k) => d.ident(k.name)).join(', ');
  const out = [...pub, ...extra, `${dupSide} AS ${dup[0]}`, dup[1], dup[2]];
  return d.createView('result_table', `SELECT ${out.join(', ')} FROM (${rows}) u WHERE ${modeFilter(mode)} ORDER BY ${order}, recon_status`);
}

/** The open items this run leaves for the next window: every break row but the resolved ones. */
export function openItemsViewSql(plan: ComparePlan, money: boolean, d: Dialect = duckdb): string {
  const cols = ledgerRowColumns(plan, money).map((c) => d.ident(c));
  const order = plan.keys.map((k) => d.ident(k.name)).join(', ');
  return d.createView('open_items', `SELECT ${cols.join(', ')} FROM ledger WHERE ${OPEN_ITEM} ORDER BY ${order}, recon_status`);
}
