import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PERIODS,
  WEEKDAYS,
  WindowError,
  assertTimeZone,
  explicitWindow,
  lastCompletePeriodBefore,
  periodContaining,
  windowForDate,
  windowFromInstants,
  type PeriodOptions,
  type ReconWindow,
} from './window.ts';

const w = (start: string, end: string, startDate: string, endDate: string): ReconWindow => ({
  start,
  end,
  startDate,
  endDate,
});

const hoursBetween = (win: ReconWindow): number => (Date.parse(win.end) - Date.parse(win.start)) / 3_600_000;

function expectWindowError(fn: () => unknown, message: string): void {
  expect(fn).toThrow(WindowError);
  expect(fn).toThrow(message);
}

describe('output format', () => {
  it('uses +00:00 rather than Z for UTC, with no milliseconds', () => {
    const win = periodContaining(new Date('2024-01-01T12:34:56.789Z'), { period: 'Daily', timeZone: 'UTC' });
    expect(win).toEqual(w('2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00', '2024-01-01', '2024-01-02'));
  });

  it('prints the offset in force at each boundary', () => {
    expect(windowForDate('2024-03-10', { period: 'Daily', timeZone: 'America/New_York' })).toEqual(
      w('2024-03-10T00:00:00-05:00', '2024-03-11T00:00:00-04:00', '2024-03-10', '2024-03-11'),
    );
  });

  it('round-trips: start and end parse back to the same instants', () => {
    const win = windowForDate('2024-07-15', { period: 'Weekly', timeZone: 'Asia/Kolkata' });
    expect(win.start).toBe('2024-07-15T00:00:00+05:30');
    expect(new Date(win.start).toISOString()).toBe('2024-07-14T18:30:00.000Z');
    expect(new Date(win.end).toISOString()).toBe('2024-07-21T18:30:00.000Z');
  });
});

