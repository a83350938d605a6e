import { describe, expect, it } from 'vitest';
import { runsToStart } from './admission.ts';
import { runJobName } from './names.ts';
import { reconRun } from '../../test/support/desired-fixtures.ts';
import type { ReconRun } from './types.ts';

const at = (minute: number): string => `2024-01-01T00:${String(minute).padStart(2, '0')}:00Z`;
const pending = (name: string, minute: number): ReconRun => reconRun(name, { created: at(minute), trigger: 'Backfill' });
const names = (runs: ReconRun[]): string[] => runs.map((r) => r.metadata.name);

describe('runsToStart', () => {
  const cases: [string, ReconRun[], number | undefined, string[]][] = [
    ['nothing pending', [], undefined, []],
    ['starts up to the default of 2, oldest first', [pending('c', 3), pending('a', 1), pending('b', 2)], undefined, ['a', 'b']],
    ['respects a larger cap', [pending('c', 3), pending('a', 1), pending('b', 2)], 5, ['a', 'b', 'c']],
    ['orders equal creation times by name', [pending('b', 1), pending('a', 1), pending('c', 1)], 2, ['a', 'b']],
    ['counts Running runs', [reconRun('r', { phase: 'Running', jobName: 'r', created: at(0) }), pending('a', 1), pending('b', 2)], 2, ['a']],
    ['starts nothing when the cap is reached', [reconRun('r1', { phase: 'Running', jobName: 'r1' }), reconRun('r2', { phase: 'Running', jobName: 'r2' }), pending('a', 1)], 2, []],
    ['counts Pending runs whose Job exists (status.jobName)', [reconRun('p', { phase: 'Pending', jobName: 'p', created: at(0) }), pending('a', 1), pending('b', 2)], 2, ['a']],
    ['counts unfinished Scheduled runs, whose Jobs come from the CronJob', [reconRun('orders-28400000', { trigger: 'Scheduled', phase: 'Running' }), pending('a', 1), pending('b', 2)], 2, ['a']],
    ['never starts a Scheduled run', [reconRun('orders-28400000', { trigger: 'Scheduled', created: at(0) })], 5, []],
    ['ignores finished runs', [reconRun('s', { phase: 'Succeeded', jobName: 's' }), reconRun('f', { phase: 'Failed', jobName: 'f' }), pending('a', 1), pending('b', 2)], 2, ['a', 'b']],
    ['ignores runs being deleted', [reconRun('d', { phase: 'Running', jobName: 'd', deleting: true }), reconRun('e', { deleting: true }), pending('a', 1), pending('b', 2)], 2, ['a', 'b']],
    ['treats a run without phase as Pending', [reconRun('fresh', { created: at(1) })], 2, ['fresh']],
    ['sorts runs without a creation time last', [reconRun('timeless'), pending('a', 5)], 1, ['a']],
    ['never below 1, so runs are not stranded', [pending('a', 1)], 0, ['a']],
    [
      'counts more active runs than the cap as no slots, not negative',
      [reconRun('r1', { phase: 'Running' }), reconRun('r2', { phase: 'Running' }), reconRun('r3', { phase: 'Running' }), pending('a', 1)],
      2,
      [],
    ],
  ];

  it.each(cases)('%s', (_name, runs, max, want) => {
    expect(names(runsToStart(runs, max))).toEqual(want);
  });

  it('user-made Scheduled runs without a CronJob-created Job block nothing; a real one counts while its Job exists', () => {
    const fakes = [reconRun('fake-1', { trigger: 'Scheduled', phase: 'Pending', created: at(0) }), reconRun('fake-2', { trigger: 'Scheduled', phase: 'Pending', created: at(0) })];
    expect(names(runsToStart([...fakes, pending('a', 1), pending('b', 2)], 2))).toEqual(['a', 'b']);
    const real = reconRun('orders-28400000', { trigger: 'Scheduled', phase: 'Pending', created: at(0) });
    expect(names(runsToStart([real, ...fakes, pending('a', 1), pending('b', 2)], 2, new Set(['orders-28400000'])))).toEqual(['a']);
  });

  it('treats a run whose Job is in the cache as started, before its status says so', () => {
    const runs = [pending('a', 1), pending('b', 2), pending('c', 3)];
    expect(names(runsToStart(runs, 2, new Set([runJobName('a')])))).toEqual(['b']);
  });

  it('maps run names to Job names the way desiredRunJob does', () => {
    const long = `${'x'.repeat(70)}.y`;
    const runs = [pending(long, 1), pending('b', 2)];
    expect(names(runsToStart(runs, 1, new Set([runJobName(long)])))).toEqual([]);
    expect(names(runsToStart(runs, 2, new Set([runJobName(long)])))).toEqual(['b']);
  });
});
