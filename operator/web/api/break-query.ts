// The break list of one run as DuckDB SQL over its result files, pure: which rows are
// breaks, their id, state (with people's closures joined in), amount at stake, currency
// and age; the filters (state, age, amount range, key search) and the sort. Values come
// back as text, so money is never a float; numbers are cast only to compare and order.
import { quoteIdent, quoteLiteral } from '../../../runner/compare/sql-text.ts';
import type { BreakWork } from './breaks.ts';
import { mismatchedListSql } from './mismatched.ts';
import { decodeContinue, encodeContinue, parseLimit, ParamError } from './listing.ts';

export const BREAK_STATES = ['new', 'persisting', 'resolved', 'open', 'closed'] as const;
export type BreakState = (typeof BREAK_STATES)[number];
/** Sort keys besides the result file's own columns. */
export const BREAK_SORTS = ['id', 'state', 'amount', 'currency', 'age', 'firstSeen', 'owner', 'comments', 'status'] as const;

export interface ResultColumn {
  name: string;
  type: string;
}

/** What the job says about its result files: key columns and the money column. */
export interface BreakSource {
  columns: readonly ResultColumn[];
  keys: readonly string[];
  amount?: { column: string; currency?: string };
}

export interface BreakQuery {
  states?: BreakState[];
  minAge?: number;
  maxAge?: number;
  minAmount?: string;
  maxAmount?: string;
  search?: string;
  sort: string;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

const DECIMAL = /^-?\d{1,28}(\.\d{1,10})?$/;

function one(q: URLSearchParams, name: string): string | undefined {
  const all = q.getAll(name);
  if (all.length > 1) throw new ParamError(name, `${name} is given ${all.length} times; give it once`);
  return all[0];
}

function wholeDays(q: URLSearchParams, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,5}$/.test(v)) throw new ParamError(name, `${name} must be a whole number of days, 0 to 99999`);
  return Number(v);
}

function amount(q: URLSearchParams, name: string): string | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!DECIMAL.test(v)) throw new ParamError(name, `${name} must be a plain decimal such as 1000 or 99.95 (no separators or currency)`);
  return v;
}

export const BREAK_QUERY_PARAMS = ['state', 'minAge', 'maxAge', 'minAmount', 'maxAmount', 'q', 'sort', 'order', 'limit', 'continue', 'format'] as const;

/** The break list's query parameters; a bad one is a 400 naming it. */
export function parseBreakQuery(q: URLSearchParams, maxLimit = 1000): BreakQuery & { format: 'json' | 'csv' } {
  for (const name of q.keys()) if (!(BREAK_QUERY_PARAMS as readonly string[]).includes(name)) throw new ParamError(name, `unknown parameter ${name}; the break list takes ${BREAK_QUERY_PARAMS.join(', ')}`);
  const states = q.getAll('state').flatMap((s) => s.split(',')).filter(Boolean);
  for (const s of states) if (!(BREAK_STATES as readonly string[]).includes(s)) throw new ParamError('state', `state must be one or more of ${BREAK_STATES.join(', ')}`);
  const minAge = wholeDays(q, 'minAge');
  const maxAge = wholeDays(q, 'maxAge');
  if (minAge !== undefined && maxAge !== undefined && maxAge < minAge) throw new ParamError('maxAge', 'maxAge must not be below minAge');
  const minAmount = amount(q, 'minAmount');
  const maxAmount = amount(q, 'maxAmount');
  const search = one(q, 'q');
  if (search !== undefined && search.length > 200) throw new ParamError('q', 'q (key search) is longer than 200 characters');
  const sort = one(q, 'sort') ?? 'amount';
  if (sort.length === 0 || sort.length > 256) throw new ParamError('sort', `sort must be one of ${BREAK_SORTS.join(', ')} or a column of the result`);
  const order = one(q, 'order') ?? (sort === 'amount' || sort === 'age' ? 'desc' : 'asc');
  if (order !== 'asc' && order !== 'desc') throw new ParamError('order', 'order must be asc or desc');
  const format = one(q, 'format') ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new ParamError('format', 'format must be json or csv');
  const base: BreakQuery = {
    ...(states.length ? { states: states as BreakState[] } : {}),
    ...(minAge !== undefined ? { minAge } : {}),
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(minAmount !== undefined ? { minAmount } : {}),
    ...(maxAmount !== undefined ? { maxAmount } : {}),
    ...(search ? { search } : {}),
    sort,
    order,
    limit: format === 'csv' ? Number.MAX_SAFE_INTEGER : parseLimit(q, maxLimit, 100),
    offset: 0,
  };
  const after = decodeContinue(one(q, 'continue'), 2);
  if (after) {
    if (after[1] !== breakFingerprint(base) || !/^\d{1,12}$/.test(after[0]!)) throw new ParamError('continue', 'continue belongs to another filter or sort; start again without it');
    base.offset = Number(after[0]);
  }
  return { ...base, format };
}

