import { describe, expect, it } from 'vitest';
import { brokenCascades, CASCADE_AFTER_ANNOTATION, runsToStart } from './admission.ts';
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

  describe('in window order (carryForward)', () => {
    const day = (d: number) => ({ start: `2024-03-0${d}T00:00:00+00:00`, end: `2024-03-0${d + 1}T00:00:00+00:00` });
    const forDay = (name: string, d: number, minute: number, extra: Parameters<typeof reconRun>[1] = {}): ReconRun => {
      const r = reconRun(name, { created: at(minute), trigger: 'Backfill', ...extra });
      return { ...r, spec: { ...r.spec, window: day(d) } };
    };
    const ordered: [string, ReconRun[], string[]][] = [
      ['nothing pending', [], []],
      ['one at a time, earliest window first, whatever the creation order', [forDay('d3', 3, 1), forDay('d1', 1, 3), forDay('d2', 2, 2)], ['d1']],
      ['waits while any run of the job is under way', [forDay('d1', 1, 0, { phase: 'Running', jobName: 'd1' }), forDay('d2', 2, 1)], []],
      ['waits while a run whose Job exists is still Pending', [forDay('d1', 1, 0, { phase: 'Pending', jobName: 'd1' }), forDay('d2', 2, 1)], []],
      ['starts the next window once the earlier one finished', [forDay('d1', 1, 0, { phase: 'Succeeded', jobName: 'd1' }), forDay('d3', 3, 2), forDay('d2', 2, 1)], ['d2']],
      ['a failed earlier window does not hold the later ones (the runner names the gap)', [forDay('d1', 1, 0, { phase: 'Failed', jobName: 'd1' }), forDay('d2', 2, 1)], ['d2']],
      ['a rerun of an earlier window goes before later pending windows', [forDay('d2', 2, 1), forDay('d3', 3, 2), forDay('d1-rerun', 1, 5)], ['d1-rerun']],
      ['two runs of one window: the older first', [forDay('b', 1, 2), forDay('a', 1, 3)], ['b']],
      ['a live Scheduled run blocks, but is never started', [reconRun('orders-28400000', { trigger: 'Scheduled', phase: 'Running' }), forDay('d1', 1, 1)], []],
    ];
    it.each(ordered)('%s', (_name, runs, want) => {
      expect(names(runsToStart(runs, 5, new Set(), { inWindowOrder: true }))).toEqual(want);
    });

    it('compares window starts as instants, not text', () => {
      const early = forDay('early', 2, 1);
      const late = forDay('late', 1, 0);
      // 08:00 at +14:00 is 18:00 the day before in UTC: earlier as an instant, later as text.
      early.spec.window = { start: '2024-03-01T08:00:00+14:00', end: '2024-03-02T08:00:00+14:00' };
      late.spec.window = { start: '2024-03-01T00:00:00+00:00', end: '2024-03-02T00:00:00+00:00' };
      expect(names(runsToStart([late, early], 5, new Set(), { inWindowOrder: true }))).toEqual(['early']);
    });
  });

  describe('a cascade (rerun --cascade)', () => {
    const link = (run: ReconRun, after: string, day: number): ReconRun => ({
      ...run,
      metadata: { ...run.metadata, annotations: { [CASCADE_AFTER_ANNOTATION]: after } },
      spec: { ...run.spec, window: { start: `2024-03-0${day}T00:00:00+00:00`, end: `2024-03-0${day + 1}T00:00:00+00:00` } },
    });
    const first = (phase?: 'Running' | 'Succeeded' | 'Failed', message?: string): ReconRun => {
      const r = reconRun('d1', { created: at(1), ...(phase ? { phase } : {}), ...(phase === 'Running' ? { jobName: 'd1' } : {}) });
      return { ...r, spec: { ...r.spec, window: { start: '2024-03-01T00:00:00+00:00', end: '2024-03-02T00:00:00+00:00' } }, ...(message ? { status: { ...r.status, message } } : {}) };
    };
    const d2 = link(pending('d2', 1), 'd1', 2);
    const d3 = link(pending('d3', 1), 'd2', 3);

    it('starts a run only after the run before it in the cascade Succeeded', () => {
      expect(names(runsToStart([first(), d2, d3], 5, new Set(), { inWindowOrder: true }))).toEqual(['d1']);
      expect(names(runsToStart([first('Running'), d2, d3], 5, new Set([runJobName('d1')]), { inWindowOrder: true }))).toEqual([]);
      expect(names(runsToStart([first('Succeeded'), d2, d3], 5, new Set(), { inWindowOrder: true }))).toEqual(['d2']);
      // Even with parallel slots, never before its predecessor.
      expect(names(runsToStart([first('Running'), d2], 5, new Set([runJobName('d1')])))).toEqual([]);
    });

    it('a gone predecessor (deleted, pruned) blocks nothing', () => {
      expect(names(runsToStart([d2], 5, new Set(), { inWindowOrder: true }))).toEqual(['d2']);
      expect(brokenCascades([d2])).toEqual([]);
    });

    it('after a failure, every later run of the cascade is failed, naming the run that failed', () => {
      const runs = [first('Failed', 'stage "load" failed: no such file'), d2, d3];
      expect(names(runsToStart(runs, 5, new Set(), { inWindowOrder: true }))).toEqual([]);
      const broken = brokenCascades(runs);
      expect(broken.map((b) => b.run.metadata.name)).toEqual(['d2', 'd3']);
      for (const b of broken) expect(b.message).toBe('not run: the cascade stopped at reconrun/d1 (window 2024-03-01T00:00:00+00:00), which failed; once that is fixed, rerun from its window with --cascade');
    });

    it('a run failed as part of a broken cascade points further up to the real failure', () => {
      const failedD2 = { ...d2, status: { phase: 'Failed' as const, message: 'not run: the cascade stopped at reconrun/d1 ...' } };
      const broken = brokenCascades([first('Failed', 'boom'), failedD2, d3]);
      expect(broken.map((b) => [b.run.metadata.name, b.message.includes('reconrun/d1 ')])).toEqual([['d3', true]]);
    });

    it('nothing is broken while the chain is running or succeeded', () => {
      expect(brokenCascades([first('Running'), d2, d3])).toEqual([]);
      expect(brokenCascades([first('Succeeded'), d2, d3])).toEqual([]);
    });
  });
});
