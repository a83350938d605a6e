import { describe, expect, it } from 'vitest';
import { windowForDate } from '../window/window.ts';
import { assertOnePeriod, carryStart, committedAt, earlierWindows, periodOptions, type Committed } from './carry.ts';

const daily = periodOptions({ period: 'Daily', timeZone: 'Europe/London' });
const day = (d: string) => windowForDate(d, daily);
const summaryOf = (d: string) => JSON.stringify({ window: { start: day(d).start, end: day(d).end } });

describe('earlierWindows', () => {
  it('walks back whole periods across a DST change', () => {
    const ws = earlierWindows(day('2024-04-01'), daily, 3);
    expect(ws.map((w) => w.startDate)).toEqual(['2024-03-31', '2024-03-30', '2024-03-29']);
    expect(ws[0]!.start).toBe('2024-03-31T00:00:00+00:00');
    expect(ws[0]!.end).toBe('2024-04-01T00:00:00+01:00');
  });

  it('walks back months from an anchored month', () => {
    const monthly = periodOptions({ period: 'Monthly', anchorDay: 28 });
    const w = windowForDate('2024-03-28', monthly);
    expect(earlierWindows(w, monthly, 2).map((x) => `${x.startDate}..${x.endDate}`)).toEqual(['2024-02-28..2024-03-28', '2024-01-28..2024-02-28']);
  });
});

describe('assertOnePeriod', () => {
  it('accepts exactly one period', () => expect(() => assertOnePeriod(day('2024-03-02'), daily)).not.toThrow());
  it('refuses a window of two days, naming the period', () => {
    const w = { ...day('2024-03-02'), end: day('2024-03-03').end };
    expect(() => assertOnePeriod(w, daily)).toThrow(/not one Daily period in Europe\/London/);
  });
});

describe('committedAt', () => {
  const cases: [string, string | undefined, Committed['kind']][] = [
    ['nothing there', undefined, 'none'],
    ['this window', summaryOf('2024-03-01'), 'this'],
    ['the same instants in another offset', JSON.stringify({ window: { start: '2024-03-01T01:00:00+01:00', end: '2024-03-02T00:00:00Z' } }), 'this'],
    ['another window', summaryOf('2024-03-02'), 'other'],
    ['not raas JSON', 'hello', 'other'],
  ];
  it.each(cases)('%s', (_n, text, kind) => expect(committedAt(text, day('2024-03-01')).kind).toBe(kind));
});

describe('carryStart', () => {
  const prev = day('2024-03-02');
  const at = (d: string, text: string | undefined) => ({ window: day(d), committed: committedAt(text, day(d)) });
  const nothingEarlier = () => [at('2024-03-01', undefined), at('2024-02-29', undefined)];

  it('reads the previous window when it is committed', () => {
    expect(carryStart({ window: prev, uri: 'out/2024-03-02/', committed: committedAt(summaryOf('2024-03-02'), prev) }, nothingEarlier)).toEqual({ kind: 'previous', window: prev });
  });

  it('starts empty when no earlier window is committed (the first window)', () => {
    expect(carryStart({ window: prev, uri: 'out/2024-03-02/', committed: { kind: 'none' } }, nothingEarlier)).toEqual({ kind: 'first' });
  });

  it('fails on a gap, naming the missing window', () => {
    const earlier = () => [at('2024-03-01', summaryOf('2024-03-01'))];
    expect(() => carryStart({ window: prev, uri: 'out/2024-03-02/', committed: { kind: 'none' } }, earlier)).toThrow(
      /previous window 2024-03-02 .* has no committed results at out\/2024-03-02\/, but 2024-03-01 has; run 2024-03-02 first/,
    );
  });

  it('does not look further back when the previous window is committed', () => {
    let asked = false;
    carryStart({ window: prev, uri: 'x', committed: { kind: 'this' } }, () => {
      asked = true;
      return [];
    });
    expect(asked).toBe(false);
  });

  it('refuses a location holding another window (output.uri without a window template)', () => {
    expect(() => carryStart({ window: prev, uri: 'out/', committed: committedAt(summaryOf('2024-03-01'), prev) }, nothingEarlier)).toThrow(/put \{\{ window.startDate \}\} in spec.output.uri/);
  });
});
