// An independent, deliberately simple reference of the compare semantics (docs/design.md) in plain TypeScript: rows
// in, counts and statuses out, with exact decimals as BigInt. It shares nothing with the
// SQL builder (runner/compare), so a property test comparing the two catches a wrong
// count in either. One key column, numeric and text compare columns.

export type Value = string | null;
export interface RefRow {
  /** The key as written; equal keys compare as text unless the spec declares them numeric. */
  key: string | number | null;
  values: Record<string, Value>;
}
export interface RefColumn {
  /** Left name (the result's name). */
  name: string;
  kind: 'number' | 'text';
  tolerance?: { absolute?: string; relative?: string };
  normalize?: Array<'trim' | 'lower' | 'collapseWhitespace'>;
}
export interface RefResult {
  counts: {
    left: number; right: number; matched: number; mismatched: number; leftOnly: number; rightOnly: number;
    duplicateKeysLeft: number; duplicateKeysRight: number; nullKeysLeft: number; nullKeysRight: number;
  };
  mismatchedByColumn: Record<string, number>;
  /** Exact sums as [scaled BigInt, scale]. */
  diffTotals: Record<string, [bigint, number]>;
  balanced: boolean;
  /** "key:status" of every AllDiffs result row, sorted. */
  rows: string[];
}

export function parseDecimal(text: string): [bigint, number] {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = m[3] ?? '';
  const digits = BigInt(`${m[2] || '0'}${frac}` || '0');
  return [m[1] === '-' ? -digits : digits, frac.length];
}

function scaleTo([v, s]: [bigint, number], scale: number): bigint {
  return v * 10n ** BigInt(scale - s);
}

const abs = (v: bigint) => (v < 0n ? -v : v);

function normalizeText(v: string, steps: RefColumn['normalize']): string {
  let t = v;
  for (const n of steps ?? []) {
    if (n === 'trim') t = t.replace(/^ +| +$/g, '');
    else if (n === 'lower') t = t.toLowerCase();
    else t = t.replace(/\s+/g, ' ');
  }
  return t;
}

function equal(c: RefColumn, l: Value, r: Value): boolean {
  if (l === null || r === null) return l === null && r === null;
  if (c.kind === 'text') return normalizeText(l, c.normalize) === normalizeText(r, c.normalize);
  const a = parseDecimal(l);
  const b = parseDecimal(r);
  const absTol = parseDecimal(c.tolerance?.absolute ?? '0');
  const relTol = parseDecimal(c.tolerance?.relative ?? '0');
  // |b - a| <= absTol + relTol * |a|, all scaled to one common scale.
  const s = Math.max(a[1], b[1], absTol[1]) + relTol[1];
  const diff = abs(scaleTo(b, s) - scaleTo(a, s));
  const limit = scaleTo(absTol, s) + relTol[0] * abs(scaleTo(a, s - relTol[1]));
  return diff <= limit;
}

