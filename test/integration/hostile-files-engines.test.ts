// Hostile files on both engines: files whose reading Spark and DuckDB do differently unless
// raas makes them agree (headers in another order per file, names that need quoting, line
// breaks inside quotes, spaces around header names, a column typed per file, timestamps
// finer than a microsecond, a ragged line, a late value that misfits its column, a repeated name, empty
// fields next to csv.nullString, number spellings Spark alone reads as numbers, numbers with a radix prefix DuckDB alone reads as numbers, boolean-like codes), JSON numbers and number-like strings (Spark's reader would
// turn "02" into 2 and 1e2 into a negative scale), JSON objects whose fields come in another
// order, Parquet structs and maps whose writers ordered fields and entries differently, Parquet or JSON names
// that repeat ignoring case, and Parquet column types Spark has
// not; and CSV results, written byte for byte alike. Each case gets the same answer on both engines, with the
// counts checked, or a one-line refusal that names the field; never a different count.
// Needs pyspark and Java for the Spark half (scripts/install-spark.sh).
import { describe, expect, it } from 'vitest';
import { parquetOf as parquet } from '../support/recon-fixture.ts';
import { engineAnswer, engineReady, reconcileOn, SPARK_TIMEOUT_MS } from '../support/engines.ts';
import { readFile, rm } from 'node:fs/promises';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const nd = (...records: string[]) => `${records.join('\n')}\n`;
const base = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] };
const json = { left: { uri: 'l.ndjson', format: 'ndjson' }, right: { uri: 'r.ndjson', format: 'ndjson' }, keys: [{ column: 'id' }] };
type Files = Record<string, string | Buffer>;

async function both(ctx: Parameters<typeof engineReady>[1], files: Files, spec: Record<string, unknown>) {
  await engineReady('spark', ctx);
  const duck = await reconcileOn('duckdb')(files, spec);
  const spark = await reconcileOn('spark')(files, spec);
  return { duck, spark };
}

