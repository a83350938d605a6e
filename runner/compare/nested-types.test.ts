import { describe, expect, it } from 'vitest';
import { isNestedType, mapsInKeyOrderSql, nestedInOrderSql, parseDuckType, sortStructFields } from './nested-types.ts';

describe('sortStructFields', () => {
  it.each([
    ['VARCHAR', 'VARCHAR'],
    ['DECIMAL(18,2)', 'DECIMAL(18,2)'],
    ['STRUCT(y VARCHAR, x BIGINT)', 'STRUCT(x BIGINT, y VARCHAR)'],
    ['STRUCT(x BIGINT, y VARCHAR)', 'STRUCT(x BIGINT, y VARCHAR)'],
    ['STRUCT(y VARCHAR, x BIGINT)[]', 'STRUCT(x BIGINT, y VARCHAR)[]'],
    ['STRUCT(b STRUCT(d VARCHAR, c VARCHAR), a VARCHAR[])', 'STRUCT(a VARCHAR[], b STRUCT(c VARCHAR, d VARCHAR))'],
    ['MAP(VARCHAR, STRUCT(z DATE, a DECIMAL(10,2)))', 'MAP(VARCHAR, STRUCT(a DECIMAL(10,2), z DATE))'],
    ['STRUCT("b, c" VARCHAR, "a ""q"" (x)" BIGINT)', 'STRUCT("a ""q"" (x)" BIGINT, "b, c" VARCHAR)'],
    ['STRUCT(t TIMESTAMP WITH TIME ZONE, a INTEGER)', 'STRUCT(a INTEGER, t TIMESTAMP WITH TIME ZONE)'],
    // Upper case sorts before lower case (code units), as Spark orders inferred fields.
    ['STRUCT(b VARCHAR, B VARCHAR, a VARCHAR)', 'STRUCT(B VARCHAR, a VARCHAR, b VARCHAR)'],
    ['STRUCT(y STRUCT(q VARCHAR, p VARCHAR)[][], x VARCHAR)', 'STRUCT(x VARCHAR, y STRUCT(p VARCHAR, q VARCHAR)[][])'],
  ])('%s -> %s', (type, sorted) => {
    expect(sortStructFields(type)).toBe(sorted);
  });

  it('a field named like a type keyword is a name, not a nested struct', () => {
    expect(sortStructFields('STRUCT(struct VARCHAR, "STRUCT(" BIGINT)')).toBe('STRUCT("STRUCT(" BIGINT, struct VARCHAR)');
  });
});

describe('isNestedType', () => {
  it.each([
    ['STRUCT(a VARCHAR)', true],
    ['VARCHAR[]', true],
    ['INTEGER[3]', true],
    ['MAP(VARCHAR, BIGINT)', true],
    ['UNION(a VARCHAR, b BIGINT)', true],
    ['VARCHAR', false],
    ['DECIMAL(18,2)', false],
    ['JSON', false],
    ['struct<x:string,y:array<string>>', true],
    ['array<string>', true],
    ['map<string,bigint>', true],
    ['string', false],
  ])('%s: %s', (type, nested) => {
    expect(isNestedType(type)).toBe(nested);
  });
});

describe('parseDuckType', () => {
  it.each([
    ['VARCHAR', { kind: 'scalar', text: 'VARCHAR' }],
    ['DECIMAL(18,2)', { kind: 'scalar', text: 'DECIMAL(18,2)' }],
    ['INTEGER[]', { kind: 'list', of: { kind: 'scalar', text: 'INTEGER' } }],
    ['INTEGER[3][]', { kind: 'list', of: { kind: 'list', of: { kind: 'scalar', text: 'INTEGER' } } }],
    ['MAP(VARCHAR, DECIMAL(10,2)[])', { kind: 'map', key: { kind: 'scalar', text: 'VARCHAR' }, value: { kind: 'list', of: { kind: 'scalar', text: 'DECIMAL(10,2)' } } }],
    [
      'STRUCT("a]b, c" VARCHAR, m MAP(VARCHAR, BIGINT))[]',
      {
        kind: 'list',
        of: {
          kind: 'struct',
          fields: [
            { name: 'a]b, c', written: '"a]b, c"', type: { kind: 'scalar', text: 'VARCHAR' } },
            { name: 'm', written: 'm', type: { kind: 'map', key: { kind: 'scalar', text: 'VARCHAR' }, value: { kind: 'scalar', text: 'BIGINT' } } },
          ],
        },
      },
    ],
  ])('%s', (text, parsed) => {
    expect(parseDuckType(text)).toEqual(parsed);
  });
});

describe('mapsInKeyOrderSql', () => {
  it.each([
    ['VARCHAR', undefined],
    ['STRUCT(a VARCHAR)[]', undefined],
    ['MAP(VARCHAR, BIGINT)', 'map_from_entries(list_sort(map_entries(c)))'],
    ['MAP(VARCHAR, BIGINT)[]', 'list_transform(c, lambda __raas_x0: map_from_entries(list_sort(map_entries(__raas_x0))))'],
    [
      'MAP(VARCHAR, MAP(VARCHAR, BIGINT))',
      'map_from_entries(list_sort(list_transform(map_entries(c), lambda __raas_e0: struct_pack(key := __raas_e0.key, value := map_from_entries(list_sort(map_entries(__raas_e0.value)))))))',
    ],
    [
      'STRUCT("it\'s" MAP(VARCHAR, BIGINT), b VARCHAR)',
      "CASE WHEN c IS NULL THEN NULL ELSE struct_pack(\"it's\" := map_from_entries(list_sort(map_entries(struct_extract(c, 'it''s')))), b := struct_extract(c, 'b')) END",
    ],
  ])('%s', (type, sql) => {
    expect(mapsInKeyOrderSql('c', parseDuckType(type))).toBe(sql);
  });
});

describe('nestedInOrderSql', () => {
  it.each([
    ['BIGINT', undefined],
    ['STRUCT(a BIGINT, b VARCHAR)', undefined],
    ['STRUCT(b VARCHAR, a BIGINT)', 'CAST(c AS STRUCT(a BIGINT, b VARCHAR))'],
    ['MAP(VARCHAR, STRUCT(b VARCHAR, a BIGINT))', 'CAST(map_from_entries(list_sort(map_entries(CAST(c AS MAP(VARCHAR, STRUCT(a BIGINT, b VARCHAR)))))) AS MAP(VARCHAR, STRUCT(a BIGINT, b VARCHAR)))'],
  ])('%s', (type, sql) => {
    expect(nestedInOrderSql('c', type)).toBe(sql);
  });
});