export function referenceRecon(left: RefRow[], right: RefRow[], columns: RefColumn[], keyType: 'text' | 'numeric' = 'text'): RefResult {
  // Text keys compare as written ("01" is not "1"); numeric keys as exact numbers.
  const keyOf = (k: string | number): string => {
    if (keyType === 'text') return String(k);
    const [v, scale] = parseDecimal(String(k));
    return `${v * 10n ** BigInt(38 - scale)}`;
  };
  const byKey = (rows: RefRow[]) => {
    const m = new Map<string, RefRow[]>();
    for (const r of rows) if (r.key !== null) m.set(keyOf(r.key), [...(m.get(keyOf(r.key)) ?? []), r]);
    return m;
  };
  const L = byKey(left);
  const R = byKey(right);
  const dupL = [...L].filter(([, rs]) => rs.length > 1).map(([k]) => k);
  const dupR = [...R].filter(([, rs]) => rs.length > 1).map(([k]) => k);
  const dup = new Set([...dupL, ...dupR]);
  const counts = {
    left: left.length, right: right.length, matched: 0, mismatched: 0, leftOnly: 0, rightOnly: 0,
    duplicateKeysLeft: dupL.length, duplicateKeysRight: dupR.length,
    nullKeysLeft: left.filter((r) => r.key === null).length, nullKeysRight: right.filter((r) => r.key === null).length,
  };
  const mismatchedByColumn = Object.fromEntries(columns.map((c) => [c.name, 0]));
  const totals: Record<string, [bigint, number]> = {};
  for (const c of columns) if (c.kind === 'number') totals[c.name] = [0n, 0];
  const shown = new Map<string, string>();
  for (const r of [...left, ...right]) if (r.key !== null && !shown.has(keyOf(r.key))) shown.set(keyOf(r.key), String(r.key));
  const rows: string[] = [...dup].map((k) => `${shown.get(k)}:duplicate`);
  const keys = new Set([...L.keys(), ...R.keys()]);
  for (const k of keys) {
    if (dup.has(k)) continue;
    const l = L.get(k)?.[0];
    const r = R.get(k)?.[0];
    if (!r) {
      counts.leftOnly++;
      rows.push(`${shown.get(k)}:left_only`);
      continue;
    }
    if (!l) {
      counts.rightOnly++;
      rows.push(`${shown.get(k)}:right_only`);
      continue;
    }
    const differing = columns.filter((c) => !equal(c, l.values[c.name] ?? null, r.values[c.name] ?? null));
    for (const c of columns) {
      const lv = l.values[c.name] ?? null;
      const rv = r.values[c.name] ?? null;
      if (c.kind === 'number' && lv !== null && rv !== null) {
        const a = parseDecimal(lv);
        const b = parseDecimal(rv);
        const t = totals[c.name]!;
        const s = Math.max(a[1], b[1], t[1]);
        totals[c.name] = [scaleTo(t, s) + scaleTo(b, s) - scaleTo(a, s), s];
      }
    }
    if (differing.length === 0) counts.matched++;
    else {
      counts.mismatched++;
      rows.push(`${shown.get(k)}:mismatch`);
      for (const c of differing) mismatchedByColumn[c.name]!++;
    }
  }
  // A run with no column compared, or no row on either side, compared nothing.
  const balanced =
    columns.length > 0 &&
    counts.left + counts.right > 0 &&
    counts.mismatched + counts.leftOnly + counts.rightOnly + counts.duplicateKeysLeft + counts.duplicateKeysRight + counts.nullKeysLeft + counts.nullKeysRight === 0;
  return { counts, mismatchedByColumn, diffTotals: totals, balanced, rows: rows.sort() };
}

// ---------------------------------------------------------------------------------------
// Money at stake (spec.amount) and the break ledger of a window without carry-forward:
// kept apart from referenceRecon so the two grow independently.

export interface RefMoney {
  /** The compared column (left name) that holds the money. */
  amount: string;
  /** The column (left name) that holds the currency; without it every amount is in NO_CURRENCY. */
  currency?: string;
}

/** What summary.json says of a currency: each kind's exact total as [scaled BigInt, scale]. */
export type RefAtStake = Record<string, { leftOnly: [bigint, number]; rightOnly: [bigint, number]; mismatched: [bigint, number] }>;

export interface RefLedger {
  atStake: RefAtStake;
  /** Without carry-forward every break is new: open = new = left-only + right-only + mismatched keys. */
  breaks: { open: number; new: number; persisting: number; resolved: number };
}

/** The currency a break is counted in: trimmed; empty or missing is the "no currency" code. */
export const REF_NO_CURRENCY = 'XXX';

function addTo(a: [bigint, number], b: [bigint, number]): [bigint, number] {
  const s = Math.max(a[1], b[1]);
  return [scaleTo(a, s) + scaleTo(b, s), s];
}