const sameAnswer: Array<[string, () => Files | Promise<Files>, Record<string, unknown>, Record<string, number>]> = [
  [
    'files of one input whose headers list the columns in another order are read by name',
    () => ({ 'l/a.csv': csv('id,v,w', '1,a,x'), 'l/b.csv': csv('v,id,w', 'b,2,y'), 'r.csv': csv('id,v,w', '1,a,x', '2,b,y') }),
    { ...base, left: { uri: 'l/*.csv' } },
    { matched: 2, leftOnly: 0, rightOnly: 0 },
  ],
  [
    'a file with a column the others lack, and a column typed differently per file',
    () => ({ 'l/a.csv': csv('id,amt', '1,10'), 'l/b.csv': csv('amt,id,note', '2.50,2,x'), 'r.csv': csv('id,amt', '1,10.00', '2,2.51') }),
    { ...base, left: { uri: 'l/*.csv' }, compare: [{ column: 'amt' }] },
    { matched: 1, mismatched: 1 },
  ],
  [
    'column names with a backtick, brackets, a dot and a comma',
    () => ({
      'l.csv': csv('id,"Amount (EUR)",a.b,"we`ird","fee, net"', '1,10.00,x,y,1', '2,3.5,x,z,2'),
      'r.csv': csv('id,"Amount (EUR)",a.b,"we`ird","fee, net"', '1,10.00,x,y,1', '2,3.6,x,q,2'),
    }),
    base,
    { matched: 1, mismatched: 1 },
  ],
  [
    'a column that is a number in one file and text in another stays text',
    () => ({ 'l/a.csv': csv('id,ref', '1,10', '3,007'), 'l/b.csv': csv('ref,id', 'abc,2'), 'r.csv': csv('id,ref', '1,10', '2,abc', '3,7') }),
    { ...base, left: { uri: 'l/*.csv' } },
    { matched: 2, mismatched: 1 },
  ],
  ['a line break inside a quoted field', () => ({ 'l.csv': 'id,v\n1,"a\nb"\n2,c\n', 'r.csv': 'id,v\n1,"a\nb"\n2,"c\n"\n' }), base, { matched: 1, mismatched: 1 }],
  [
    'number spellings DuckDB reads as text (leading zeros, a plus sign, a fraction with trailing spaces, 1.5d, infinities) are text on Spark too',
    () => ({
      'l.csv': csv('id,code,p,pad,suf,inf', '1,0012,+1.5, 1.5 ,1.5d,inf', '2,0013,+2,2.0 ,2d,Infinity'),
      'r.csv': csv('id,code,p,pad,suf,inf', '1,0012,+1.5, 1.5 ,1.5d,inf', '2,013,+2.0,2 ,2.0d,Infinity'),
    }),
    base,
    { matched: 1, mismatched: 1 },
  ],
  [
    'numbers written with a radix prefix (0x1F, 0b11, the hexadecimal float 0x1.8p1) are the text written, not 31, 3 or 3.0',
    () => ({
      'l.csv': csv('id,h,b,hf', '1,0x1F,0b11,0x1p0', '2,0x20,0b100,0x1p1', '3,0x0,0b0,0x1.8p1', '4,7,1,0x1p2'),
      'r.csv': csv('id,h,b,hf', '1,0x1f,0b11,0x1p0', '2,0x20,0b0100,0x1p1', '3,0x0,0b0,0x3p0', '4,7,1,0x1p2'),
    }),
    base,
    { matched: 1, mismatched: 3 },
  ],
  [
    'a number spelled as text after the rows DuckDB types a column from ("025000" on line 25,002) makes the column text, as in the first rows',
    () => {
      // DuckDB's sniffer types a CSV column from its first 20,480 rows and parses later
      // values of that type, so a late 025000 was the number 25000 while an early one is text.
      const lines = (spell: (i: number) => string) => csv('id,v', ...Array.from({ length: 30_000 }, (_, i) => `${i},${spell(i)}`));
      return {
        'l.csv': lines((i) => (i === 25_000 ? '025000' : String(i))),
        'r.csv': lines((i) => (i === 1 ? '01' : String(i))),
      };
    },
    base,
    { matched: 29_998, mismatched: 2 },
  ],
  [
    'boolean-like codes (T, yes, a late 1) are the text written: T is not true',
    () => {
      // DuckDB's sniffer reads T, F, yes and no as booleans, and 1, 0 and y after its first
      // 20,480 rows; Spark infers a boolean from true and false alone.
      const flag = (i: number) => (i % 2 ? 'true' : 'false');
      const lines = (a: (i: number) => string, v: (i: number) => string) => csv('id,a,v', ...Array.from({ length: 30_000 }, (_, i) => `${i},${a(i)},${v(i)}`));
      return {
        'l.csv': lines((i) => (i === 2 ? 'T' : i === 4 ? 'yes' : flag(i)), (i) => (i === 25_000 ? '1' : flag(i))),
        'r.csv': lines((i) => (i === 4 ? 'yes' : flag(i)), (i) => (i === 1 ? 'yes' : i === 25_000 ? 'true' : flag(i))),
      };
    },
    base,
    { matched: 29_997, mismatched: 3 },
  ],
  ['spaces around header names', () => ({ 'l.csv': csv('id, v ', '1,a', '2,b'), 'r.csv': csv('id,v', '1,a', '2,c') }), base, { matched: 1, mismatched: 1 }],
  [
    'csv.nullString on a file without empty fields',
    async () => ({ 'l.csv': csv('id,v', '1,""', '3,NULL'), 'r.parquet': await parquet("SELECT * FROM (VALUES ('1', ''), ('3', NULL)) t(id, v)") }),
    { ...base, left: { uri: 'l.csv', csv: { nullString: 'NULL' } }, right: { uri: 'r.parquet' } },
    { matched: 2, mismatched: 0 },
  ],
  [
    'JSON strings that look like numbers stay the text they are',
    () => ({ 'l.ndjson': nd('{"id":1,"v":"007","w":"1.50"}', '{"id":2,"v":"8","w":"2"}'), 'r.ndjson': nd('{"id":1,"v":"7","w":"1.5"}', '{"id":2,"v":"8","w":"2"}') }),
    json,
    { matched: 1, mismatched: 1 },
  ],
  [
    'JSON numbers with exponents or a negative zero are exact numbers',
    () => ({ 'l.ndjson': nd('{"id":1,"v":1e2}', '{"id":2,"v":1.5E3}', '{"id":3,"v":-0.0}', '{"id":4,"v":2e-3}'), 'r.ndjson': nd('{"id":1,"v":100}', '{"id":2,"v":1500.0}', '{"id":3,"v":0}', '{"id":4,"v":0.0021}') }),
    json,
    { matched: 3, mismatched: 1 },
  ],
  [
    'a JSON key written as the string "02" is not the CSV key 2',
    () => ({ 'l.ndjson': nd('{"id":"1","v":"a"}', '{"id":"02","v":"b"}'), 'r.csv': csv('id,v', '1,a', '2,b') }),
    { ...json, right: { uri: 'r.csv' } },
    { matched: 1, leftOnly: 1, rightOnly: 1 },
  ],
  [
    'JSON number keys are their text as written; numbers wider than a DECIMAL stay exact text',
    () => ({
      'l.ndjson': nd('{"id":1e2,"v":1234567890123456789012345678901234567890}', '{"id":5,"v":7}'),
      'r.ndjson': nd('{"id":100,"v":1234567890123456789012345678901234567891}', '{"id":5,"v":7}'),
    }),
    json,
    { matched: 1, leftOnly: 1, rightOnly: 1 },
  ],
  [
    'a JSON field holding strings, numbers and booleans is text: the string "x" equals "x", the number 1 equals "1"',
    () => ({
      'l.ndjson': nd('{"id":1,"v":1}', '{"id":2,"v":"x"}', '{"id":3,"v":true}', '{"id":4,"v":"y"}'),
      'r.ndjson': nd('{"id":1,"v":"1"}', '{"id":2,"v":"x"}', '{"id":3,"v":"true"}', '{"id":4,"v":"z"}'),
    }),
    json,
    { matched: 3, mismatched: 1 },
  ],
  [
    'JSON objects are equal whatever order their fields come in; a list element holding a comma is one element',
    () => ({
      'l.ndjson': nd('{"id":1,"n":{"x":1,"y":"a"}}', '{"id":2,"n":{"x":2,"y":"b"}}', '{"id":3,"n":{"x":3,"y":null,"z":[1.50,"q"]}}', '{"id":4,"tags":["a, b"]}'),
      'r.ndjson': nd('{"id":1,"n":{"y":"a","x":1}}', '{"id":2,"n":{"y":"c","x":2}}', '{"id":3,"n":{"z":[1.5,"q"],"y":null,"x":3}}', '{"id":4,"tags":["a","b"]}'),
    }),
    json,
    { matched: 1, mismatched: 3 },
  ],
  [
    'Parquet structs and maps are equal whatever order their writers gave the fields and entries, at any depth; a NULL struct is not a struct of NULLs',
    async () => ({
      'l.parquet': await parquet(`SELECT * FROM (VALUES
        (1, {'a': 1, 'b': 'x'}, [{'q': 1, 'p': 2}], MAP {'k': {'d': 1, 'c': 2}}, {'é': 1, 'z z': 2}, [MAP {'b': 1, 'a': 2}, NULL]),
        (2, {'a': 2, 'b': 'y'}, [{'q': 1, 'p': 2}], MAP {'k': {'d': 1, 'c': 2}}, {'é': 1, 'z z': 2}, [MAP {'b': 1, 'a': 2}, NULL]),
        (3, NULL, [NULL], MAP {'k': NULL}, NULL, [MAP {'b': 1, 'a': 2}, NULL]),
        (4, {'a': NULL, 'b': NULL}, [], MAP {'k': {'d': 5, 'c': 6}}, {'é': 1, 'z z': 2}, [MAP {'b': 1, 'a': 2}, NULL]),
        (5, {'a': 5, 'b': 'v'}, [], MAP {'y': {'d': 1, 'c': 2}, 'x': NULL, 'é': {'d': 3, 'c': 4}}, {'é': 1, 'z z': 2}, [MAP {'b': 1, 'a': 2}, NULL]),
        (6, {'a': 6, 'b': 'w'}, [], MAP {'y': {'d': 1, 'c': 2}, 'x': NULL}, {'é': 1, 'z z': 2}, [MAP {'b': 1, 'a': 2}, NULL])) t(id, s, l, m, u, n)`),
      'r.parquet': await parquet(`SELECT * FROM (VALUES
        (1, {'b': 'x', 'a': 1}, [{'p': 2, 'q': 1}], MAP {'k': {'c': 2, 'd': 1}}, {'z z': 2, 'é': 1}, [MAP {'a': 2, 'b': 1}, NULL]),
        (2, {'b': 'z', 'a': 2}, [{'p': 2, 'q': 1}], MAP {'k': {'c': 2, 'd': 1}}, {'z z': 2, 'é': 1}, [MAP {'a': 2, 'b': 1}, NULL]),
        (3, NULL, [NULL], MAP {'k': NULL}, NULL, [MAP {'a': 2, 'b': 1}, NULL]),
        (4, NULL, [], MAP {'k': {'c': 6, 'd': 5}}, {'z z': 2, 'é': 1}, [MAP {'a': 2, 'b': 1}, NULL]),
        (5, {'b': 'v', 'a': 5}, [], MAP {'é': {'c': 4, 'd': 3}, 'x': NULL, 'y': {'c': 2, 'd': 1}}, {'z z': 2, 'é': 1}, [MAP {'a': 2, 'b': 1}, NULL]),
        (6, {'b': 'w', 'a': 6}, [], MAP {'x': NULL, 'y': {'c': 2, 'd': 7}}, {'z z': 2, 'é': 1}, [MAP {'a': 2, 'b': 1}, NULL])) t(id, s, l, m, u, n)`),
    }),
    { ...base, left: { uri: 'l.parquet' }, right: { uri: 'r.parquet' } },
    { matched: 3, mismatched: 3 },
  ],
];

