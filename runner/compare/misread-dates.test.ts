// Which columns are checked, and which values count as dates that missed their format,
// run in a scratch in-memory DuckDB so the SQL is the one the runner sends.
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeMisreadDate, misreadDatesSql, usedColumnNames } from './misread-dates.ts';
import { quoteLiteral } from './sql-text.ts';

let inst: DuckDBInstance;
beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
});
afterAll(() => inst.closeSync());

async function example(values: Array<string | null>, csv: { dateFormat?: string; timestampFormat?: string }): Promise<unknown> {
  const c = await inst.connect();
  try {
    const rows = values.map((v) => `(${v === null ? 'NULL::VARCHAR' : quoteLiteral(v)})`).join(', ');
    const r = await c.runAndReadAll(misreadDatesSql(`(VALUES ${rows}) t(d)`, ['d'], csv));
    return r.getRowObjectsJson()[0]!.c0;
  } finally {
    c.closeSync();
  }
}

describe('misreadDatesSql', () => {
  it.each([
    [['01/02/2024', '25/01/2024'], { dateFormat: '%m/%d/%Y' }, '25/01/2024'],
    [['2024-01-25', '13/01/2024', '14/01/2024'], { dateFormat: '%d/%m/%Y' }, '2024-01-25'],
    [['25/01/2024', null], { dateFormat: '%d/%m/%Y' }, null],
    // Not date-shaped: text stays text.
    [['INV 2024/01', 'paid', '1/2', '12345'], { dateFormat: '%d/%m/%Y' }, null],
    [['25/01/2024 10:00:00'], { timestampFormat: '%m/%d/%Y %H:%M:%S' }, '25/01/2024 10:00:00'],
    // A timestamp is not checked against a date format, nor a date against a timestamp format.
    [['25/01/2024 10:00:00'], { dateFormat: '%m/%d/%Y' }, null],
    [['25/01/2024'], { timestampFormat: '%m/%d/%Y %H:%M:%S' }, null],
  ])('%j with %j gives %j', async (values, csv, want) => {
    expect(await example(values, csv)).toBe(want);
  });

  it('names the timestamp field for a timestamp example', () => {
    expect(describeMisreadDate('spec.left', 'l.csv', 't', '25/01/2024 10:00', { timestampFormat: '%m/%d/%Y %H:%M' })).toMatch(/^spec\.left\.csv\.timestampFormat: column "t" of l\.csv holds timestamps such as "25\/01\/2024 10:00"/);
    expect(describeMisreadDate('spec.right', 'r.csv', 'd', '25/01/2024', { dateFormat: '%m/%d/%Y' })).toMatch(/^spec\.right\.csv\.dateFormat: column "d" of r\.csv holds dates such as "25\/01\/2024" that do not follow the declared "%m\/%d\/%Y"/);
  });
});

describe('usedColumnNames', () => {
  const spec = {
    compare: [{ column: 'Paid_On', right: 'settled' }],
    output: { columns: [{ column: 'memo' }] },
    amount: { column: 'amt', right: 'value', currency: 'ccy' },
  };
  it('names compared, carried and totalled columns per side, folded', () => {
    expect([...usedColumnNames(spec, 'left', false)!].sort()).toEqual(['amt', 'ccy', 'memo', 'paid_on']);
    expect([...usedColumnNames(spec, 'right', false)!].sort()).toEqual(['ccy', 'memo', 'settled', 'value']);
  });
  it('measures, not the amount measure name, in summary reconciliation', () => {
    const agg = { aggregate: { measures: [{ column: 'amt' }, {}] }, amount: { column: 'total' } };
    expect([...usedColumnNames(agg, 'left', false)!]).toEqual(['amt']);
  });
  it('every column when a query, named inputs or the default compare set may use any', () => {
    expect(usedColumnNames(spec, 'left', true)).toBeUndefined();
    expect(usedColumnNames({}, 'left', false)).toBeUndefined();
  });
});