/**
 * Money at stake per currency, from the break keys referenceRecon finds: a left-only key's
 * left amount, a right-only key's right amount, a mismatched key's |right − left| when both
 * sides name the same currency, else each side's |amount| in its own currency. A missing
 * amount counts 0. Never summed across currencies; every currency of a break is listed.
 */
export function referenceLedger(left: RefRow[], right: RefRow[], columns: RefColumn[], money: RefMoney, keyType: 'text' | 'numeric' = 'text'): RefLedger {
  const statuses = new Map(referenceRecon(left, right, columns, keyType).rows.map((r) => {
    const i = r.lastIndexOf(':');
    return [r.slice(0, i), r.slice(i + 1)] as const;
  }));
  const keyOf = (k: string | number): string => {
    if (keyType === 'text') return String(k);
    const [v, scale] = parseDecimal(String(k));
    return `${v * 10n ** BigInt(38 - scale)}`;
  };
  // Result rows show a key as first written; find each side's (only) row of a break key.
  const rowOf = (rows: RefRow[], shown: string): RefRow | undefined => rows.find((r) => r.key !== null && keyOf(r.key) === keyOf(shown));
  const currencyOf = (r: RefRow): string => {
    const c = money.currency === undefined ? null : (r.values[money.currency] ?? null);
    const t = c === null ? '' : c.replace(/^ +| +$/g, '');
    return t === '' ? REF_NO_CURRENCY : t;
  };
  const amountOf = (r: RefRow): [bigint, number] => {
    const v = r.values[money.amount] ?? null;
    return v === null ? [0n, 0] : parseDecimal(v);
  };
  const absOf = ([v, s]: [bigint, number]): [bigint, number] => [abs(v), s];
  const atStake: RefAtStake = {};
  const add = (currency: string, kind: 'leftOnly' | 'rightOnly' | 'mismatched', v: [bigint, number]) => {
    atStake[currency] ??= { leftOnly: [0n, 0], rightOnly: [0n, 0], mismatched: [0n, 0] };
    atStake[currency][kind] = addTo(atStake[currency][kind], v);
  };
  let breaks = 0;
  for (const [shown, status] of statuses) {
    if (status === 'duplicate') continue;
    breaks++;
    const l = rowOf(left, shown);
    const r = rowOf(right, shown);
    if (status === 'left_only') add(currencyOf(l!), 'leftOnly', amountOf(l!));
    else if (status === 'right_only') add(currencyOf(r!), 'rightOnly', amountOf(r!));
    else if (currencyOf(l!) === currencyOf(r!)) {
      const a = amountOf(l!);
      const b = amountOf(r!);
      const s = Math.max(a[1], b[1]);
      add(currencyOf(l!), 'mismatched', [abs(scaleTo(b, s) - scaleTo(a, s)), s]);
    } else {
      add(currencyOf(l!), 'mismatched', absOf(amountOf(l!)));
      add(currencyOf(r!), 'mismatched', absOf(amountOf(r!)));
    }
  }
  return { atStake, breaks: { open: breaks, new: breaks, persisting: 0, resolved: 0 } };
}

// ---- Hostile inputs: what the runner must refuse, and how it must read what it accepts.
// Written from the rules in docs/adr (0062-0065) in the plainest way, without the runner's code.

/** Names that are one name to SQL (equal ignoring letter case, an exact repeat included): the first such pair, in file order. */
export function refNameClash(names: readonly string[]): [string, string] | undefined {
  for (let j = 1; j < names.length; j++) {
    for (let i = 0; i < j; i++) if (names[i]!.toLowerCase() === names[j]!.toLowerCase()) return [names[i]!, names[j]!];
  }
  return undefined;
}

export type RefDateFormat = '%d/%m/%Y' | '%m/%d/%Y' | '%Y-%m-%d';