/** What a continue token is bound to: the filter and sort, not the page. */
export function breakFingerprint(q: BreakQuery): string {
  return JSON.stringify([[...(q.states ?? [])].sort(), q.minAge, q.maxAge, q.minAmount, q.maxAmount, q.search, q.sort, q.order]);
}

export function nextBreakToken(q: BreakQuery, returned: number, total: number): string | undefined {
  const next = q.offset + returned;
  return next < total ? encodeContinue([String(next), breakFingerprint(q)]) : undefined;
}

const text = (col: string) => `CAST(${quoteIdent(col)} AS VARCHAR)`;
const num = (sql: string) => `TRY_CAST(${sql} AS DECIMAL(38,10))`;

/** Column names of compared values, the ones a break's data is made of. */
export function valueColumns(columns: readonly ResultColumn[]): string[] {
  return columns
    .map((c) => c.name)
    .filter((n) => !n.startsWith('recon_') && /_(left|right)$/.test(n))
    .sort();
}

/**
 * The break's version: the runner's `recon_break_version` (a hash of its compared values and
 * amounts) when the job has a break ledger, else a hash of its status and every left/right
 * value, sorted by column name, NULL as empty. A closure holds for one version only.
 */
export function fingerprintSql(columns: readonly ResultColumn[]): string {
  if (columns.some((c) => c.name === 'recon_break_version')) return `coalesce(${text('recon_break_version')}, '')`;
  const parts = [`coalesce(CAST(recon_status AS VARCHAR), '')`, ...valueColumns(columns).map((c) => `coalesce(${text(c)}, '')`)];
  return `md5(concat_ws('|', ${parts.join(', ')}))`;
}

/** The break's id: the runner's stable id, or (a job without a break ledger) a hash of its keys. */
export function breakIdSql(src: BreakSource): string {
  const names = new Set(src.columns.map((c) => c.name));
  if (names.has('recon_break_id')) return text('recon_break_id');
  const keys = src.keys.filter((k) => names.has(k));
  if (!keys.length) return `md5(${fingerprintSql(src.columns)})`;
  return `'k-' || substr(md5(concat_ws('|', ${keys.map((k) => `coalesce(${text(k)}, '')`).join(', ')})), 1, 24)`;
}

/** "0.0500000000" -> "0.05": a computed difference shown as people write it. */
const trimZeros = (sql: string) => `regexp_replace(regexp_replace(${sql}, '(\\.[0-9]*?)0+$', '\\1'), '\\.$', '')`;

/**
 * The amount at stake of one break row, as text: left-only its left amount, right-only its
 * right amount, a mismatch |right - left|. The runner's `recon_amount_*` columns when it
 * wrote them, else the job's amount column.
 */
export function amountSql(src: BreakSource): string {
  const names = new Set(src.columns.map((c) => c.name));
  const a = src.amount?.column;
  const [l, r] = names.has('recon_amount_left') ? ['recon_amount_left', 'recon_amount_right'] : a ? [`${a}_left`, `${a}_right`] : [];
  if (!l || !r || (!names.has(l) && !names.has(r))) return 'NULL';
  const col = (c: string) => (names.has(c) ? `ltrim(${text(c)}, '-')` : 'NULL');
  const diffCol = a && names.has(`${a}_diff`) && l !== 'recon_amount_left' ? col(`${a}_diff`) : undefined;
  const computed = names.has(l) && names.has(r) ? trimZeros(`CAST(abs(${num(text(r))} - ${num(text(l))}) AS VARCHAR)`) : 'NULL';
  return `CASE recon_status WHEN 'left_only' THEN ${col(l)} WHEN 'right_only' THEN ${col(r)} WHEN 'mismatch' THEN ${diffCol ?? computed} ELSE NULL END`;
}