describe.each(sameAnswer)('both engines, one answer: %s', (_name, files, spec, counts) => {
  it('the same counts, columns and rows, and the counts are right', async (ctx) => {
    const { duck, spark } = await both(ctx, await files(), spec);
    expect(duck.summary.counts).toMatchObject(counts);
    expect(engineAnswer(spark)).toEqual(engineAnswer(duck));
  }, SPARK_TIMEOUT_MS);
});

describe('CSV results', () => {
  it('are the same bytes on both engines: quotes doubled, spaces kept, timestamps as DuckDB writes them', async (ctx) => {
    await engineReady('spark', ctx);
    const files = {
      'l.csv': csv('id,v,t,z', '1," lead",2024-01-01 10:00:00,2024-01-01T10:00:00+02:00', '2,"say ""hi""",2024-01-02 00:00:00.5,2024-01-01T10:00:00.25Z', '3,"tail ",2024-01-03 00:00:00,2024-01-01 00:00:00+00'),
      'r.csv': csv('id,v,t,z', '1,x,2024-01-01 10:00:01,2024-01-01T10:00:00Z', '2,y,2024-01-02 00:00:00,2024-01-01T10:00:00Z', '3,,2024-01-03 00:00:01,2024-01-01T10:00:00Z'),
    };
    const spec = { ...base, output: { format: 'csv' } };
    const written = async (engine: 'duckdb' | 'spark') => {
      const run = await reconcileOn(engine)(files, spec, { keep: true });
      try {
        return await readFile(run.summary.results.files[0]!, 'utf8');
      } finally {
        await rm(run.dir, { recursive: true, force: true });
      }
    };
    const duck = await written('duckdb');
    expect(duck).toContain(',mismatch,'); // sanity: the rows are there
    expect(duck).toMatch(/, lead,x,/); // spaces around a value are kept
    expect(duck).toMatch(/,tail ,,/);
    expect(duck).toContain('"say ""hi"""');
    expect(duck).toContain('2024-01-02 00:00:00.5,2024-01-02 00:00:00,2024-01-01 10:00:00.25+00');
    expect(await written('spark')).toBe(duck);
  }, SPARK_TIMEOUT_MS);
});

