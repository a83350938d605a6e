// Property test: random small data sets with hostile column names, letter-case
// differences across sides, duplicates, NULL keys, wide decimals, tolerances and text
// normalisation, reconciled by the real runner (real files, real DuckDB) and by the plain
// TypeScript reference of the compare semantics (docs/design.md) (test/support/reference-recon.ts), on
// both engines (Spark on fewer of the same seeded cases). They must agree on every count,
// per-column mismatch, diff total, balanced, result row, money at stake per currency and
// break count, or the runner must
// refuse the spec naming the clashing column. `npm test` uses a fixed seed; `npm run fuzz`
// runs many more cases with a fresh seed (RAAS_FUZZ_RUNS, RAAS_FUZZ_SEED).
import { LEDGER_COLUMNS, MONEY_COLUMNS } from '../../runner/breaks/columns.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { casesFor, ENGINES, engineReady, reconcileOn, timeoutFor } from '../support/engines.ts';
import type { FixtureRun } from '../support/recon-fixture.ts';
import { parseDecimal, referenceLedger, referenceRecon, type RefColumn, type RefRow, type Value } from '../support/reference-recon.ts';

const RUNS = Number(process.env.RAAS_FUZZ_RUNS ?? 60);
// Spark runs fewer cases of the same seed: each run costs it seconds, not milliseconds.
const SPARK_RUNS = Number(process.env.RAAS_FUZZ_SPARK_RUNS ?? 4);
const SEED = process.env.RAAS_FUZZ_SEED ? Number(process.env.RAAS_FUZZ_SEED) : process.env.RAAS_FUZZ_RUNS ? Date.now() % 2 ** 31 : 20261201;

// Names an internal alias or result column of the engine might use, in several cases.
const KEY_NAMES = ['id', 'ID', 'k0', 'K1', 'v0', '__present', '__in_left', 'recon_status', 'RECON_MISMATCHED', '__raas_id', 'amount_left', 'x_RIGHT'];
const AMOUNT_NAMES = ['amount', 'AMOUNT', 'Amount', 'v2', 'k2', 'o0', '__eq0', 'recon', 'x'];
const TEXT_NAMES = ['status', 'STATUS', 'v1', 'o1', 'n', '__dup_side', 'recon_statu', 'Y'];
const AMOUNTS = ['10', '10.00', '10.01', '9.99', '-3.5', '-3.50', '0', '0.001', '123456789012345678.123', '123456789012345678.124', '0.123456789012345678', '0.123456789012345677', '99999999999999999999', '100000000000000000000'];
const TEXTS = ['Ab', 'ab', ' ab', 'a  b', 'A B', 'b', 'ab ', ''];
// Keys as written: "01" is never "1" and "007" never "7", whatever the other rows hold.
const KEYS = ['1', '01', '7', '007', '2', '3', 'x1', '10'];

