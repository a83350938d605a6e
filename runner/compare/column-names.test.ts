import { describe, expect, it } from 'vitest';
import { describeClash, nameClash, parquetTopLevelNames, unambiguousDateFormat } from './column-names.ts';

describe('nameClash', () => {
  it.each([
    [['id', 'amount'], undefined],
    [['ID', 'id'], { first: 'ID', second: 'id' }],
    [['id', 'x', 'id'], { first: 'id', second: 'id' }],
    [['Amount', 'b', 'AMOUNT'], { first: 'Amount', second: 'AMOUNT' }],
    [['id', 'id_1'], undefined],
  ])('%j', (names, want) => {
    expect(nameClash(names)).toEqual(want);
  });

  it('describes both kinds in one line', () => {
    expect(describeClash({ first: 'id', second: 'id' }, 'f.csv', 'rename one')).toBe('f.csv names the column "id" twice; raas cannot tell which one a name means: rename one');
    expect(describeClash({ first: 'ID', second: 'id' }, 'f.csv', 'rename one')).toMatch(/has the columns "ID" and "id", which differ only in letter case/);
  });
});

describe('parquetTopLevelNames', () => {
  it('skips nested fields', () => {
    const rows = [
      { name: 'duckdb_schema', children: 3 },
      { name: 'id', children: 0 },
      { name: 's', children: 2 },
      { name: 'ID', children: 0 },
      { name: 'inner', children: 1 },
      { name: 'deep', children: 0 },
      { name: 'Id', children: 0 },
    ];
    expect(parquetTopLevelNames(rows)).toEqual(['id', 's', 'Id']);
  });
});

describe('unambiguousDateFormat', () => {
  it.each([
    ['%Y-%m-%d', true],
    ['%Y/%m/%d', true],
    ['%Y-%m-%d %H:%M:%S', true],
    ['%Y%m%d', true],
    ['%d/%m/%Y', false],
    ['%m/%d/%Y', false],
    ['%d.%m.%Y %H:%M', false],
    ['%Y-%d-%m', false],
  ])('%s -> %s', (f, want) => {
    expect(unambiguousDateFormat(f)).toBe(want);
  });
});