describe('Daily', () => {
  const daily = (timeZone: string): PeriodOptions => ({ period: 'Daily', timeZone });

  it('UTC', () => {
    expect(periodContaining(new Date('2024-02-29T23:59:59.999Z'), daily('UTC'))).toEqual(
      w('2024-02-29T00:00:00+00:00', '2024-03-01T00:00:00+00:00', '2024-02-29', '2024-03-01'),
    );
  });

  it('Asia/Tokyo: an instant that is still the previous day in UTC', () => {
    expect(periodContaining(new Date('2024-01-01T15:00:00Z'), daily('Asia/Tokyo'))).toEqual(
      w('2024-01-02T00:00:00+09:00', '2024-01-03T00:00:00+09:00', '2024-01-02', '2024-01-03'),
    );
    expect(periodContaining(new Date('2024-01-01T14:59:59Z'), daily('Asia/Tokyo'))).toEqual(
      w('2024-01-01T00:00:00+09:00', '2024-01-02T00:00:00+09:00', '2024-01-01', '2024-01-02'),
    );
  });

  it('America/New_York spring forward is a 23-hour day', () => {
    const win = periodContaining(new Date('2024-03-10T12:00:00Z'), daily('America/New_York'));
    expect(win).toEqual(w('2024-03-10T00:00:00-05:00', '2024-03-11T00:00:00-04:00', '2024-03-10', '2024-03-11'));
    expect(hoursBetween(win)).toBe(23);
  });

  it('America/New_York fall back is a 25-hour day, and both 01:30s belong to it', () => {
    const expected = w('2024-11-03T00:00:00-04:00', '2024-11-04T00:00:00-05:00', '2024-11-03', '2024-11-04');
    expect(periodContaining(new Date('2024-11-03T01:30:00-04:00'), daily('America/New_York'))).toEqual(expected);
    expect(periodContaining(new Date('2024-11-03T01:30:00-05:00'), daily('America/New_York'))).toEqual(expected);
    expect(hoursBetween(expected)).toBe(25);
  });

  it('Europe/Berlin across both DST changes', () => {
    const spring = windowForDate('2024-03-31', daily('Europe/Berlin'));
    expect(spring).toEqual(w('2024-03-31T00:00:00+01:00', '2024-04-01T00:00:00+02:00', '2024-03-31', '2024-04-01'));
    expect(hoursBetween(spring)).toBe(23);
    const autumn = windowForDate('2024-10-27', daily('Europe/Berlin'));
    expect(autumn).toEqual(w('2024-10-27T00:00:00+02:00', '2024-10-28T00:00:00+01:00', '2024-10-27', '2024-10-28'));
    expect(hoursBetween(autumn)).toBe(25);
  });

  describe('America/Santiago: DST changes at midnight', () => {
    // 2024-09-08 00:00 -04 does not exist (clocks jump to 01:00 -03): the day starts at 01:00.
    it('a skipped midnight starts the day at the first valid instant', () => {
      const before = windowForDate('2024-09-07', daily('America/Santiago'));
      expect(before).toEqual(w('2024-09-07T00:00:00-04:00', '2024-09-08T01:00:00-03:00', '2024-09-07', '2024-09-08'));
      expect(hoursBetween(before)).toBe(24);
      const day = windowForDate('2024-09-08', daily('America/Santiago'));
      expect(day).toEqual(w('2024-09-08T01:00:00-03:00', '2024-09-09T00:00:00-03:00', '2024-09-08', '2024-09-09'));
      expect(hoursBetween(day)).toBe(23);
    });

    it('the instant of the jump belongs to the new day', () => {
      expect(periodContaining(new Date('2024-09-08T04:00:00Z'), daily('America/Santiago')).startDate).toBe('2024-09-08');
      expect(periodContaining(new Date('2024-09-08T03:59:59Z'), daily('America/Santiago')).startDate).toBe('2024-09-07');
    });

    // 2024-04-07 00:00 -03 becomes 2024-04-06 23:00 -04: the 6th has 25 hours.
    it('fall back at midnight repeats the last hour of the previous day', () => {
      const day = windowForDate('2024-04-06', daily('America/Santiago'));
      expect(day).toEqual(w('2024-04-06T00:00:00-03:00', '2024-04-07T00:00:00-04:00', '2024-04-06', '2024-04-07'));
      expect(hoursBetween(day)).toBe(25);
      // 23:30 on the 6th, second time round.
      expect(periodContaining(new Date('2024-04-07T03:30:00Z'), daily('America/Santiago')).startDate).toBe('2024-04-06');
    });
  });

  describe('America/Havana: fall back from 01:00 to 00:00, so midnight happens twice', () => {
    // Luxon alone resolves an ambiguous wall time with the offset in force *now*, so
    // these assertions also pin that the result does not depend on the current date.
    it('the day starts at the first midnight and lasts 25 hours', () => {
      const day = windowForDate('2024-11-03', daily('America/Havana'));
      expect(day).toEqual(w('2024-11-03T00:00:00-04:00', '2024-11-04T00:00:00-05:00', '2024-11-03', '2024-11-04'));
      expect(hoursBetween(day)).toBe(25);
      expect(hoursBetween(windowForDate('2024-11-02', daily('America/Havana')))).toBe(24);
    });

    describe('whatever the current date is', () => {
      afterEach(() => {
        vi.useRealTimers();
      });
      for (const now of ['2024-07-01T12:00:00Z', '2025-01-15T12:00:00Z']) {
        it(`now = ${now}`, () => {
          vi.useFakeTimers({ now: new Date(now) });
          expect(windowForDate('2024-11-03', daily('America/Havana')).start).toBe('2024-11-03T00:00:00-04:00');
          expect(windowForDate('2024-11-03', daily('America/New_York')).start).toBe('2024-11-03T00:00:00-04:00');
        });
      }
    });

    it('both 00:30s belong to the same day', () => {
      expect(periodContaining(new Date('2024-11-03T00:30:00-04:00'), daily('America/Havana')).startDate).toBe('2024-11-03');
      expect(periodContaining(new Date('2024-11-03T00:30:00-05:00'), daily('America/Havana')).startDate).toBe('2024-11-03');
    });

    it('spring forward skips midnight: the day starts at 01:00', () => {
      expect(windowForDate('2024-03-10', daily('America/Havana'))).toEqual(
        w('2024-03-10T01:00:00-04:00', '2024-03-11T00:00:00-04:00', '2024-03-10', '2024-03-11'),
      );
    });
  });

  describe('Pacific/Apia skipped 2011-12-30 entirely', () => {
    it('the 29th ends where the 31st starts; dates stay nominal', () => {
      const day = windowForDate('2011-12-29', daily('Pacific/Apia'));
      expect(day).toEqual(w('2011-12-29T00:00:00-10:00', '2011-12-31T00:00:00+14:00', '2011-12-29', '2011-12-30'));
      expect(hoursBetween(day)).toBe(24);
      expect(periodContaining(new Date('2011-12-30T10:00:00Z'), daily('Pacific/Apia')).startDate).toBe('2011-12-31');
      expect(lastCompletePeriodBefore(new Date('2011-12-30T10:00:00Z'), daily('Pacific/Apia')).startDate).toBe(
        '2011-12-29',
      );
    });

    it('the skipped day itself is an error', () => {
      expectWindowError(
        () => windowForDate('2011-12-30', daily('Pacific/Apia')),
        '--date "2011-12-30" does not exist in Pacific/Apia',
      );
    });

    it('weeks containing the skip are six days long', () => {
      const week = windowForDate('2011-12-28', { period: 'Weekly', timeZone: 'Pacific/Apia' });
      expect(week.startDate).toBe('2011-12-26');
      expect(week.endDate).toBe('2012-01-02');
      expect(hoursBetween(week)).toBe(6 * 24);
    });
  });

  it('consecutive days tile the timeline without gaps or overlaps', () => {
    for (const timeZone of ['America/New_York', 'America/Santiago', 'America/Havana', 'Europe/Berlin']) {
      let win = windowForDate('2024-01-01', daily(timeZone));
      for (let i = 0; i < 366; i++) {
        const next = windowForDate(win.endDate, daily(timeZone));
        expect(Date.parse(next.start)).toBe(Date.parse(win.end));
        expect(hoursBetween(next)).toBeGreaterThanOrEqual(23);
        expect(hoursBetween(next)).toBeLessThanOrEqual(25);
        win = next;
      }
      expect(win.startDate).toBe('2025-01-01');
    }
  });
});

