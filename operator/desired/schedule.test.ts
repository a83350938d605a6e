import { describe, expect, it } from 'vitest';
import type { ReconJobSpec } from '../../runner/spec/schema.ts';
import { chooseWindow } from '../../runner/cli/choose-window.ts';
import {
  MAX_BACKFILL_PERIODS,
  ScheduleError,
  backfillWindows,
  nextScheduleTime,
  normalizeCron,
  scheduledTimeFromJobName,
  windowForScheduledJob,
} from './schedule.ts';
import { reconJob } from '../../test/support/desired-fixtures.ts';

const withSchedule = (schedule: Partial<NonNullable<ReconJobSpec['schedule']>>) => reconJob({ schedule: { cron: '0 2 * * *', ...schedule } });

describe('nextScheduleTime', () => {
  it.each([
    ['0 2 * * *', 'UTC', '2024-01-01T00:00:00Z', '2024-01-01T02:00:00.000Z'],
    ['0 2 * * *', 'UTC', '2024-01-01T01:59:59.999Z', '2024-01-01T02:00:00.000Z'],
    ['0 2 * * *', 'UTC', '2024-01-01T02:00:00Z', '2024-01-02T02:00:00.000Z'],
    ['0 2 * * *', 'Asia/Tokyo', '2024-01-01T00:00:00Z', '2024-01-01T17:00:00.000Z'],
    ['0 2 * * *', 'America/New_York', '2024-07-01T00:00:00Z', '2024-07-01T06:00:00.000Z'],
    ['0 2 * * *', 'America/New_York', '2024-01-01T00:00:00Z', '2024-01-01T07:00:00.000Z'],
    ['*/15 * * * *', 'UTC', '2024-01-01T00:07:00Z', '2024-01-01T00:15:00.000Z'],
    ['0 0 1,16 * *', 'UTC', '2024-01-02T00:00:00Z', '2024-01-16T00:00:00.000Z'],
    ['0 6 * * MON-FRI', 'UTC', '2024-01-06T00:00:00Z', '2024-01-08T06:00:00.000Z'],
    ['0 6 ? * mon', 'UTC', '2024-01-02T00:00:00Z', '2024-01-08T06:00:00.000Z'],
    ['0 0 1 jan *', 'UTC', '2024-01-02T00:00:00Z', '2025-01-01T00:00:00.000Z'],
    // Day of month and day of week both restricted: either matches, as in Kubernetes.
    ['0 0 1 * mon', 'UTC', '2024-01-02T00:00:00Z', '2024-01-08T00:00:00.000Z'],
    ['@daily', 'UTC', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00.000Z'],
    ['@midnight', 'UTC', '2024-01-01T10:00:00Z', '2024-01-02T00:00:00.000Z'],
    ['@hourly', 'UTC', '2024-01-01T10:30:00Z', '2024-01-01T11:00:00.000Z'],
    ['@weekly', 'UTC', '2024-01-01T00:00:00Z', '2024-01-07T00:00:00.000Z'],
    ['@monthly', 'UTC', '2024-01-01T00:00:00Z', '2024-02-01T00:00:00.000Z'],
    ['@yearly', 'UTC', '2024-01-01T00:00:00Z', '2025-01-01T00:00:00.000Z'],
    ['  0   2 * * *  ', 'UTC', '2024-01-01T00:00:00Z', '2024-01-01T02:00:00.000Z'],
  ])('%s in %s after %s is %s', (cron, tz, after, want) => {
    expect(nextScheduleTime(cron, tz, new Date(after)).toISOString()).toBe(want);
  });

  it.each([
    ['0 2 * *', 'has 4 fields; use five'],
    ['0 0 2 * * *', 'has 6 fields; use five'],
    ['', 'has 1 fields'],
    ['60 2 * * *', 'minute "60" has 60, outside 0-59'],
    ['0 24 * * *', 'hour "24" has 24, outside 0-23'],
    ['0 0 0 * *', 'day of month "0" has 0, outside 1-31'],
    ['0 0 * 13 *', 'month "13" has 13, outside 1-12'],
    ['0 0 * * 7', 'day of week "7" has 7, outside 0-6'],
    ['0 0 * * L', 'day of week "L" has "l", which is not a number or a name such as mon'],
    ['0 0 L * *', 'day of month "L" has "l", which is not a number'],
    ['0 0 * * 1#2', 'day of week "1#2" is not valid'],
    ['*/0 * * * *', 'minute "*/0" has a step of 0'],
    ['0 5-2 * * *', 'hour "5-2" has a range that runs backwards (5-2)'],
    ['@every 1h', 'is not supported; use five fields'],
    ['@reboot', 'is not supported'],
    ['TZ=Asia/Tokyo 0 2 * * *', 'sets a time zone; put it in spec.schedule.timeZone instead'],
    ['CRON_TZ=UTC 0 2 * * *', 'sets a time zone'],
    ['0 0 30 2 *', 'never fires'],
  ])('rejects %j: %s', (cron, message) => {
    const call = (): Date => nextScheduleTime(cron, 'UTC', new Date('2024-01-01T00:00:00Z'));
    expect(call).toThrow(ScheduleError);
    expect(call).toThrow(message);
  });

  it('rejects an unknown time zone', () => {
    expect(() => nextScheduleTime('0 2 * * *', 'Mars/Olympus', new Date())).toThrow(ScheduleError);
    expect(() => nextScheduleTime('0 2 * * *', 'Mars/Olympus', new Date())).toThrow('timeZone "Mars/Olympus" is not an IANA time zone name');
  });

  it('normalizes what cron-parser reads differently from Kubernetes', () => {
    expect(normalizeCron('0 6 ? * MON')).toBe('0 6 * * MON');
    expect(normalizeCron('@Daily')).toBe('0 0 * * *');
  });
});

describe('scheduledTimeFromJobName', () => {
  it.each([
    ['orders-28400000', new Date(28_400_000 * 60_000)],
    ['orders-vs-settlements-28434240', new Date('2024-01-24T00:00:00Z')],
    ['a-1', new Date(60_000)],
    ['orders', undefined],
    ['orders-', undefined],
    ['orders-2840000x', undefined],
    ['orders-1234567890123', undefined],
    ['28400000', undefined],
  ])('%s -> %s', (name, want) => {
    expect(scheduledTimeFromJobName(name)).toEqual(want);
  });
});

describe('windowForScheduledJob', () => {
  const minutes = (iso: string): number => Date.parse(iso) / 60_000;

  it.each([
    [{}, '2024-01-02T02:00:00Z', { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' }],
    [{ timeZone: 'Asia/Tokyo' }, '2024-01-01T17:00:00Z', { start: '2024-01-01T00:00:00+09:00', end: '2024-01-02T00:00:00+09:00' }],
    [{ period: 'Monthly' as const }, '2024-03-01T02:00:00Z', { start: '2024-02-01T00:00:00+00:00', end: '2024-03-01T00:00:00+00:00' }],
    [{ period: 'Monthly' as const, anchorDay: 28 }, '2024-03-28T02:00:00Z', { start: '2024-02-28T00:00:00+00:00', end: '2024-03-28T00:00:00+00:00' }],
    [{ period: 'Weekly' as const }, '2024-01-10T02:00:00Z', { start: '2024-01-01T00:00:00+00:00', end: '2024-01-08T00:00:00+00:00' }],
  ])('%j scheduled at %s covers %j', (schedule, at, want) => {
    const job = withSchedule(schedule);
    const jobName = `orders-vs-settlements-${minutes(at)}`;
    expect(windowForScheduledJob(job, jobName)).toMatchObject(want);
  });

  it('agrees with the window the runner chooses from RAAS_JOB_NAME', () => {
    const job = withSchedule({ timeZone: 'America/New_York', period: 'SemiMonthly' });
    for (const at of ['2024-03-16T06:00:00Z', '2024-11-01T06:00:00Z', '2024-03-10T07:00:00Z']) {
      const jobName = `x-${minutes(at)}`;
      const runner = chooseWindow({}, job.spec, new Date('2030-01-01T00:00:00Z'), { RAAS_JOB_NAME: jobName }).window;
      expect(windowForScheduledJob(job, jobName)).toEqual(runner);
    }
  });

  it('throws a ScheduleError for a Job not created by a CronJob', () => {
    expect(() => windowForScheduledJob(withSchedule({}), 'manual-run')).toThrow(ScheduleError);
    expect(() => windowForScheduledJob(withSchedule({}), 'manual-run')).toThrow('Job manual-run does not end in -<minutes since the epoch>');
  });
});

describe('backfillWindows', () => {
  const starts = (ws: { startDate: string }[]): string[] => ws.map((w) => w.startDate);

  it.each([
    ['Daily, one day', {}, '2024-01-01', '2024-01-01', ['2024-01-01']],
    ['Daily, inclusive of to', {}, '2024-01-30', '2024-02-02', ['2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02']],
    ['Daily across spring-forward', { timeZone: 'Europe/Berlin' }, '2024-03-30', '2024-04-01', ['2024-03-30', '2024-03-31', '2024-04-01']],
    ['Weekly from mid-week', { period: 'Weekly' as const }, '2024-01-03', '2024-01-15', ['2024-01-01', '2024-01-08', '2024-01-15']],
    ['Weekly starting Sunday', { period: 'Weekly' as const, weekStartsOn: 'Sunday' as const }, '2024-01-03', '2024-01-08', ['2023-12-31', '2024-01-07']],
    ['SemiMonthly', { period: 'SemiMonthly' as const }, '2024-02-10', '2024-03-20', ['2024-02-01', '2024-02-16', '2024-03-01', '2024-03-16']],
    ['Monthly', { period: 'Monthly' as const, timeZone: 'Asia/Tokyo' }, '2024-01-15', '2024-03-01', ['2024-01-01', '2024-02-01', '2024-03-01']],
    ['Monthly anchored on the 28th', { period: 'Monthly' as const, anchorDay: 28 }, '2024-01-27', '2024-02-28', ['2023-12-28', '2024-01-28', '2024-02-28']],
    ['Quarterly', { period: 'Quarterly' as const }, '2023-11-30', '2024-04-01', ['2023-10-01', '2024-01-01', '2024-04-01']],
  ])('%s: %j %s .. %s', (_name, schedule, from, to, want) => {
    const ws = backfillWindows(withSchedule(schedule), from, to);
    expect(starts(ws)).toEqual(want);
    for (let i = 1; i < ws.length; i++) expect(ws[i]?.start).toBe(ws[i - 1]?.end);
  });

  it('uses Daily UTC periods for a job without a schedule', () => {
    expect(backfillWindows(reconJob(), '2024-01-01', '2024-01-02')).toEqual([
      { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00', startDate: '2024-01-01', endDate: '2024-01-02' },
      { start: '2024-01-02T00:00:00+00:00', end: '2024-01-03T00:00:00+00:00', startDate: '2024-01-02', endDate: '2024-01-03' },
    ]);
  });

  it(`allows exactly ${MAX_BACKFILL_PERIODS} periods`, () => {
    expect(backfillWindows(reconJob(), '2024-01-01', '2024-12-31')).toHaveLength(366);
  });

  it('rejects more, saying what to do', () => {
    const call = () => backfillWindows(reconJob(), '2024-01-01', '2025-01-01');
    expect(call).toThrow(ScheduleError);
    expect(call).toThrow('from 2024-01-01 to 2025-01-01 is more than 366 Daily periods; split the backfill into smaller ranges');
  });

  it('allows long ranges of long periods', () => {
    expect(backfillWindows(withSchedule({ period: 'Monthly' }), '2000-01-01', '2024-12-31')).toHaveLength(300);
  });

  it.each([
    ['2024-01-02', '2024-01-01', 'from 2024-01-02 is after to 2024-01-01; give the earlier date first'],
    ['2024-02-30', '2024-03-01', 'from "2024-02-30" is not a valid date; use YYYY-MM-DD'],
    ['2024-01-01', 'tomorrow', 'to "tomorrow" is not a valid date; use YYYY-MM-DD'],
  ])('rejects %s .. %s', (from, to, message) => {
    const call = () => backfillWindows(reconJob(), from, to);
    expect(call).toThrow(ScheduleError);
    expect(call).toThrow(message);
  });
});
