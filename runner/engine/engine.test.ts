import { describe, expect, it } from 'vitest';
import { writtenCount } from './engine.ts';

describe("the row count an engine's write reports", () => {
  it.each([
    [0, 0],
    [12, 12],
    [12n, 12],
    [2n ** 40n, 2 ** 40],
  ])('%s rows is %s', (reported, want) => expect(writtenCount(reported, 'result_table')).toBe(want));

  it.each([undefined, null, -1, 1.5, '12', Number.NaN, 2n ** 60n])('refuses %s rather than taking it as a count', (reported) => {
    expect(() => writtenCount(reported, 'result_table')).toThrow(/internal: the write of result_table reported/);
  });
});
