import { describe, expect, it } from 'vitest';
import { isNestedType, sortStructFields } from './nested-types.ts';

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
