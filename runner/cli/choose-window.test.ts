import { describe, expect, it } from 'vitest';
import type { ReconJobSpec } from '../spec/schema.ts';
import { chooseWindow, scheduledTimeFromJobName } from './choose-window.ts';

const spec = (schedule?: ReconJobSpec['schedule']): ReconJobSpec => ({ left: { uri: 'l' }, right: { uri: 'r' }, keys: [{ column: 'id' }], ...(schedule ? { schedule } : {}) });
const now = new Date('2024-03-15T10:00:00Z');

describe('chooseWindow', () => {
  it('--date picks the period containing it, in the job time zone', () => {
    expect(chooseWindow({ date: '2024-03-10' }, spec({ cron: '0 2 * * *', timeZone: 'Asia/Tokyo', period: 'Monthly', anchorDay: 28 }), now).window).toEqual({
      start: '2024-02-28T00:00:00+09:00',
      end: '2024-03-28T00:00:00+09:00',
      startDate: '2024-02-28',
      endDate: '2024-03-28',
    });
  });
  it('no flags: the last complete period before now', () => {
    expect(chooseWindow({}, spec(), now).window.startDate).toBe('2024-03-14');
  });
  it('explicit and environment windows', () => {
    // Shown with the job's offset (UTC here): the same instant.
    expect(chooseWindow({ start: '2024-01-01T00:00:00+02:00', end: '2024-01-01T12:00:00+02:00' }, spec(), now).window.start).toBe('2023-12-31T22:00:00+00:00');
    expect(chooseWindow({}, spec(), now, { RAAS_WINDOW_START: '2024-02-01', RAAS_WINDOW_END: '2024-02-02' }).window.startDate).toBe('2024-02-01');
    expect(chooseWindow({}, spec(), now, { RAAS_SCHEDULED_TIME: '2024-02-02T02:00:00Z' }).window.startDate).toBe('2024-02-01');
  });
  it('a CronJob Job name carries the scheduled minute', () => {
    expect(scheduledTimeFromJobName('orders-28402140').toISOString()).toBe('2024-01-01T17:00:00.000Z');
    expect(() => scheduledTimeFromJobName('orders-manual')).toThrow(/does not end in -<minutes since the epoch>/);
    expect(chooseWindow({}, spec({ cron: '0 2 * * *', timeZone: 'Asia/Tokyo' }), now, { RAAS_JOB_NAME: 'orders-28402140' }).window.start).toBe('2024-01-01T00:00:00+09:00');
  });
});
