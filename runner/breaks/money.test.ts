import { describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, sumDecimals } from './decimal-text.ts';
import { ageBucket, moneyAtStake, moneyAtStakeLine, totalAtStake, type MoneyRow } from './money.ts';

describe('decimal text', () => {
  const sums: [string, string, string][] = [
    ['1.5', '2.25', '3.75'],
    ['0.1', '0.2', '0.3'],
    ['-1.00', '0.5', '-0.50'],
    ['99999999999999999999999999999999.99', '0.01', '100000000000000000000000000000000.00'],
    ['-0.01', '0.01', '0.00'],
    ['7', '0', '7'],
  ];
  it.each(sums)('%s + %s = %s', (a, b, want) => expect(addDecimal(a, b)).toBe(want));
  it('sums none to 0', () => expect(sumDecimals([])).toBe('0'));
  it('compares exactly', () => {
    expect(compareDecimal('0.10', '0.1')).toBe(0);
    expect(compareDecimal('-2', '1')).toBe(-1);
    expect(compareDecimal('10.001', '10.0009')).toBe(1);
  });
  it('refuses what is not a decimal', () => expect(() => addDecimal('1e3', '1')).toThrow(/not a decimal/));
});

describe('ageBucket', () => {
  const cases: [number, string][] = [
    [-1, '0-1'],
    [0, '0-1'],
    [1, '0-1'],
    [2, '2-7'],
    [7, '2-7'],
    [8, '8-30'],
    [30, '8-30'],
    [31, '>30'],
    [400, '>30'],
  ];
  it.each(cases)('%i days -> %s', (days, bucket) => expect(ageBucket(days)).toBe(bucket));
});

describe('moneyAtStake', () => {
  const rows: MoneyRow[] = [
    { currency: 'USD', kind: 'left_only', bucket: '0-1', amount: '337.55' },
    { currency: 'EUR', kind: 'right_only', bucket: '2-7', amount: '42.00' },
    { currency: 'EUR', kind: 'mismatch', bucket: '0-1', amount: '0.50' },
    { currency: 'USD', kind: 'left_only', bucket: '>30', amount: '10.45' },
    { currency: null, kind: 'right_only', bucket: '0-1', amount: '5' },
    { currency: ' ', kind: 'left_only', bucket: '0-1', amount: '1.25' },
  ];

  it('totals per currency and kind, never across currencies; no currency is XXX', () => {
    const { atStake } = moneyAtStake(rows);
    expect(atStake).toEqual({
      EUR: { leftOnly: '0', rightOnly: '42.00', mismatched: '0.50' },
      USD: { leftOnly: '348.00', rightOnly: '0', mismatched: '0' },
      XXX: { leftOnly: '1.25', rightOnly: '5', mismatched: '0' },
    });
  });

  it('splits the same money by age; the buckets add up to the total', () => {
    const { atStake, atStakeByAge } = moneyAtStake(rows);
    expect(atStakeByAge.USD).toEqual({ '0-1': '337.55', '2-7': '0', '8-30': '0', '>30': '10.45' });
    for (const c of Object.keys(atStake)) expect(compareDecimal(sumDecimals(Object.values(atStakeByAge[c]!)), totalAtStake(atStake[c]!))).toBe(0);
  });

  it('is empty when nothing is open', () => expect(moneyAtStake([])).toEqual({ atStake: {}, atStakeByAge: {} }));

  it('writes zeros at the amounts\' scale', () => {
    const { atStake, atStakeByAge } = moneyAtStake([{ currency: 'EUR', kind: 'left_only', bucket: '0-1', amount: '1.50' }], 2);
    expect(atStake.EUR).toEqual({ leftOnly: '1.50', rightOnly: '0.00', mismatched: '0.00' });
    expect(atStakeByAge.EUR!['>30']).toBe('0.00');
  });

  it('prints one line per currency with something at stake', () => {
    expect(moneyAtStakeLine(moneyAtStake(rows).atStake)).toBe('EUR 42.50, USD 348.00, XXX 6.25');
    expect(moneyAtStakeLine({ EUR: { leftOnly: '0.00', rightOnly: '0', mismatched: '0' } })).toBe('none');
    expect(moneyAtStakeLine(undefined)).toBeUndefined();
  });
});