describe('Weekly', () => {
  it('defaults to weeks starting Monday', () => {
    // 2024-01-03 is a Wednesday.
    expect(windowForDate('2024-01-03', { period: 'Weekly', timeZone: 'UTC' })).toEqual(
      w('2024-01-01T00:00:00+00:00', '2024-01-08T00:00:00+00:00', '2024-01-01', '2024-01-08'),
    );
  });

  it('weekStartsOn Sunday vs Monday, on a Sunday', () => {
    // 2024-01-07 is a Sunday.
    expect(windowForDate('2024-01-07', { period: 'Weekly', timeZone: 'UTC', weekStartsOn: 'Monday' })).toMatchObject({
      startDate: '2024-01-01',
      endDate: '2024-01-08',
    });
    expect(windowForDate('2024-01-07', { period: 'Weekly', timeZone: 'UTC', weekStartsOn: 'Sunday' })).toMatchObject({
      startDate: '2024-01-07',
      endDate: '2024-01-14',
    });
  });

  it('weekStartsOn Sunday vs Monday, on a Monday', () => {
    // 2024-01-08 is a Monday.
    expect(windowForDate('2024-01-08', { period: 'Weekly', timeZone: 'UTC', weekStartsOn: 'Monday' })).toMatchObject({
      startDate: '2024-01-08',
      endDate: '2024-01-15',
    });
    expect(windowForDate('2024-01-08', { period: 'Weekly', timeZone: 'UTC', weekStartsOn: 'Sunday' })).toMatchObject({
      startDate: '2024-01-07',
      endDate: '2024-01-14',
    });
  });

  it('every weekStartsOn gives a 7-day week starting on that weekday', () => {
    WEEKDAYS.forEach((weekStartsOn, i) => {
      // 2024-01-01 is a Monday, so the matching start in that week is 2024-01-01 + i.
      for (let day = 1; day <= 14; day++) {
        const date = `2024-01-${String(day).padStart(2, '0')}`;
        const win = windowForDate(date, { period: 'Weekly', timeZone: 'UTC', weekStartsOn });
        const startDay = Number(win.startDate.slice(8)) + (win.startDate.startsWith('2023-12') ? -31 : 0);
        expect((startDay - 1 - i + 70) % 7).toBe(0);
        expect(startDay).toBeLessThanOrEqual(day);
        expect(day - startDay).toBeLessThan(7);
        expect(hoursBetween(win)).toBe(7 * 24);
      }
    });
  });

  it('crosses the year boundary', () => {
    expect(windowForDate('2025-01-01', { period: 'Weekly', timeZone: 'UTC' })).toMatchObject({
      startDate: '2024-12-30',
      endDate: '2025-01-06',
    });
  });

  it('a DST week in New York is 167 hours', () => {
    const win = windowForDate('2024-03-10', { period: 'Weekly', timeZone: 'America/New_York' });
    expect(win).toEqual(w('2024-03-04T00:00:00-05:00', '2024-03-11T00:00:00-04:00', '2024-03-04', '2024-03-11'));
    expect(hoursBetween(win)).toBe(167);
  });
});

