import { describe, expect, it } from 'vitest';
import { reconJob } from '../../test/support/desired-fixtures.ts';
import { planRerun, RerunPlanError, type RunOfJob } from './rerun-plan.ts';

const carry = reconJob({ schedule: { cron: '0 6 * * *', period: 'Daily', timeZone: 'Europe/Berlin' }, carryForward: { periods: 2 }, output: { uri: 's3://out/{{ window.startDate }}/' } });
const plain = reconJob({ schedule: { cron: '0 6 * * *', period: 'Daily', timeZone: 'Europe/Berlin' } });
const day = (d: string, phase?: string): RunOfJob => ({ window: { start: `2024-03-${d}T00:00:00+01:00`, end: '' }, ...(phase ? { phase } : {}) });
const dates = (ws: { startDate: string }[]): string[] => ws.map((w) => w.startDate);

describe('planRerun', () => {
  const committed = [day('01', 'Succeeded'), day('02', 'Succeeded'), day('03', 'Succeeded')];
  const cases: [string, typeof carry, RunOfJob[], string, boolean, string[], string[]][] = [
    ['carry-forward, cascade: the window and every later committed one, in order', carry, committed, '2024-03-01', true, ['2024-03-01', '2024-03-02', '2024-03-03'], []],
    ['carry-forward, no cascade: only the window; the later ones are kept and named', carry, committed, '2024-03-01', false, ['2024-03-01'], ['2024-03-02', '2024-03-03']],
    ['carry-forward, the latest window: nothing later', carry, committed, '2024-03-03', true, ['2024-03-03'], []],
    ['the date may be any day inside the period', carry, committed, '2024-03-02', true, ['2024-03-02', '2024-03-03'], []],
    ['later runs that failed or are pending are not committed', carry, [...committed, day('04', 'Failed'), day('05')], '2024-03-02', true, ['2024-03-02', '2024-03-03'], []],
    [
      'windows whose runs history pruned are between committed ones, so they are rerun too',
      carry,
      [day('01', 'Succeeded'), day('05', 'Succeeded')],
      '2024-03-02',
      true,
      ['2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05'],
      [],
    ],
    ['earlier committed windows are never rerun', carry, committed, '2024-03-03', false, ['2024-03-03'], []],
    ['no runs at all: the window alone', carry, [], '2024-03-02', true, ['2024-03-02'], []],
    ['without carryForward later windows do not depend on it', plain, committed, '2024-03-01', false, ['2024-03-01'], []],
  ];

  it.each(cases)('%s', (_name, job, runs, date, cascade, want, kept) => {
    const plan = planRerun(job, runs, date, cascade);
    expect(dates(plan.windows)).toEqual(want);
    expect(dates(plan.keptLater)).toEqual(kept);
  });

  it('compares window starts as instants, whatever their offsets', () => {
    // 2024-03-02 00:00 in Berlin written in UTC: still the window after 2024-03-01.
    const runs = [{ window: { start: '2024-03-01T23:00:00Z', end: '' }, phase: 'Succeeded' }];
    expect(dates(planRerun(carry, runs, '2024-03-01', true).windows)).toEqual(['2024-03-01', '2024-03-02']);
  });

  it('refuses --cascade on a job without carryForward, saying why and what to do', () => {
    expect(() => planRerun(plain, committed, '2024-03-01', true)).toThrow(RerunPlanError);
    expect(() => planRerun(plain, committed, '2024-03-01', true)).toThrow(/has no spec\.carryForward.*rerun without --cascade/);
  });

  it('refuses a date that is not a date', () => {
    expect(() => planRerun(carry, [], '03/01/2024', false)).toThrow(/not a valid date; use YYYY-MM-DD/);
  });
});
