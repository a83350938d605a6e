import { describe, expect, it } from 'vitest';
import { comparedNothing } from './compare.ts';

const columns = { left: [{ name: 'id' }, { name: 'a' }], right: [{ name: 'id' }, { name: 'b' }] };
const oneCompare = { compares: [{}] } as unknown as Parameters<typeof comparedNothing>[1];
const noCompare = { compares: [] } as unknown as Parameters<typeof comparedNothing>[1];

describe('comparedNothing', () => {
  it.each<[string, Parameters<typeof comparedNothing>[0], Parameters<typeof comparedNothing>[1], { left: number; right: number }, RegExp[]]>([
    ['rows and a column: something was compared', {}, oneCompare, { left: 2, right: 1 }, []],
    ['one empty side: its other side is one-sided breaks', {}, oneCompare, { left: 0, right: 3 }, []],
    ['both sides empty', {}, oneCompare, { left: 0, right: 0 }, [/^no row was compared: .*expect\.allowEmpty: true/]],
    ['both sides empty, and expected', { expect: { allowEmpty: true } }, oneCompare, { left: 0, right: 0 }, []],
    ['both sides empty, allowEmpty false', { expect: { allowEmpty: false } }, oneCompare, { left: 0, right: 0 }, [/^no row was compared/]],
    ['no common column', {}, noCompare, { left: 1, right: 1 }, [/^no column was compared: .*\(left: id, a; right: id, b\).*compare: \[\]/]],
    ['keys only, asked for', { compare: [] }, noCompare, { left: 1, right: 1 }, []],
    ['aggregate compares its measures', { aggregate: { measures: [] } } as never, noCompare, { left: 1, right: 1 }, []],
    ['no column and no row: both reasons', {}, noCompare, { left: 0, right: 0 }, [/^no column was compared/, /^no row was compared/]],
  ])('%s', (_name, spec, plan, counts, want) => {
    const got = comparedNothing(spec, plan, columns, counts);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toMatch(w));
  });
});