describe('SemiMonthly', () => {
  const semi = { period: 'SemiMonthly', timeZone: 'Europe/Berlin' } as const;

  it('1st to 15th', () => {
    for (const d of ['2024-01-01', '2024-01-08', '2024-01-15']) {
      expect(windowForDate(d, semi)).toEqual(
        w('2024-01-01T00:00:00+01:00', '2024-01-16T00:00:00+01:00', '2024-01-01', '2024-01-16'),
      );
    }
  });

  it('16th to the end of a 31-day month', () => {
    for (const d of ['2024-01-16', '2024-01-31']) {
      expect(windowForDate(d, semi)).toEqual(
        w('2024-01-16T00:00:00+01:00', '2024-02-01T00:00:00+01:00', '2024-01-16', '2024-02-01'),
      );
    }
  });

  it('16th to the end of February, leap and non-leap', () => {
    expect(windowForDate('2024-02-29', semi)).toMatchObject({ startDate: '2024-02-16', endDate: '2024-03-01' });
    expect(windowForDate('2023-02-28', semi)).toMatchObject({ startDate: '2023-02-16', endDate: '2023-03-01' });
  });

  it('the second half of December ends on January 1st', () => {
    expect(windowForDate('2024-12-20', semi)).toEqual(
      w('2024-12-16T00:00:00+01:00', '2025-01-01T00:00:00+01:00', '2024-12-16', '2025-01-01'),
    );
  });

  it('the half containing the spring DST change is an hour short', () => {
    const win = windowForDate('2024-03-20', semi);
    expect(win).toEqual(w('2024-03-16T00:00:00+01:00', '2024-04-01T00:00:00+02:00', '2024-03-16', '2024-04-01'));
    expect(hoursBetween(win)).toBe(16 * 24 - 1);
  });
});

describe('Monthly', () => {
  it('anchorDay defaults to 1: the calendar month', () => {
    expect(windowForDate('2024-02-29', { period: 'Monthly', timeZone: 'UTC' })).toEqual(
      w('2024-02-01T00:00:00+00:00', '2024-03-01T00:00:00+00:00', '2024-02-01', '2024-03-01'),
    );
    expect(windowForDate('2023-02-28', { period: 'Monthly', timeZone: 'UTC', anchorDay: 1 })).toMatchObject({
      startDate: '2023-02-01',
      endDate: '2023-03-01',
    });
    expect(windowForDate('2024-01-31', { period: 'Monthly', timeZone: 'UTC' })).toMatchObject({
      startDate: '2024-01-01',
      endDate: '2024-02-01',
    });
  });

  it('anchorDay 28: the 27th belongs to the window that started the previous month', () => {
    const opts = { period: 'Monthly', timeZone: 'Asia/Tokyo', anchorDay: 28 } as const;
    expect(windowForDate('2024-03-27', opts)).toEqual(
      w('2024-02-28T00:00:00+09:00', '2024-03-28T00:00:00+09:00', '2024-02-28', '2024-03-28'),
    );
    expect(windowForDate('2024-03-28', opts)).toEqual(
      w('2024-03-28T00:00:00+09:00', '2024-04-28T00:00:00+09:00', '2024-03-28', '2024-04-28'),
    );
  });

  it('anchorDay 28 around February, leap and non-leap', () => {
    const opts = { period: 'Monthly', timeZone: 'UTC', anchorDay: 28 } as const;
    expect(windowForDate('2024-02-29', opts)).toMatchObject({ startDate: '2024-02-28', endDate: '2024-03-28' });
    expect(windowForDate('2024-02-27', opts)).toMatchObject({ startDate: '2024-01-28', endDate: '2024-02-28' });
    expect(windowForDate('2023-02-28', opts)).toMatchObject({ startDate: '2023-02-28', endDate: '2023-03-28' });
    expect(windowForDate('2023-03-01', opts)).toMatchObject({ startDate: '2023-02-28', endDate: '2023-03-28' });
    expect(hoursBetween(windowForDate('2023-03-01', opts))).toBe(28 * 24);
    expect(hoursBetween(windowForDate('2024-03-01', opts))).toBe(29 * 24);
  });

  it('anchored windows cross the year boundary both ways', () => {
    const opts = { period: 'Monthly', timeZone: 'UTC', anchorDay: 15 } as const;
    expect(windowForDate('2025-01-10', opts)).toMatchObject({ startDate: '2024-12-15', endDate: '2025-01-15' });
    expect(windowForDate('2024-12-31', opts)).toMatchObject({ startDate: '2024-12-15', endDate: '2025-01-15' });
    expect(windowForDate('2024-12-14', opts)).toMatchObject({ startDate: '2024-11-15', endDate: '2024-12-15' });
  });

  it('in New York a month spanning the November change is an hour longer', () => {
    const win = windowForDate('2024-11-10', { period: 'Monthly', timeZone: 'America/New_York' });
    expect(win).toEqual(w('2024-11-01T00:00:00-04:00', '2024-12-01T00:00:00-05:00', '2024-11-01', '2024-12-01'));
    expect(hoursBetween(win)).toBe(30 * 24 + 1);
  });
});

