// Property tests over the hostile inputs that once gave wrong counts with exit 0: names
// that differ only in letter case, CSV dates in a day-first or month-first format, keys
// like "01" against 1, and CSV empty fields against empty text. Generated inputs are run by
// the real runner (real files, real DuckDB) and by the plain reference
// (test/support/reference-recon.ts), which predicts either the refusal or every count and
// result row. `npm test` uses fixed seeds; `npm run fuzz` more cases with fresh ones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { duckSql, makeTempDir, reconcile, type FixtureRun } from '../support/recon-fixture.ts';
import {
  refDateFormatNeedsDeclaring,
  referenceRecon,
  refKeyRule,
  refNameClash,
  refNullAgainstEmpty,
  refParseDate,
  refWriteDate,
  type RefDateFormat,
  type RefKeySource,
  type RefRow,
} from '../support/reference-recon.ts';

const RUNS = Number(process.env.RAAS_FUZZ_RUNS ?? 20);
const seed = (fixed: number) => (process.env.RAAS_FUZZ_SEED ? Number(process.env.RAAS_FUZZ_SEED) : process.env.RAAS_FUZZ_RUNS ? Date.now() % 2 ** 31 : fixed);

const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
const lit = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);

/** Writes a Parquet file of VARCHAR columns (or the types given) in a scratch directory and returns its bytes. */
async function parquet(columns: Array<{ name: string; type?: string }>, rows: Array<Array<string | null>>): Promise<Buffer> {
  const dir = await makeTempDir();
  try {
    const file = join(dir, 'p.parquet');
    const cast = (v: string | null, type = 'VARCHAR') => `CAST(${lit(v)} AS ${type})`;
    const select = rows.length
      ? rows.map((r) => `SELECT ${r.map((v, i) => `${cast(v, columns[i]!.type)} AS ${q(columns[i]!.name)}`).join(', ')}`).join(' UNION ALL ')
      : `SELECT ${columns.map((c) => `${cast(null, c.type)} AS ${q(c.name)}`).join(', ')} LIMIT 0`;
    await duckSql(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A Parquet file of text columns with exactly these names. DuckDB renames a clash when it
 * writes (other writers do not), so the third column is written under a placeholder of the
 * same length and renamed in the bytes (the footer's length prefixes still hold); the
 * schema is read back to prove the file has the names asked for.
 */
async function parquetNamed(names: string[], rows: Array<Array<string | null>>): Promise<Buffer> {
  const placeholder = (n: string) => `Q${'z'.repeat(n.length - 1)}`;
  const extraAt = names.findIndex((n, i) => names.findIndex((m) => m.toLowerCase() === n.toLowerCase()) !== i);
  if (extraAt < 0) return parquet(names.map((name) => ({ name })), rows);
  const written = names.map((n, i) => (i === extraAt ? placeholder(n) : n));
  const bytes = Buffer.from((await parquet(written.map((name) => ({ name })), rows)).toString('latin1').replaceAll(placeholder(names[extraAt]!), names[extraAt]!), 'latin1');
  const dir = await makeTempDir();
  try {
    const file = join(dir, 'p.parquet');
    await writeFile(file, bytes);
    const schema = await duckSql(`SELECT name FROM parquet_schema('${file}') WHERE name <> 'duckdb_schema'`);
    if (JSON.stringify(schema.map((r) => r.name)) !== JSON.stringify(names)) throw new Error(`test setup: Parquet names ${JSON.stringify(schema)} are not ${JSON.stringify(names)}`);
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The classes a property's cases reached: each must be reached, or the property proves less than it says. */
function reached(): { add: (c: string) => void; expectAll: (classes: string[]) => void } {
  const seen = new Set<string>();
  return { add: (c) => seen.add(c), expectAll: (classes) => expect([...seen].sort()).toEqual(expect.arrayContaining(classes)) };
}

const statusRows = (got: FixtureRun) => got.rows.map((r) => `${String(r[got.columns[0]!])}:${String(r.recon_status)}`).sort();

function expectAgrees(got: FixtureRun, want: ReturnType<typeof referenceRecon>): void {
  expect(got.summary.counts).toEqual(want.counts);
  expect(got.summary.mismatchedByColumn).toEqual(want.mismatchedByColumn);
  expect(got.summary.balanced).toBe(want.balanced);
  expect(statusRows(got)).toEqual(want.rows);
}

describe('names that differ only in letter case are refused naming both, wherever they come from', () => {
  // One extra column next to id and v, spelled so that it may clash with either.
  const EXTRA = ['ID', 'Id', 'id', 'V', 'v', 'w', 'idx'];
  const scenario = fc.record({
    format: fc.constantFrom('csv', 'parquet', 'ndjson', 'query'),
    extra: fc.option(fc.constantFrom(...EXTRA), { nil: undefined }),
    extraFirst: fc.boolean(),
    left: fc.array(fc.record({ key: fc.constantFrom('1', '2', '3'), v: fc.constantFrom('a', 'b'), x: fc.constantFrom('a', 'z') }), { minLength: 1, maxLength: 5 }),
    right: fc.array(fc.record({ key: fc.constantFrom('1', '2', '3'), v: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 5 }),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  const cases = reached();
  async function check(s: Scenario): Promise<void> {
    // Exact repeats exist only in a CSV header (Parquet writers, JSON objects and query results cannot hold one).
    if (s.extra !== undefined && s.format !== 'csv' && (s.extra === 'id' || s.extra === 'v')) return;
    // A one-letter placeholder could not be renamed safely in Parquet bytes (ID and Id cover Parquet clashes).
    if (s.format === 'parquet' && s.extra === 'V') return;
    const names = s.extra === undefined ? ['id', 'v'] : s.extraFirst ? [s.extra, 'id', 'v'] : ['id', 'v', s.extra];
    const cells = (r: Scenario['left'][number]) => (s.extra === undefined ? [r.key, r.v] : s.extraFirst ? [r.x, r.key, r.v] : [r.key, r.v, r.x]);
    let left: Record<string, unknown> = { uri: 'l.csv' };
    const files: Record<string, string | Buffer> = { 'r.csv': `id,v\n${s.right.map((r) => `${r.key},${r.v}`).join('\n')}\n` };
    if (s.format === 'csv') files['l.csv'] = `${names.map(q).join(',')}\n${s.left.map((r) => cells(r).join(',')).join('\n')}\n`;
    else if (s.format === 'parquet') {
      files['l.parquet'] = await parquetNamed(names, s.left.map(cells));
      left = { uri: 'l.parquet' };
    } else if (s.format === 'ndjson') {
      files['l.ndjson'] = s.left.map((r) => `{${names.map((n, i) => `${JSON.stringify(n)}: ${JSON.stringify(cells(r)[i])}`).join(', ')}}`).join('\n') + '\n';
      left = { uri: 'l.ndjson' };
    } else {
      // The file's names are distinct; the side's query gives the third column its name.
      files['l.csv'] = `id,v,x\n${s.left.map((r) => `${r.key},${r.v},${r.x}`).join('\n')}\n`;
      left = { uri: 'l.csv', query: `SELECT ${s.extra === undefined ? 'id, v' : s.extraFirst ? `x AS ${q(s.extra)}, id, v` : `id, v, x AS ${q(s.extra)}`} FROM source` };
    }
    const spec = { left, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], compare: [{ column: 'v' }] };
    const clash = refNameClash(names);
    if (clash) {
      const [a, b] = clash.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      const said = a === b ? `"${a}" twice` : `"${a}" and "${b}", which differ only in letter case`;
      cases.add(`${s.format} ${a === b ? 'repeat' : 'case clash'}`);
      await expect(reconcile(files, spec)).rejects.toThrow(new RegExp(said));
      return;
    }
    const toRef = (rows: Array<{ key: string; v: string }>): RefRow[] => rows.map((r) => ({ key: r.key, values: { v: r.v } }));
    cases.add(`${s.format} compared`);
    expectAgrees(await reconcile(files, spec), referenceRecon(toRef(s.left), toRef(s.right), [{ name: 'v', kind: 'text' }]));
  }

  it(`on ${RUNS} generated sources (seed ${seed(20261210)})`, async () => {
    // The cases the issue was found with come first, whatever the seed draws.
    const examples: Array<[Scenario]> = [
      [{ format: 'csv', extra: 'id', extraFirst: false, left: [{ key: '1', v: 'a', x: 'z' }], right: [{ key: '1', v: 'a' }] }],
      [{ format: 'csv', extra: 'ID', extraFirst: true, left: [{ key: '1', v: 'a', x: 'z' }], right: [{ key: '2', v: 'a' }] }],
    ];
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: RUNS, seed: seed(20261210), endOnFailure: true, examples });
    cases.expectAll(['csv repeat', 'csv case clash', 'parquet case clash', 'ndjson case clash', 'query case clash', 'csv compared', 'parquet compared', 'ndjson compared', 'query compared']);
  }, 600_000);
});

describe('CSV dates are read by the declared format on each side; an undeclared format that is not year-first is refused', () => {
  const FORMATS: RefDateFormat[] = ['%d/%m/%Y', '%m/%d/%Y', '%Y-%m-%d'];
  // Days up to 12 read both ways; the others tell the format apart.
  const date = fc.record({ y: fc.constantFrom(2023, 2024), m: fc.integer({ min: 1, max: 12 }), d: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 28 })) });
  const side = fc.record({
    written: fc.constantFrom(...FORMATS),
    // Declared as written, declared the other way round, or not declared.
    declared: fc.constantFrom('as-written', 'swapped', 'none'),
    // The first row has a date, so the column is read as dates.
    rows: fc.tuple(fc.record({ key: fc.constantFrom('1', '2', '3', '4'), d: date }), fc.array(fc.record({ key: fc.constantFrom('1', '2', '3', '4'), d: fc.option(date, { nil: null, freq: 6 }) }), { maxLength: 6 })).map(([a, rest]) => [a, ...rest]),
  });
  type Side = typeof side extends fc.Arbitrary<infer T> ? T : never;
  // A swapped declaration is generated only where every date reads both ways (then it means other dates than were
  // written, and the reference reads them as declared); a declaration the text does not follow is not generated.
  const declaredFormat = (s: Side): RefDateFormat | undefined => {
    if (s.declared === 'none') return undefined;
    const readsBothWays = s.rows.every((x) => x.d === null || x.d.d <= 12);
    if (s.declared === 'as-written' || s.written === '%Y-%m-%d' || !readsBothWays) return s.written;
    return s.written === '%d/%m/%Y' ? '%m/%d/%Y' : '%d/%m/%Y';
  };

  const cases = reached();
  async function check(l: Side, r: Side): Promise<void> {
    const csv = (s: Side) => `id,d\n${s.rows.map((x) => `${x.key},${x.d === null ? '' : refWriteDate(x.d, s.written)}`).join('\n')}\n`;
    const sideSpec = (uri: string, s: Side) => ({ uri, ...(declaredFormat(s) ? { csv: { dateFormat: declaredFormat(s) } } : {}) });
    const spec = { left: sideSpec('l.csv', l), right: sideSpec('r.csv', r), keys: [{ column: 'id' }], compare: [{ column: 'd' }] };
    const files = { 'l.csv': csv(l), 'r.csv': csv(r) };
    // The reference reads each text by the declared format; an undeclared file must be year-first.
    const read = (s: Side): Array<string | null> | 'undeclared' => {
      const format = declaredFormat(s);
      if (format === undefined && refDateFormatNeedsDeclaring(s.written)) return 'undeclared';
      return s.rows.map((x) => (x.d === null ? null : refParseDate(refWriteDate(x.d, s.written), format ?? s.written)!));
    };
    const [rl, rr] = [read(l), read(r)];
    const refusals = ([['left', rl], ['right', rr]] as const).filter(([, x]) => x === 'undeclared').map(([name]) => `spec\\.${name}\\.csv\\.dateFormat: the dates in`);
    if (refusals.length) {
      cases.add('undeclared refused');
      await expect(reconcile(files, spec)).rejects.toThrow(new RegExp(refusals.join('|')));
      return;
    }
    const toRef = (s: Side, dates: Array<string | null>): RefRow[] => s.rows.map((x, i) => ({ key: x.key, values: { d: dates[i]! } }));
    const want = referenceRecon(toRef(l, rl as Array<string | null>), toRef(r, rr as Array<string | null>), [{ name: 'd', kind: 'text' }]);
    const formats = [declaredFormat(l) ?? l.written, declaredFormat(r) ?? r.written];
    if (formats[0] !== formats[1]) cases.add('two formats');
    if ([l, r].some((x) => declaredFormat(x) !== undefined && declaredFormat(x) !== x.written)) cases.add('declared the other way');
    if (want.counts.matched > 0 && formats.includes('%d/%m/%Y') && formats.includes('%m/%d/%Y')) cases.add('day-first matched month-first');
    expectAgrees(await reconcile(files, spec), want);
  }

  it(`on ${RUNS} generated pairs of files (seed ${seed(20261211)})`, async () => {
    // 01/02/2024 day-first is 02/01/2024 month-first: one date, declared on each side.
    const feb1 = { key: '1', d: { y: 2024, m: 2, d: 1 } } as const;
    const examples: Array<[Side, Side]> = [[{ written: '%d/%m/%Y', declared: 'as-written', rows: [feb1] }, { written: '%m/%d/%Y', declared: 'as-written', rows: [feb1] }]];
    await fc.assert(fc.asyncProperty(side, side, check), { numRuns: RUNS, seed: seed(20261211), endOnFailure: true, examples });
    cases.expectAll(['undeclared refused', 'two formats', 'declared the other way', 'day-first matched month-first']);
  }, 600_000);
});

describe('keys compare by one rule, never by how the rest of the file was typed', () => {
  // Keys as written on the CSV side: "01" and "007" are 1 and 7 only when numbers are asked for.
  const CSV_KEYS = ['1', '01', '7', '007', '2', '10'];
  const scenario = fc.record({
    // The left side: the key column as the CSV names it, or a number its query makes from a column whose type is guessed.
    left: fc.constantFrom<'csv' | 'query'>('csv', 'query'),
    // The right side: CSV, or a typed Parquet key (INTEGER or VARCHAR).
    right: fc.constantFrom<'csv' | 'integer' | 'text'>('csv', 'integer', 'text'),
    declared: fc.constantFrom<'text' | 'numeric' | undefined>(undefined, 'text', 'numeric'),
    leftRows: fc.array(fc.record({ key: fc.constantFrom(...CSV_KEYS), v: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 8 }),
    rightRows: fc.array(fc.record({ key: fc.constantFrom(...CSV_KEYS), v: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 8 }),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  const cases = reached();
  async function check(s: Scenario): Promise<void> {
    // A typed integer column holds the number ("007" is 7).
    const asInt = (rows: Scenario['leftRows']) => rows.map((r) => ({ ...r, key: r.key.replace(/^0+(?=\d)/, '') }));
    const rightRows = s.right === 'integer' ? asInt(s.rightRows) : s.rightRows;
    // Plain whole numbers in a column the query renames: a guessing reader makes that column a number.
    const leftRows = s.left === 'query' ? asInt(s.leftRows) : s.leftRows;
    const files: Record<string, string | Buffer> = {
      // Every key is a whole number as written, so a guessing reader could make the column a number.
      'l.csv': `${s.left === 'query' ? 'k' : 'id'},v\n${leftRows.map((r) => `${r.key},${r.v}`).join('\n')}\n`,
    };
    if (s.right === 'csv') files['r.csv'] = `id,v\n${rightRows.map((r) => `${r.key},${r.v}`).join('\n')}\n`;
    else files['r.parquet'] = await parquet([{ name: 'id', type: s.right === 'integer' ? 'INTEGER' : 'VARCHAR' }, { name: 'v' }], rightRows.map((r) => [r.key, r.v]));
    const spec = {
      left: { uri: 'l.csv', ...(s.left === 'query' ? { query: 'SELECT k AS id, v FROM source' } : {}) },
      right: { uri: s.right === 'csv' ? 'r.csv' : 'r.parquet' },
      keys: [{ column: 'id', ...(s.declared ? { type: s.declared } : {}) }],
      compare: [{ column: 'v' }],
    };
    const sources: Record<typeof s.left | typeof s.right, RefKeySource> = { csv: 'csv', query: 'guessedNumber', integer: 'integer', text: 'text' };
    const rule = refKeyRule(sources[s.left], sources[s.right], s.declared);
    cases.add(`${s.left}/${s.right}/${s.declared ?? 'undeclared'}: ${rule}`);
    if (rule === 'refuse') {
      await expect(reconcile(files, spec)).rejects.toThrow(/spec\.keys\[0\](\.type)?: .*type: numeric/);
      return;
    }
    const toRef = (rows: Array<{ key: string; v: string }>): RefRow[] => rows.map((r) => ({ key: r.key, values: { v: r.v } }));
    const want = referenceRecon(toRef(leftRows), toRef(rightRows), [{ name: 'v', kind: 'text' }], rule);
    const got = await reconcile(files, spec);
    expect(got.summary.counts).toEqual(want.counts);
    expect(got.summary.mismatchedByColumn).toEqual(want.mismatchedByColumn);
    expect(got.summary.balanced).toBe(want.balanced);
    // Numeric keys are shown as the engine writes the number; compare the statuses per number.
    if (rule === 'text') expect(statusRows(got)).toEqual(want.rows);
    else expect(got.rows.map((r) => `${BigInt(String(r.id))}:${String(r.recon_status)}`).sort()).toEqual(want.rows.map((x) => x.replace(/^(\d+)/, (k) => String(BigInt(k)))).sort());
  }

  it(`on ${RUNS} generated pairs of sources (seed ${seed(20261212)})`, async () => {
    const sevens = { leftRows: [{ key: '01', v: 'a' as const }, { key: '007', v: 'a' as const }], rightRows: [{ key: '1', v: 'a' as const }, { key: '7', v: 'a' as const }] };
    const examples: Array<[Scenario]> = [
      [{ left: 'csv', right: 'csv', declared: undefined, ...sevens }],
      [{ left: 'csv', right: 'integer', declared: undefined, ...sevens }],
      [{ left: 'csv', right: 'integer', declared: 'text', ...sevens }],
      [{ left: 'csv', right: 'integer', declared: 'numeric', ...sevens }],
    ];
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: RUNS, seed: seed(20261212), endOnFailure: true, examples });
    cases.expectAll(['csv/csv/undeclared: text', 'csv/integer/undeclared: refuse', 'csv/integer/numeric: numeric', 'csv/integer/text: text', 'csv/text/undeclared: text', 'query/csv/undeclared: refuse', 'query/csv/numeric: numeric']);
  }, 600_000);
});

describe('a CSV empty field against Parquet empty text: counted as the reference reads it, and explained in the warnings', () => {
  const VALUES = ['', 'a', null];
  const scenario = fc.record({
    nullString: fc.constantFrom<string | undefined>(undefined, 'NULL'),
    left: fc.uniqueArray(fc.record({ key: fc.constantFrom('1', '2', '3', '4', '5'), t: fc.constantFrom(...VALUES) }), { minLength: 1, maxLength: 5, selector: (r) => r.key }),
    right: fc.uniqueArray(fc.record({ key: fc.constantFrom('1', '2', '3', '4', '5'), t: fc.constantFrom(...VALUES) }), { minLength: 1, maxLength: 5, selector: (r) => r.key }),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  const cases = reached();
  async function check(s: Scenario): Promise<void> {
    // Empty text is written "" and NULL as the declared null text (or an empty field).
    const cell = (t: string | null) => (t === null ? (s.nullString ?? '') : `""`);
    const files = {
      'l.csv': `id,t\n${s.left.map((r) => `${r.key},${r.t === null || r.t === '' ? cell(r.t) : q(r.t)}`).join('\n')}\n`,
      'r.parquet': await parquet([{ name: 'id' }, { name: 't' }], s.right.map((r) => [r.key, r.t])),
    };
    const spec = { left: { uri: 'l.csv', ...(s.nullString !== undefined ? { csv: { nullString: s.nullString } } : {}) }, right: { uri: 'r.parquet' }, keys: [{ column: 'id' }], compare: [{ column: 't' }] };
    // Without csv.nullString every empty CSV field is NULL; with it, "" is empty text.
    const left: RefRow[] = s.left.map((r) => ({ key: r.key, values: { t: s.nullString === undefined && r.t === '' ? null : r.t } }));
    const right: RefRow[] = s.right.map((r) => ({ key: r.key, values: { t: r.t } }));
    const got = await reconcile(files, spec);
    const want = referenceRecon(left, right, [{ name: 't', kind: 'text' }]);
    expectAgrees(got, want);
    const explained = (got.summary.warnings ?? []).filter((w) => w.includes('csv.nullString'));
    const n = refNullAgainstEmpty(left, right, 't');
    cases.add(`${s.nullString ?? 'no nullString'}: ${n ? 'explained' : 'nothing to explain'}`);
    if (s.nullString && want.counts.matched > 0) cases.add('empty text matched');
    if (n === 0) expect(explained).toEqual([]);
    else {
      expect(explained).toHaveLength(1);
      expect(explained[0]).toMatch(new RegExp(`^${n} mismatch\\(es\\) of "t" are an empty field read as NULL against an empty text .* set csv\\.nullString on spec\\.left`));
    }
  }

  it(`on ${RUNS} generated pairs (seed ${seed(20261213)})`, async () => {
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: RUNS, seed: seed(20261213), endOnFailure: true });
    cases.expectAll(['no nullString: explained', 'no nullString: nothing to explain', 'NULL: nothing to explain', 'empty text matched']);
  }, 600_000);
});
