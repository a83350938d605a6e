import { describe, expect, it } from 'vitest';
import { runsToPrune } from './prune.ts';
import { reconRun } from '../../test/support/desired-fixtures.ts';
import type { ReconRun } from './types.ts';

const day = (n: number): string => `2024-01-${String(n).padStart(2, '0')}T03:00:00Z`;
const ok = (name: string, n: number): ReconRun => reconRun(name, { phase: 'Succeeded', created: day(n), completed: day(n + 1) });
const bad = (name: string, n: number): ReconRun => reconRun(name, { phase: 'Failed', created: day(n), completed: day(n + 1) });

describe('runsToPrune', () => {
  const cases: [string, ReconRun[], { successfulRuns?: number; failedRuns?: number } | undefined, string[]][] = [
    ['nothing to do', [], undefined, []],
    ['within limits', [ok('s1', 1), bad('f1', 2)], { successfulRuns: 1, failedRuns: 1 }, []],
    ['succeeded beyond the limit, oldest first', [ok('s3', 3), ok('s1', 1), ok('s2', 2), ok('s4', 4)], { successfulRuns: 2 }, ['s1', 's2']],
    ['failed beyond the limit', [bad('f1', 1), bad('f2', 2), bad('f3', 3)], { failedRuns: 1 }, ['f1', 'f2']],
    ['limits are separate', [ok('s1', 1), bad('f1', 2), ok('s2', 3), bad('f2', 4)], { successfulRuns: 1, failedRuns: 1 }, ['s1', 'f1']],
    ['a limit of 0 deletes every finished run of that phase', [ok('s1', 1), ok('s2', 2), bad('f1', 3)], { successfulRuns: 0 }, ['s1', 's2']],
    [
      'never Pending or Running runs, however old',
      [reconRun('p', { phase: 'Pending', created: day(1) }), reconRun('r', { phase: 'Running', created: day(1) }), reconRun('new', { created: day(1) }), ok('s1', 5)],
      { successfulRuns: 0, failedRuns: 0 },
      ['s1'],
    ],
    [
      'orders by completionTime, not creation',
      [reconRun('late', { phase: 'Succeeded', created: day(1), completed: day(9) }), reconRun('early', { phase: 'Succeeded', created: day(5), completed: day(6) }), ok('newest', 10)],
      { successfulRuns: 1 },
      ['early', 'late'],
    ],
    [
      'falls back to creationTimestamp without completionTime',
      [reconRun('a', { phase: 'Failed', created: day(3) }), reconRun('b', { phase: 'Failed', created: day(1) }), reconRun('c', { phase: 'Failed', created: day(2) })],
      { failedRuns: 1 },
      ['b', 'c'],
    ],
    [
      'keeps a run without any readable time, since its age is unknown',
      [reconRun('timeless', { phase: 'Succeeded' }), ok('s1', 1), ok('s2', 2)],
      { successfulRuns: 2 },
      ['s1'],
    ],
    [
      'orders equal times by name',
      [reconRun('b', { phase: 'Succeeded', completed: day(1) }), reconRun('a', { phase: 'Succeeded', completed: day(1) }), ok('c', 5)],
      { successfulRuns: 1 },
      ['a', 'b'],
    ],
    [
      'runs being deleted neither count nor come back',
      [reconRun('gone', { phase: 'Succeeded', completed: day(9), deleting: true }), ok('s1', 1), ok('s2', 2)],
      { successfulRuns: 1 },
      ['s1'],
    ],
    ['merges both phases oldest first', [bad('f1', 2), ok('s1', 1), bad('f2', 3), ok('s2', 4), ok('s3', 5)], { successfulRuns: 1, failedRuns: 0 }, ['s1', 'f1', 'f2', 's2']],
  ];

  it.each(cases)('%s', (_name, runs, history, want) => {
    expect(runsToPrune(runs, history)).toEqual(want);
  });

  it('defaults to 30 succeeded and 10 failed runs', () => {
    const runs = [
      ...Array.from({ length: 32 }, (_, i) => reconRun(`s${String(i).padStart(2, '0')}`, { phase: 'Succeeded', completed: new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString() })),
      ...Array.from({ length: 11 }, (_, i) => reconRun(`f${String(i).padStart(2, '0')}`, { phase: 'Failed', completed: new Date(Date.UTC(2024, 0, 1, 12) + i * 86_400_000).toISOString() })),
    ];
    expect(runsToPrune(runs)).toEqual(['s00', 'f00', 's01']);
  });

  it('accepts Date timestamps from the Kubernetes client', () => {
    const runs: ReconRun[] = [
      { ...reconRun('old'), metadata: { name: 'old', creationTimestamp: new Date(day(1)) }, status: { phase: 'Succeeded' } },
      { ...reconRun('new'), metadata: { name: 'new', creationTimestamp: new Date(day(2)) }, status: { phase: 'Succeeded' } },
    ];
    expect(runsToPrune(runs, { successfulRuns: 1 })).toEqual(['old']);
  });
});