describe('refused on both engines, in one line naming the field', () => {
  it('a line with more fields than the header', async (ctx) => {
    await engineReady('spark', ctx);
    const files = { 'l.csv': csv('id,v', '1,a,extra', '2,b'), 'r.csv': csv('id,v', '1,a', '2,b') };
    await expect(reconcileOn('duckdb')(files, base)).rejects.toThrow(/^spec\.left\.uri: l\.csv line 2 has 3 field\(s\) where the header has 2; fix that line/);
    await expect(reconcileOn('spark')(files, base)).rejects.toThrow(/^spec\.left\.uri: l\.csv has a record that does not parse as CSV: "1,a,extra" .*; fix that line, or set spec\.left\.csv\.delimiter, quote or header/);
  }, SPARK_TIMEOUT_MS);

  it('a value that does not fit the type the first rows gave its column', async (ctx) => {
    await engineReady('spark', ctx);
    // DuckDB types a CSV column from the first 20,480 rows; the text comes after them.
    const numbers = (bad: number) => ['id,amt', ...Array.from({ length: 30_000 }, (_, i) => `${i},${i === bad ? 'abc' : i}`)].join('\n') + '\n';
    const files = { 'l.csv': numbers(25_000), 'r.csv': numbers(-1) };
    await expect(reconcileOn('duckdb')(files, base)).rejects.toThrow(/^spec\.left\.uri: l\.csv line 25002: column "amt" holds "abc", which is not a BIGINT like the values before it .*; correct the value in the file$/);
    await expect(reconcileOn('spark')(files, base)).rejects.toThrow(/column "amt" on the left side \(left\) is compared as a number but 1 value\(s\) are not numbers, e\.g\. "abc"/);
  }, SPARK_TIMEOUT_MS);

  it('a number written with a radix prefix against the plain number (0x1F against 31): text is no number on either engine', async (ctx) => {
    await engineReady('spark', ctx);
    const files = { 'l.csv': csv('id,amt', '1,0x1F', '2,0b11', '3,5'), 'r.csv': csv('id,amt', '1,31', '2,3', '3,5') };
    const refusal = /column "amt" on the left side \(left\) is compared as a number but 2 value\(s\) are not numbers, e\.g\. "0[xb]1[1F]"; clean or cast them in spec\.left\.query$/;
    await expect(reconcileOn('duckdb')(files, base)).rejects.toThrow(refusal);
    await expect(reconcileOn('spark')(files, base)).rejects.toThrow(refusal);
  }, SPARK_TIMEOUT_MS);

  it('timestamps finer than a microsecond: DuckDB keeps the digits; Spark, which would cut them and count the values equal, refuses', async (ctx) => {
    await engineReady('spark', ctx);
    const files = { 'l.csv': csv('id,t', '1,2024-01-01 10:00:00.123456789', '2,2024-01-01 10:00:00.5'), 'r.csv': csv('id,t', '1,2024-01-01 10:00:00.123456', '2,2024-01-01 10:00:00.5') };
    expect((await reconcileOn('duckdb')(files, base)).summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
    await expect(reconcileOn('spark')(files, base)).rejects.toThrow(/^spec\.left\.uri: column "t" holds timestamps finer than a microsecond, such as "2024-01-01 10:00:00\.123456789", which the spark engine cannot hold .*: use engine: duckdb/);
  }, SPARK_TIMEOUT_MS);

  it.for<[string, string, RegExp]>([
    ['differ only in case', 'id,V,v', /^spec\.left\.uri: the header of l\.csv has the columns "V" and "v", which differ only in letter case/],
    ['repeat exactly', 'id,v,v', /^spec\.left\.uri: the header of l\.csv names the column "v" twice/],
    ['repeat once the spaces around them go', 'id,v, v', /^spec\.left\.uri: the header of l\.csv names the column "v" twice/],
  ])('header names that %s (Spark would rename one and read on)', { timeout: SPARK_TIMEOUT_MS }, async ([, header, message], ctx) => {
    await engineReady('spark', ctx);
    const files = { 'l.csv': csv(header, '1,a,b'), 'r.csv': csv('id,v', '1,a') };
    await expect(reconcileOn('spark')(files, base)).rejects.toThrow(message);
    if (!header.includes(' ')) await expect(reconcileOn('duckdb')(files, base)).rejects.toThrow(message);
  });
});

describe('Parquet and JSON inputs whose names repeat ignoring case', () => {
  it.for<[string, () => Promise<Files>, string, RegExp]>([
    ['Parquet', async (): Promise<Files> => {
      // DuckDB renames a clash when it writes; give a column the clashing name afterwards (same length).
      const bytes = await parquet(`SELECT 9 AS "ID", 1 AS zq, 'a' AS v`);
      return { 'l.parquet': Buffer.from(bytes.toString('latin1').replaceAll('zq', 'id'), 'latin1'), 'r.csv': csv('id,v', '1,a') };
    }, 'l.parquet', /^spec\.left\.uri: l\.parquet (has the columns "ID" and "id"|names the column "id" more than once, ignoring letter case)/],
    ['JSON', (): Promise<Files> => Promise.resolve({ 'l.ndjson': '{"ID": 9, "id": 1, "v": "a"}\n', 'r.csv': csv('id,v', '1,a') }), 'l.ndjson', /^spec\.left\.uri: the JSON input (has the columns "ID" and "id"|names the column "id" more than once, ignoring letter case)/],
    ['JSON, one object repeating a name exactly', (): Promise<Files> => Promise.resolve({ 'l.ndjson': '{"id": 1, "v": "a", "v": "b"}\n', 'r.csv': csv('id,v', '1,a') }), 'l.ndjson', /^spec\.left\.uri: the JSON input names the column "v" (twice|more than once, ignoring letter case); .*rename one where the file is written$/],
  ])('%s: refused by both engines, naming the column', { timeout: SPARK_TIMEOUT_MS }, async ([, files, uri, message], ctx) => {
    await engineReady('spark', ctx);
    const f = await files();
    const spec = { ...base, left: { uri } };
    await expect(reconcileOn('duckdb')(f, spec)).rejects.toThrow(message);
    await expect(reconcileOn('spark')(f, spec)).rejects.toThrow(message);
  });
});

describe('Parquet column types Spark has not', () => {
  it.for<[string, string]>([
    ['nanosecond timestamps', "SELECT 1 AS id, '2024-01-01 10:00:00.123456789'::TIMESTAMP_NS AS t"],
    ['UUID', "SELECT 1 AS id, '00000000-0000-0000-0000-000000000001'::UUID AS t"],
    ['TIME', "SELECT 1 AS id, TIME '10:00:00' AS t"],
  ])('%s: DuckDB compares them; Spark refuses in one line naming the file and the way out', { timeout: SPARK_TIMEOUT_MS }, async ([, sql], ctx) => {
    await engineReady('spark', ctx);
    const files = { 'l.parquet': await parquet(sql), 'r.parquet': await parquet(sql) };
    const spec = { ...base, left: { uri: 'l.parquet' }, right: { uri: 'r.parquet' } };
    expect((await reconcileOn('duckdb')(files, spec)).summary.counts).toMatchObject({ matched: 1 });
    await expect(reconcileOn('spark')(files, spec)).rejects.toThrow(/^spec\.left\.uri: l\.parquet has a column of a type the spark engine cannot read \(.+\): use engine: duckdb, or write that column as another type$/);
  });
});

describe('csv.nullString next to empty fields', () => {
  const files = async () => ({
    'l.csv': csv('id,v', '1,""', '2,', '3,NULL'),
    'r.parquet': await parquet("SELECT * FROM (VALUES ('1', ''), ('2', ''), ('3', NULL)) t(id, v)"),
  });
  const spec = { ...base, left: { uri: 'l.csv', csv: { nullString: 'NULL' } }, right: { uri: 'r.parquet' } };

  it('DuckDB reads an empty field as empty text; Spark, which cannot tell it from NULL, refuses instead of counting a mismatch', async (ctx) => {
    await engineReady('spark', ctx);
    const f = await files();
    expect((await reconcileOn('duckdb')(f, spec)).summary.counts).toMatchObject({ matched: 3, mismatched: 0 });
    await expect(reconcileOn('spark')(f, spec)).rejects.toThrow(/^spec\.left\.csv\.nullString: column "v" has empty fields, which the spark engine cannot tell from NULL .*: write them as "" in the file, or remove csv\.nullString, or use engine: duckdb$/);
  }, SPARK_TIMEOUT_MS);
});