export function currencySql(src: BreakSource): string {
  const names = new Set(src.columns.map((c) => c.name));
  const pick = (l: string, r: string) => `coalesce(${names.has(l) ? text(l) : 'NULL'}, ${names.has(r) ? text(r) : 'NULL'})`;
  if (names.has('recon_currency_left') || names.has('recon_currency_right')) return pick('recon_currency_left', 'recon_currency_right');
  const c = src.amount?.currency;
  if (!c) return 'NULL';
  if (names.has(`${c}_left`) || names.has(`${c}_right`)) return pick(`${c}_left`, `${c}_right`);
  return names.has(c) ? text(c) : 'NULL';
}

function workCte(work: readonly BreakWork[]): string {
  const cols = '(b_id, b_owner, b_closed_reason, b_closed_fp, b_comments, b_last_comment)';
  if (!work.length) return `work${cols} AS (SELECT NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, 0::INTEGER, NULL::VARCHAR WHERE false)`;
  const lit = (v: string | undefined) => (v === undefined ? 'NULL::VARCHAR' : `${quoteLiteral(v)}::VARCHAR`);
  const rows = work.map((w) => `(${lit(w.breakId)}, ${lit(w.owner)}, ${lit(w.closed?.reason)}, ${lit(w.closed?.fingerprint)}, ${w.comments}::INTEGER, ${lit(w.lastComment?.text)})`);
  return `work${cols} AS (VALUES ${rows.join(', ')})`;
}

/** The virtual columns every break carries, in the order the API and the export list them. */
export const BREAK_FIELDS = ['b_id', 'b_state', 'b_changed', 'b_amount', 'b_currency', 'b_age_days', 'b_first_seen', 'b_owner', 'b_comments', 'b_last_comment', 'b_closed_reason'] as const;

/**
 * SELECT of the filtered, sorted page and COUNT of all filtered breaks. `source` is a
 * DuckDB table expression over the run's result files (read_csv/read_parquet).
 */