describe('Quarterly', () => {
  const cases: Array<[string, string, string]> = [
    ['2024-01-01', '2024-01-01', '2024-04-01'],
    ['2024-03-31', '2024-01-01', '2024-04-01'],
    ['2024-04-01', '2024-04-01', '2024-07-01'],
    ['2024-06-30', '2024-04-01', '2024-07-01'],
    ['2024-07-15', '2024-07-01', '2024-10-01'],
    ['2024-09-30', '2024-07-01', '2024-10-01'],
    ['2024-10-01', '2024-10-01', '2025-01-01'],
    ['2024-12-31', '2024-10-01', '2025-01-01'],
  ];
  it.each(cases)('%s is in %s..%s', (date, startDate, endDate) => {
    expect(windowForDate(date, { period: 'Quarterly', timeZone: 'UTC' })).toMatchObject({ startDate, endDate });
  });

  it('Q4 in Tokyo ends at local new year, not UTC new year', () => {
    expect(periodContaining(new Date('2024-12-31T15:00:00Z'), { period: 'Quarterly', timeZone: 'Asia/Tokyo' })).toEqual(
      w('2025-01-01T00:00:00+09:00', '2025-04-01T00:00:00+09:00', '2025-01-01', '2025-04-01'),
    );
    expect(periodContaining(new Date('2024-12-31T14:59:59Z'), { period: 'Quarterly', timeZone: 'Asia/Tokyo' })).toEqual(
      w('2024-10-01T00:00:00+09:00', '2025-01-01T00:00:00+09:00', '2024-10-01', '2025-01-01'),
    );
  });
});

describe('periodContaining', () => {
  it('contains the instant: start <= instant < end, for every period and many instants', () => {
    const zones = ['UTC', 'Asia/Tokyo', 'America/New_York', 'Europe/Berlin', 'America/Santiago', 'America/Havana'];
    const base = Date.parse('2023-12-20T00:00:00Z');
    for (const timeZone of zones) {
      for (const period of PERIODS) {
        // Step 3 days 7h 13m so that instants land at many different local times and dates.
        for (let t = base; t < base + 400 * 86_400_000; t += 285_200_000) {
          const win = periodContaining(new Date(t), { period, timeZone });
          expect(Date.parse(win.start)).toBeLessThanOrEqual(t);
          expect(Date.parse(win.end)).toBeGreaterThan(t);
        }
      }
    }
  });

  it('an instant exactly on a boundary belongs to the period that starts there', () => {
    expect(periodContaining(new Date('2024-01-01T00:00:00Z'), { period: 'Monthly', timeZone: 'UTC' }).startDate).toBe(
      '2024-01-01',
    );
  });

  it('agrees with windowForDate on the local date', () => {
    const opts = { period: 'Weekly', timeZone: 'America/New_York', weekStartsOn: 'Sunday' } as const;
    expect(periodContaining(new Date('2024-06-09T03:59:59Z'), opts)).toEqual(windowForDate('2024-06-08', opts));
    expect(periodContaining(new Date('2024-06-09T04:00:00Z'), opts)).toEqual(windowForDate('2024-06-09', opts));
  });
});

describe('lastCompletePeriodBefore', () => {
  const tokyoDaily = { period: 'Daily', timeZone: 'Asia/Tokyo' } as const;
  const jan1Tokyo = w('2024-01-01T00:00:00+09:00', '2024-01-02T00:00:00+09:00', '2024-01-01', '2024-01-02');

  it('a run at 02:00 Tokyo covers the previous Tokyo day', () => {
    expect(lastCompletePeriodBefore(new Date('2024-01-02T02:00:00+09:00'), tokyoDaily)).toEqual(jan1Tokyo);
  });

  it('a run exactly at midnight covers the day that just ended', () => {
    expect(lastCompletePeriodBefore(new Date('2024-01-02T00:00:00+09:00'), tokyoDaily)).toEqual(jan1Tokyo);
  });

  it('1 ms after midnight still covers the day that just ended', () => {
    expect(lastCompletePeriodBefore(new Date(Date.parse('2024-01-02T00:00:00+09:00') + 1), tokyoDaily)).toEqual(
      jan1Tokyo,
    );
  });

  it('1 ms before midnight covers the day before', () => {
    expect(
      lastCompletePeriodBefore(new Date(Date.parse('2024-01-02T00:00:00+09:00') - 1), tokyoDaily).startDate,
    ).toBe('2023-12-31');
  });

  it('works for every period on and just after a boundary', () => {
    const cases: Array<[PeriodOptions, string, string]> = [
      [{ period: 'Weekly', timeZone: 'UTC' }, '2024-01-08T00:00:00Z', '2024-01-01'],
      [{ period: 'Weekly', timeZone: 'UTC', weekStartsOn: 'Sunday' }, '2024-01-07T00:00:00Z', '2023-12-31'],
      [{ period: 'SemiMonthly', timeZone: 'UTC' }, '2024-03-16T00:00:00Z', '2024-03-01'],
      [{ period: 'SemiMonthly', timeZone: 'UTC' }, '2024-03-01T00:00:00Z', '2024-02-16'],
      [{ period: 'Monthly', timeZone: 'UTC' }, '2024-01-01T00:00:00Z', '2023-12-01'],
      [{ period: 'Monthly', timeZone: 'UTC', anchorDay: 28 }, '2024-03-28T00:00:00Z', '2024-02-28'],
      [{ period: 'Quarterly', timeZone: 'UTC' }, '2024-01-01T00:00:00Z', '2023-10-01'],
    ];
    for (const [opts, boundary, startDate] of cases) {
      const t = Date.parse(boundary);
      expect(lastCompletePeriodBefore(new Date(t), opts).startDate).toBe(startDate);
      expect(lastCompletePeriodBefore(new Date(t + 1), opts).startDate).toBe(startDate);
      expect(Date.parse(lastCompletePeriodBefore(new Date(t), opts).end)).toBe(t);
    }
  });

  it('the day after a Santiago skipped midnight', () => {
    // 2024-09-09 02:00 -03: the day that just ended is the 23-hour 2024-09-08.
    expect(
      lastCompletePeriodBefore(new Date('2024-09-09T02:00:00-03:00'), { period: 'Daily', timeZone: 'America/Santiago' }),
    ).toEqual(w('2024-09-08T01:00:00-03:00', '2024-09-09T00:00:00-03:00', '2024-09-08', '2024-09-09'));
    // At the first valid instant of the 8th, the 7th has just completed.
    expect(
      lastCompletePeriodBefore(new Date('2024-09-08T01:00:00-03:00'), { period: 'Daily', timeZone: 'America/Santiago' })
        .startDate,
    ).toBe('2024-09-07');
  });

  it('a scheduled Daily run in New York after spring forward', () => {
    expect(
      lastCompletePeriodBefore(new Date('2024-03-11T02:00:00-04:00'), { period: 'Daily', timeZone: 'America/New_York' }),
    ).toEqual(w('2024-03-10T00:00:00-05:00', '2024-03-11T00:00:00-04:00', '2024-03-10', '2024-03-11'));
  });
});

