// What csvTextChecksSql finds in a CSV input's columns read as text, run in a scratch
// in-memory DuckDB so the SQL is the one the runner sends.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvTextChecksSql } from './source-sql.ts';
import { quoteLiteral } from './sql-text.ts';

let inst: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
});
afterAll(() => {
  conn.closeSync();
  inst.closeSync();
});

/** The checks' answer over one text column named `v`, checked as a dated, number or boolean column. */
async function checked(values: Array<string | null>, as: 'dated' | 'number' | 'boolean'): Promise<Record<string, unknown>> {
  const rows = values.map((v) => `(${v === null ? 'NULL::VARCHAR' : quoteLiteral(v)})`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP VIEW "text view" AS SELECT * FROM (VALUES ${rows}) t(v)`);
  const only = (kind: typeof as) => (as === kind ? ['v'] : []);
  return (await conn.runAndReadAll(csvTextChecksSql('text view', only('dated'), only('number'), only('boolean')))).getRowObjectsJson()[0]!;
}

describe('csvTextChecksSql', () => {
  it.each<[Array<string | null>, number]>([
    [['31', '7', '-007', '0', '0.5', '1.5e3', '5 ', null, ''], 0],
    // A radix prefix: DuckDB reads 0x1F as 31 and 0b11 as 3, Java 0x1.8p1 as 3.0.
    [['0x1F', '31'], 1],
    [['0X1f', ' 0x1F', '0b11', '0B0', '0x1.8p1', '-0x10'], 6],
    // What the sniffer reads as text in its sample: leading zeros, a plus sign, spaces
    // after a fraction or exponent, a tab, a type suffix, infinities.
    [['007', ' 00.5', '+5', ' +1.5', '1.50 ', '1e3  ', '\t5', '1.5d', '2F', '-inf', 'Infinity'], 11],
    // A zero and an x elsewhere, a word the sniffer reads as a number anyway.
    [['x0', '10', 'nan'], 0],
  ])('number column %j: %i value(s) spelled as text', async (values, want) => {
    expect(Number((await checked(values, 'number')).spelled0)).toBe(want);
  });

  it.each<[Array<string | null>, number]>([
    [['true', 'false', 'TRUE', 'False', null], 0],
    [['T', 'f', 'yes', 'no', '1', '0', 'y', 'on', ' true', ''], 10],
  ])('boolean column %j: %i value(s) neither true nor false', async (values, want) => {
    expect(Number((await checked(values, 'boolean')).notbool0)).toBe(want);
  });

  it.each<[Array<string | null>, { digits: number; words: number; word: string | null }]>([
    [['2024-01-01 10:00:00', null, ''], { digits: 0, words: 0, word: null }],
    [['2024-01-01 10:00:00.123456789', '2024-01-01 10:00:00.5'], { digits: 9, words: 0, word: null }],
    [['2024-01-01', 'infinity'], { digits: 0, words: 1, word: 'infinity' }],
    [['epoch', '-infinity'], { digits: 0, words: 2, word: expect.stringMatching(/^(epoch|-infinity)$/) as unknown as string }],
  ])('dated column %j: %j', async (values, want) => {
    const r = await checked(values, 'dated');
    expect({ digits: Number(r.digits0), words: Number(r.words0), word: r.word0 ?? null }).toEqual(want);
  });

  it('numbers its checks per list, the lists in one statement', async () => {
    await conn.run(`CREATE OR REPLACE TEMP VIEW "two" AS SELECT * FROM (VALUES ('epoch', '0x1', '2', '0b1')) t(d, a, b, c)`);
    const r = (await conn.runAndReadAll(csvTextChecksSql('two', ['d'], ['a', 'b', 'c']))).getRowObjectsJson()[0]!;
    expect([r.words0, r.spelled0, r.spelled1, r.spelled2].map(Number)).toEqual([1, 1, 0, 1]);
  });

  it('refuses an empty list of columns (a caller bug, not a statement with no columns)', () => {
    expect(() => csvTextChecksSql('t', [], [])).toThrow(/needs at least one column/);
  });
});