export function breakListSql(source: string, src: BreakSource, work: readonly BreakWork[], q: BreakQuery): { select: string; count: string } {
  const names = new Set(src.columns.map((c) => c.name));
  if ((q.minAge !== undefined || q.maxAge !== undefined || q.sort === 'age') && !names.has('recon_age_days')) {
    throw new ParamError(q.sort === 'age' ? 'sort' : q.minAge !== undefined ? 'minAge' : 'maxAge', 'this run has no break ages (its job has no break ledger); leave the age filter out');
  }
  if ((q.minAmount !== undefined || q.maxAmount !== undefined) && !src.amount) {
    throw new ParamError(q.minAmount !== undefined ? 'minAmount' : 'maxAmount', 'the job names no money column (spec.amount); leave the amount filter out');
  }
  const sortable = new Set<string>([...BREAK_SORTS, ...names]);
  if (!sortable.has(q.sort)) throw new ParamError('sort', `sort must be one of ${BREAK_SORTS.join(', ')} or a column of the result`);

  const runState = names.has('recon_break_state') ? `coalesce(${text('recon_break_state')}, 'open')` : `CASE WHEN recon_status = 'matched_late' THEN 'resolved' ELSE 'open' END`;
  const fileCols = src.columns.map((c) => (c.name === 'recon_mismatched' ? `${mismatchedListSql(c.type)} AS recon_mismatched` : c.type.endsWith('[]') ? `CAST(${quoteIdent(c.name)} AS VARCHAR[]) AS ${quoteIdent(c.name)}` : `${text(c.name)} AS ${quoteIdent(c.name)}`));
  const base = `SELECT ${fileCols.join(', ')}, ${breakIdSql(src)} AS b_id, ${fingerprintSql(src.columns)} AS b_fp, ${runState} AS b_run_state, ${amountSql(src)} AS b_amount, ${currencySql(src)} AS b_currency,
    ${names.has('recon_age_days') ? `TRY_CAST(${quoteIdent('recon_age_days')} AS INTEGER)` : 'NULL::INTEGER'} AS b_age_days,
    ${names.has('recon_first_seen') ? text('recon_first_seen') : 'NULL::VARCHAR'} AS b_first_seen
  FROM ${source} WHERE recon_status <> 'match'`;
  const joined = `SELECT s.*, w.b_owner, coalesce(w.b_comments, 0) AS b_comments, w.b_last_comment,
    CASE WHEN w.b_closed_fp = s.b_fp THEN w.b_closed_reason END AS b_closed_reason,
    CASE WHEN w.b_closed_fp = s.b_fp THEN 'closed'
         -- The run saw a closure that someone has since reopened: open now.
         WHEN s.b_run_state = 'closed' AND w.b_id IS NOT NULL THEN 'open'
         ELSE s.b_run_state END AS b_state,
    (w.b_closed_fp IS NOT NULL AND w.b_closed_fp <> s.b_fp) AS b_changed
  FROM base s LEFT JOIN work w ON w.b_id = s.b_id`;

  const where: string[] = [];
  if (q.states?.length) {
    const conds = q.states.map((s) => (s === 'open' ? `b_state IN ('new', 'persisting', 'open')` : `b_state = ${quoteLiteral(s)}`));
    where.push(`(${conds.join(' OR ')})`);
  }
  if (q.minAge !== undefined) where.push(`b_age_days >= ${q.minAge}`);
  if (q.maxAge !== undefined) where.push(`b_age_days <= ${q.maxAge}`);
  if (q.minAmount !== undefined) where.push(`${num('b_amount')} >= ${num(quoteLiteral(q.minAmount))}`);
  if (q.maxAmount !== undefined) where.push(`${num('b_amount')} <= ${num(quoteLiteral(q.maxAmount))}`);
  if (q.search) {
    const needle = `lower(${quoteLiteral(q.search)})`;
    // Part of any key value, or a whole break id (ids are hashes: a digit would match most of them).
    const keys = src.keys.filter((k) => names.has(k)).map((k) => `contains(lower(coalesce(${text(k)}, '')), ${needle})`);
    where.push(`(${[...keys, `lower(b_id) = ${needle}`].join(' OR ')})`);
  }
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';

  const virtual: Record<string, string> = { id: 'b_id', state: 'b_state', amount: 'b_amount', currency: 'b_currency', age: 'b_age_days', firstSeen: 'b_first_seen', owner: 'b_owner', comments: 'b_comments', status: 'recon_status' };
  const key = virtual[q.sort] ?? quoteIdent(q.sort);
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  // Numbers by value, then everything as text; ties by id and data so pages never overlap.
  const order = `ORDER BY ${num(`CAST(${key} AS VARCHAR)`)} ${dir} NULLS LAST, CAST(${key} AS VARCHAR) ${dir} NULLS LAST, b_id, b_fp`;
  const ctes = `WITH base AS (${base}), ${workCte(work)}, breaks AS (${joined})`;
  const out = [...src.columns.map((c) => quoteIdent(c.name)), ...BREAK_FIELDS].join(', ');
  const limit = Number.isSafeInteger(q.limit) && q.limit < Number.MAX_SAFE_INTEGER ? `LIMIT ${q.limit} OFFSET ${q.offset}` : '';
  return {
    select: `${ctes} SELECT ${out} FROM breaks ${filter} ${order} ${limit}`,
    count: `${ctes} SELECT count(*)::VARCHAR AS n FROM breaks ${filter}`,
  };
}

/** The SELECT of one break's fingerprint in a run (to close it as it is now). */
export function breakRowSql(source: string, src: BreakSource, id: string): string {
  return `SELECT ${fingerprintSql(src.columns)} AS b_fp, recon_status AS b_status FROM ${source} WHERE recon_status <> 'match' AND ${breakIdSql(src)} = ${quoteLiteral(id)} LIMIT 2`;
}