const amount = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...AMOUNTS) },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.integer({ min: 0, max: 6 })).map(([neg, n, scale]) => {
    const t = n.toString().padStart(scale + 1, '0');
    return `${neg ? '-' : ''}${scale ? `${t.slice(0, -scale)}.${t.slice(-scale)}` : t}`;
  }) },
);
const value = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 6 });
const row = fc.record({ key: fc.option(fc.constantFrom(...KEYS), { nil: null, freq: 10 }), amount: value(amount), text: value(fc.constantFrom(...TEXTS)) });
const side = fc.record({
  format: fc.constantFrom('csv', 'ndjson'),
  // The first row has values, so every column's type can be told from the data.
  rows: fc.tuple(fc.record({ key: fc.constantFrom(...KEYS), amount, text: fc.constantFrom(...TEXTS.filter((t) => t !== '')) }), fc.array(row, { maxLength: 10 })).map(([first, rest]) => [first, ...rest]),
});
const scenario = fc.record({
  keyName: fc.constantFrom(...KEY_NAMES),
  amountName: fc.constantFrom(...AMOUNT_NAMES),
  textName: fc.constantFrom(...TEXT_NAMES),
  rightCase: fc.record({ key: fc.nat(2), amount: fc.nat(2), text: fc.nat(2) }),
  explicit: fc.boolean(),
  tolerance: fc.constantFrom(undefined, { absolute: 0.01 }, { absolute: 1 }, { relative: 0.1 }, { absolute: 0.01, relative: 0.001 }),
  normalize: fc.subarray(['trim', 'lower', 'collapseWhitespace'] as const),
  left: side,
  right: side,
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const variant = (name: string, i: number) => [name, name.toUpperCase(), name.toLowerCase()][i]!;

function fileText(format: string, names: { key: string; amount: string; text: string }, rows: Array<{ key: string | null; amount: Value; text: Value }>): string {
  if (format === 'csv') {
    const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
    return `${[q(names.key), q(names.amount), q(names.text)].join(',')}\n${rows.map((r) => `${r.key ?? ''},${r.amount ?? ''},${r.text === null ? '' : q(r.text)}`).join('\n')}\n`;
  }
  // JSON numbers written as raw text: exactly what the file says, never through a double.
  const json = (v: Value) => (v === null ? 'null' : v.replace(/^(-?)0+(?=\d)/, '$1'));
  // Keys that are plain whole numbers are written as JSON numbers, the others as strings.
  const jsonKey = (k: string | null) => (k === null ? 'null' : /^[1-9]\d*$/.test(k) ? k : JSON.stringify(k));
  return rows.map((r) => `{${JSON.stringify(names.key)}: ${jsonKey(r.key)}, ${JSON.stringify(names.amount)}: ${json(r.amount)}, ${JSON.stringify(names.text)}: ${r.text === null ? 'null' : JSON.stringify(r.text)}}`).join('\n') + '\n';
}

/** The result columns the spec asks for, folded as DuckDB folds identifiers: a clash means the spec must be refused. */
function clashes(s: Scenario): boolean {
  const names = [s.keyName, 'recon_status', 'recon_mismatched', `${s.amountName}_left`, `${s.amountName}_right`, `${s.amountName}_diff`, `${s.textName}_left`, `${s.textName}_right`].map((n) => n.toLowerCase());
  const reserved = new Set<string>([...LEDGER_COLUMNS, ...MONEY_COLUMNS]);
  return new Set(names).size !== names.length || names.some((n) => n.startsWith('__raas_') || reserved.has(n));
}

function widths(s: Scenario): { intDigits: number; scale: number } {
  const values = [...s.left.rows, ...s.right.rows].flatMap((r) => (r.amount === null ? [] : [r.amount]));
  return {
    intDigits: Math.max(1, ...values.map((v) => v.replace(/^-/, '').split('.')[0]!.replace(/^0+/, '').length)),
    scale: Math.max(0, ...values.map((v) => v.split('.')[1]?.length ?? 0)),
  };
}

/** Amounts needing more than 37 digits in one exact DECIMAL (both sides together) must be refused, never rounded. */
function tooWide(s: Scenario): boolean {
  const w = widths(s);
  return w.intDigits + w.scale > 37;
}

/** An exact relative tolerance needs the amounts' digits plus its own within DECIMAL(38); wider data must be refused. */
function relativeTooWide(s: Scenario): boolean {
  if (!s.explicit || !s.tolerance?.relative) return false;
  const { intDigits, scale } = widths(s);
  const rel = String(s.tolerance.relative);
  const relWidth = 1 + (rel.split('.')[1]?.length ?? 0);
  return intDigits + scale + 1 + relWidth > 38;
}

async function check(reconcile: ReturnType<typeof reconcileOn>, s: Scenario): Promise<void> {
  const leftNames = { key: s.keyName, amount: s.amountName, text: s.textName };
  const rightNames = { key: variant(s.keyName, s.rightCase.key), amount: variant(s.amountName, s.rightCase.amount), text: variant(s.textName, s.rightCase.text) };
  const files = {
    [`l.${s.left.format}`]: fileText(s.left.format, leftNames, s.left.rows),
    [`r.${s.right.format}`]: fileText(s.right.format, rightNames, s.right.rows),
  };
  const columns: RefColumn[] = [
    { name: s.amountName, kind: 'number', ...(s.explicit && s.tolerance ? { tolerance: { ...(s.tolerance.absolute !== undefined ? { absolute: String(s.tolerance.absolute) } : {}), ...(s.tolerance.relative !== undefined ? { relative: String(s.tolerance.relative) } : {}) } } : {}) },
    { name: s.textName, kind: 'text', ...(s.explicit && s.normalize.length ? { normalize: [...s.normalize] } : {}) },
  ];
  const spec = {
    left: { uri: `l.${s.left.format}` },
    right: { uri: `r.${s.right.format}` },
    // The right side's names differ in letter case only: they must pair ignoring case.
    keys: [{ column: s.keyName }],
    ...(s.explicit
      ? { compare: [{ column: s.amountName, ...(s.tolerance ? { tolerance: s.tolerance } : {}) }, { column: s.textName, ...(s.normalize.length ? { normalize: [...s.normalize] } : {}) }] }
      : {}),
    // Money at stake: the amount column, in the currency the text column names.
    amount: { column: s.amountName, right: rightNames.amount, currency: s.textName, currencyRight: rightNames.text },
  };
  // The CSV reader reads an empty field, quoted or not, as NULL; JSON keeps the empty text.
  const toRef = (format: string, rows: Array<{ key: string | null; amount: Value; text: Value }>): RefRow[] =>
    rows.map((r) => ({ key: r.key, values: { [s.amountName]: r.amount, [s.textName]: format === 'csv' && r.text === '' ? null : r.text } }));
  // Specs the runner must refuse (any of the reasons that apply may come first).
  const reasons = [
    ...(clashes(s) ? ['result column .* (would also be produced|starts with "__raas_")'] : []),
    ...(tooWide(s) ? ['can be compared exactly'] : []),
    ...(relativeTooWide(s) ? ['tolerance\\.relative: .*more than 38 digits'] : []),
  ];
  if (reasons.length) {
    await expect(reconcile(files, spec)).rejects.toThrow(new RegExp(reasons.join('|')));
    return;
  }
  const want = referenceRecon(toRef(s.left.format, s.left.rows), toRef(s.right.format, s.right.rows), columns);
  const got = await reconcile(files, spec);
  expect(got.summary.counts).toEqual(want.counts);
  expect(got.summary.mismatchedByColumn).toEqual(want.mismatchedByColumn);
  expect(got.summary.balanced).toBe(want.balanced);
  expect(Object.keys(got.summary.diffTotals)).toEqual(Object.keys(want.diffTotals));
  for (const [c, [v, scale]] of Object.entries(want.diffTotals)) {
    const [gv, gs] = parseDecimal(got.summary.diffTotals[c]!);
    const common = Math.max(scale, gs);
    expect(gv * 10n ** BigInt(common - gs), `diffTotals.${c}`).toBe(v * 10n ** BigInt(common - scale));
  }
  const keyCol = got.columns[0]!;
  expect(got.rows.map((r) => `${String(r[keyCol])}:${String(r.recon_status)}`).sort()).toEqual(want.rows);
  checkLedger(got, referenceLedger(toRef(s.left.format, s.left.rows), toRef(s.right.format, s.right.rows), columns, { amount: s.amountName, currency: s.textName }));
}

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** Money at stake per currency (exact decimal strings, never across currencies) and the break counts agree with the reference. */
function checkLedger(got: FixtureRun, want: ReturnType<typeof referenceLedger>): void {
  const atStake = got.summary.atStake ?? {};
  expect(Object.keys(atStake).sort(), 'atStake currencies').toEqual(Object.keys(want.atStake).sort());
  for (const [currency, kinds] of Object.entries(want.atStake)) {
    for (const kind of ['leftOnly', 'rightOnly', 'mismatched'] as const) {
      const text = atStake[currency]![kind];
      expect(text, `atStake.${currency}.${kind}`).toMatch(DECIMAL_TEXT);
      const [gv, gs] = parseDecimal(text);
      const [wv, ws] = kinds[kind];
      const common = Math.max(gs, ws);
      expect(gv * 10n ** BigInt(common - gs), `atStake.${currency}.${kind} = ${text}`).toBe(wv * 10n ** BigInt(common - ws));
    }
  }
  expect(got.summary.breaks).toMatchObject(want.breaks);
}

describe.each(ENGINES)('%s: the runner agrees with the reference implementation of docs/design.md, Compare semantics', (engine) => {
  const runs = casesFor(engine, RUNS, SPARK_RUNS);
  it(`on ${runs} generated reconciliations (seed ${SEED})`, async (ctx) => {
    await engineReady(engine, ctx);
    const rc = reconcileOn(engine);
    await fc.assert(fc.asyncProperty(scenario, (s) => check(rc, s)), { numRuns: runs, seed: SEED, endOnFailure: true });
  }, timeoutFor(engine, runs));
});