/** A calendar date written in one of the formats. */
export function refWriteDate(d: { y: number; m: number; d: number }, format: RefDateFormat): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  if (format === '%Y-%m-%d') return `${p(d.y, 4)}-${p(d.m)}-${p(d.d)}`;
  return format === '%d/%m/%Y' ? `${p(d.d)}/${p(d.m)}/${p(d.y, 4)}` : `${p(d.m)}/${p(d.d)}/${p(d.y, 4)}`;
}

/** Reads text by a declared format, as the calendar says: "YYYY-MM-DD", or undefined when the text is no date in that format. */
export function refParseDate(text: string, format: RefDateFormat): string | undefined {
  const parts = format === '%Y-%m-%d' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) : /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (!parts) return undefined;
  const [a, b, c] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const [y, m, d] = format === '%Y-%m-%d' ? [a, b, c] : format === '%d/%m/%Y' ? [c, b, a] : [c, a, b];
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (m < 1 || m > 12 || d < 1 || d > days) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Only a year-first format reads one way whatever the other rows hold; any other undeclared format must be refused. */
export function refDateFormatNeedsDeclaring(format: RefDateFormat): boolean {
  return format !== '%Y-%m-%d';
}

/**
 * A column of dates on a side that declared a format: when a value the column holds is
 * shaped like a date (three groups of digits) but is no date in the declared format, the
 * reader keeps the column as text and the run must refuse it. Returns the example the
 * refusal names (the smallest such text), or undefined when every date follows the format.
 */
export function refMisreadDate(texts: ReadonlyArray<string | null>, declared: RefDateFormat): string | undefined {
  // A column of nothing but year-first dates is read as dates whatever the declaration says (ISO 8601 is always recognised).
  if (texts.every((t) => t === null || /^\d{4}-\d{2}-\d{2}$/.test(t))) return undefined;
  const missed = texts.filter((t): t is string => t !== null && /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$/.test(t) && refParseDate(t, declared) === undefined);
  return missed.length ? missed.reduce((a, b) => (b < a ? b : a)) : undefined;
}

/**
 * How a key is compared, from how each side's key column is typed and what the spec declares:
 * `csv` is a key column as a CSV/JSON file names it (read as text), `guessedNumber` a number a
 * side's query made from such a file's guessed column, `text`/`integer` a typed source's column.
 */
export type RefKeySource = 'csv' | 'guessedNumber' | 'text' | 'integer';
export function refKeyRule(left: RefKeySource, right: RefKeySource, declared: 'text' | 'numeric' | undefined): 'text' | 'numeric' | 'refuse' {
  if (declared === 'numeric') return 'numeric';
  // A guessed number has lost its text as written ("007" is already 7): only numbers can compare it.
  if (left === 'guessedNumber' || right === 'guessedNumber') return 'refuse';
  if (declared === 'text') return 'text';
  const isNumber = (s: RefKeySource) => s === 'integer';
  if (isNumber(left) !== isNumber(right)) return 'refuse';
  return isNumber(left) ? 'numeric' : 'text';
}

/**
 * Mismatched rows of a text column that are NULL on one side against empty text on the other:
 * the count the run must explain in its warnings when an input is CSV (an empty CSV field is NULL).
 */
export function refNullAgainstEmpty(left: RefRow[], right: RefRow[], column: string, keyType: 'text' | 'numeric' = 'text'): number {
  const result = referenceRecon(left, right, [{ name: column, kind: 'text' }], keyType);
  const mismatched = new Set(result.rows.filter((r) => r.endsWith(':mismatch')).map((r) => r.slice(0, -':mismatch'.length)));
  const byKey = (rows: RefRow[]) => new Map(rows.filter((r) => r.key !== null).map((r) => [String(r.key), r.values[column] ?? null]));
  const l = byKey(left);
  const r = byKey(right);
  let n = 0;
  for (const k of mismatched) {
    const a = l.get(k);
    const b = r.get(k);
    if ((a === null && b === '') || (a === '' && b === null)) n++;
  }
  return n;
}