describe('explicitWindow', () => {
  it('keeps explicit offsets and prints in the job zone', () => {
    expect(explicitWindow('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 'Asia/Tokyo')).toEqual(
      w('2024-01-01T09:00:00+09:00', '2024-01-02T09:00:00+09:00', '2024-01-01', '2024-01-02'),
    );
    expect(explicitWindow('2024-01-01T00:00:00+09:00', '2024-01-01T12:00:00+0900', 'UTC')).toEqual(
      w('2023-12-31T15:00:00+00:00', '2024-01-01T03:00:00+00:00', '2023-12-31', '2024-01-01'),
    );
  });

  it('reads bare dates and offset-less times in the job zone', () => {
    expect(explicitWindow('2024-03-10', '2024-03-11', 'America/New_York')).toEqual(
      windowForDate('2024-03-10', { period: 'Daily', timeZone: 'America/New_York' }),
    );
    expect(explicitWindow('2024-06-01T08:30', '2024-06-01T17:00:05', 'Europe/Berlin')).toEqual(
      w('2024-06-01T08:30:00+02:00', '2024-06-01T17:00:05+02:00', '2024-06-01', '2024-06-01'),
    );
  });

  it('a bare date whose midnight is skipped starts at the first valid instant', () => {
    expect(explicitWindow('2024-09-08', '2024-09-09', 'America/Santiago').start).toBe('2024-09-08T01:00:00-03:00');
  });

  it('accepts zero milliseconds and a space separator', () => {
    expect(explicitWindow('2024-01-01 00:00:00.000Z', '2024-01-01T01:00:00.000+00:00', 'UTC')).toEqual(
      w('2024-01-01T00:00:00+00:00', '2024-01-01T01:00:00+00:00', '2024-01-01', '2024-01-01'),
    );
  });

  it('end must be after start', () => {
    expectWindowError(() => explicitWindow('2024-01-02', '2024-01-01', 'UTC'), '--end must be after --start');
    expectWindowError(
      () => explicitWindow('2024-01-01T00:00:00Z', '2024-01-01T09:00:00+09:00', 'UTC'),
      '--end must be after --start',
    );
  });

  it('names the fields it was given', () => {
    expectWindowError(
      () => explicitWindow('2024-01-02', '2024-01-01', 'UTC', { start: 'spec.window.start', end: 'spec.window.end' }),
      'spec.window.end must be after spec.window.start',
    );
    expectWindowError(
      () => explicitWindow('nope', '2024-01-01', 'UTC', { start: 'spec.window.start', end: 'spec.window.end' }),
      'spec.window.start "nope" is not a valid date or date-time',
    );
  });

  it.each([
    ['2024-13-01'],
    ['2024-02-30'],
    ['2023-02-29'],
    ['2024-01-01T24:00:00Z'],
    ['2024-01-01T10:60:00Z'],
    ['2024-01-01T10:00:60Z'],
    ['2024-01-01T10:00:00+19:00'],
    ['2024-01-01Z'],
    ['yesterday'],
    [''],
    ['1704067200'],
  ])('rejects %j', (input) => {
    expectWindowError(
      () => explicitWindow(input, '2025-01-01', 'UTC'),
      `--start ${JSON.stringify(input)} is not a valid date or date-time; use YYYY-MM-DD or ISO-8601 such as 2024-01-31T00:00:00+09:00`,
    );
  });

  it('rejects fractional seconds', () => {
    expectWindowError(
      () => explicitWindow('2024-01-01', '2024-01-02T00:00:00.5Z', 'UTC'),
      '--end "2024-01-02T00:00:00.5Z" has fractional seconds; window boundaries are whole seconds',
    );
  });

  it('rejects a local time skipped by DST', () => {
    expectWindowError(
      () => explicitWindow('2024-03-10T02:30', '2024-03-11', 'America/New_York'),
      '--start "2024-03-10T02:30" does not exist in America/New_York (clocks skip it for daylight saving); add an explicit UTC offset',
    );
  });

  it('rejects an ambiguous local time and shows both readings', () => {
    expectWindowError(
      () => explicitWindow('2024-11-01', '2024-11-03T01:30', 'America/New_York'),
      '--end "2024-11-03T01:30" is ambiguous in America/New_York (the clock shows it twice); add an explicit UTC offset, e.g. 2024-11-03T01:30:00-04:00 or 2024-11-03T01:30:00-05:00',
    );
  });

  it('rejects an invalid time zone', () => {
    expectWindowError(
      () => explicitWindow('2024-01-01', '2024-01-02', 'Mars/Base'),
      'timeZone "Mars/Base" is not an IANA time zone name (e.g. UTC, Europe/Berlin, Asia/Tokyo)',
    );
  });
});

describe('windowFromInstants', () => {
  it('formats both instants in the zone; dates are the local dates', () => {
    expect(
      windowFromInstants(new Date('2024-03-09T05:00:00Z'), new Date('2024-03-11T04:00:00Z'), 'America/New_York'),
    ).toEqual(w('2024-03-09T00:00:00-05:00', '2024-03-11T00:00:00-04:00', '2024-03-09', '2024-03-11'));
  });

  it('rejects end <= start, invalid dates and fractional seconds', () => {
    const t = new Date('2024-01-01T00:00:00Z');
    expectWindowError(() => windowFromInstants(t, t, 'UTC'), 'window end must be after window start');
    expectWindowError(() => windowFromInstants(new Date('x'), t, 'UTC'), 'window start is not a valid Date');
    expectWindowError(
      () => windowFromInstants(t, new Date('2024-01-01T00:00:00.001Z'), 'UTC'),
      'window end 2024-01-01T00:00:00.001Z has fractional seconds',
    );
    expectWindowError(() => windowFromInstants(t, new Date('2024-01-02'), 'Nowhere'), 'timeZone "Nowhere"');
  });
});

describe('invalid inputs', () => {
  it.each(['2024-13-01', '2024-00-10', '2024-02-30', '2023-02-29', '2024-1-5', '20240101', '2024-01-01T00:00:00Z', ''])(
    'windowForDate rejects %j',
    (date) => {
      expectWindowError(
        () => windowForDate(date, { period: 'Daily', timeZone: 'UTC' }),
        `--date ${JSON.stringify(date)} is not a valid date; use YYYY-MM-DD, e.g. 2024-01-31`,
      );
    },
  );

  it('windowForDate accepts Feb 29 in a leap year, including 2000', () => {
    expect(windowForDate('2000-02-29', { period: 'Daily', timeZone: 'UTC' }).endDate).toBe('2000-03-01');
    expectWindowError(() => windowForDate('1900-02-29', { period: 'Daily', timeZone: 'UTC' }), 'is not a valid date');
  });

  it('windowForDate uses the label it is given', () => {
    expectWindowError(
      () => windowForDate('2024-13-01', { period: 'Daily', timeZone: 'UTC' }, 'spec.date'),
      'spec.date "2024-13-01" is not a valid date',
    );
  });

  it('time zone', () => {
    for (const tz of ['Mars/Base', '', 'Tokyo', '+09:00']) {
      expectWindowError(
        () => periodContaining(new Date(), { period: 'Daily', timeZone: tz }),
        `timeZone ${JSON.stringify(tz)} is not an IANA time zone name (e.g. UTC, Europe/Berlin, Asia/Tokyo)`,
      );
    }
  });

  it('assertTimeZone accepts IANA names and rejects others', () => {
    for (const tz of ['UTC', 'Etc/UTC', 'Asia/Tokyo', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) {
      expect(() => assertTimeZone(tz)).not.toThrow();
    }
    expectWindowError(() => assertTimeZone('Mars/Base'), 'timeZone "Mars/Base" is not an IANA time zone name');
  });

  it('anchorDay out of range or not a whole number', () => {
    for (const anchorDay of [0, 29, 31, -1]) {
      expectWindowError(
        () => windowForDate('2024-01-01', { period: 'Monthly', timeZone: 'UTC', anchorDay }),
        `anchorDay ${anchorDay} is out of range: use 1..28`,
      );
    }
    expectWindowError(
      () => windowForDate('2024-01-01', { period: 'Monthly', timeZone: 'UTC', anchorDay: 2.5 }),
      'anchorDay 2.5 is not a whole number: use 1..28',
    );
  });

  it('anchorDay and weekStartsOn only with their period', () => {
    expectWindowError(
      () => windowForDate('2024-01-01', { period: 'Weekly', timeZone: 'UTC', anchorDay: 5 }),
      'anchorDay applies only to period Monthly (period is Weekly); remove anchorDay or use period: Monthly',
    );
    expectWindowError(
      () => windowForDate('2024-01-01', { period: 'Daily', timeZone: 'UTC', weekStartsOn: 'Sunday' }),
      'weekStartsOn applies only to period Weekly (period is Daily); remove weekStartsOn or use period: Weekly',
    );
  });

  it('unknown period and weekday (from untyped YAML)', () => {
    const opts = JSON.parse('{"period":"Yearly","timeZone":"UTC"}') as PeriodOptions;
    expectWindowError(
      () => windowForDate('2024-01-01', opts),
      'period "Yearly" is not supported; use one of Daily, Weekly, SemiMonthly, Monthly, Quarterly',
    );
    const weekly = JSON.parse('{"period":"Weekly","timeZone":"UTC","weekStartsOn":"monday"}') as PeriodOptions;
    expectWindowError(
      () => windowForDate('2024-01-01', weekly),
      'weekStartsOn "monday" is not a weekday; use one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday',
    );
  });

  it('invalid Date instants', () => {
    expectWindowError(
      () => periodContaining(new Date('nope'), { period: 'Daily', timeZone: 'UTC' }),
      'instant is not a valid Date',
    );
    expectWindowError(
      () => lastCompletePeriodBefore(new Date(Number.NaN), { period: 'Daily', timeZone: 'UTC' }),
      'instant is not a valid Date',
    );
  });

  it('errors are WindowError instances with that name', () => {
    try {
      assertTimeZone('x');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(WindowError);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('WindowError');
    }
  });
});

describe('UTC without Intl', () => {
  // UTC is answered by fixed-offset arithmetic; Etc/UTC, the same zone under another name,
  // goes through luxon's IANA zone. Every window must come out identical.
  const instants: number[] = [];
  for (let i = 0; i < 150; i++) instants.push(Date.UTC(1971, 0, 1) + ((i * 7919) % 150) * 6.5e9 + i * 86_399_937);
  instants.push(Date.UTC(2024, 1, 29, 23, 59, 59), Date.UTC(2024, 11, 31, 23, 59, 59), Date.UTC(2000, 0, 1), Date.UTC(9999, 11, 1));

  it('periodContaining and lastCompletePeriodBefore agree with Etc/UTC for every period', () => {
    for (const period of PERIODS) {
      for (const ms of instants) {
        const opts = (timeZone: string): PeriodOptions => ({ period, timeZone, ...(period === 'Monthly' ? { anchorDay: 1 + (ms % 28) } : {}) });
        expect(periodContaining(new Date(ms), opts('UTC'))).toEqual(periodContaining(new Date(ms), opts('Etc/UTC')));
        expect(lastCompletePeriodBefore(new Date(ms), opts('UTC'))).toEqual(lastCompletePeriodBefore(new Date(ms), opts('Etc/UTC')));
      }
    }
  });

  it('explicit windows and dates agree with Etc/UTC', () => {
    for (const [start, end] of [
      ['2024-01-01', '2024-01-02'],
      ['2024-02-28T10:00:00', '2024-03-01T00:00:01'],
      ['2023-12-31T23:00:00-05:00', '2024-01-02T12:00:00+09:00'],
      ['1999-12-31T23:59:59Z', '2000-01-01'],
    ] as const) {
      expect(explicitWindow(start, end, 'UTC')).toEqual(explicitWindow(start, end, 'Etc/UTC'));
    }
    expect(windowForDate('2024-02-29', { period: 'Daily', timeZone: 'UTC' })).toEqual(windowForDate('2024-02-29', { period: 'Daily', timeZone: 'Etc/UTC' }));
    expect(windowFromInstants(new Date('2024-05-01T00:00:00Z'), new Date('2024-05-02T00:00:00Z'), 'UTC')).toEqual(
      windowFromInstants(new Date('2024-05-01T00:00:00Z'), new Date('2024-05-02T00:00:00Z'), 'Etc/UTC'),
    );
  });
});
