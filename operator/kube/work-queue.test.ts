import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.ts';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('WorkQueue', () => {
  it('coalesces repeated adds of a queued key', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      if (k === 'block') await gate;
      seen.push(k);
    }, { workers: 1 });
    q.start();
    q.add('block');
    await until(() => q.depth === 0);
    q.add('a');
    q.add('a');
    q.add('a');
    release();
    await q.idle();
    expect(seen).toEqual(['block', 'a']);
    await q.stop();
  });

  it('never runs one key twice at once, and re-runs it when added during processing', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const q = new WorkQueue(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      active--;
    }, { workers: 4 });
    q.start();
    q.add('k');
    await until(() => runs === 1);
    q.add('k');
    q.add('k');
    await q.idle();
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
    await q.stop();
  });

  it('retries failures with growing delays, then succeeds', async () => {
    const times: number[] = [];
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('boom');
      },
      { workers: 1, baseDelayMs: 10, onError: (_k, _e, attempt) => errors.push(attempt) },
    );
    q.start();
    q.add('k');
    await until(() => times.length === 4);
    await q.idle();
    expect(errors).toEqual([1, 2, 3]);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[2]!).toBeGreaterThanOrEqual(35); // 10, 20, 40 ms
    await q.stop();
  });

  it('processes different keys in parallel', async () => {
    let active = 0;
    let maxActive = 0;
    const q = new WorkQueue(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 30));
      active--;
    }, { workers: 3 });
    q.start();
    for (const k of ['a', 'b', 'c']) q.add(k);
    await q.idle();
    expect(maxActive).toBe(3);
    await q.stop();
  });

  it('a sooner delayed add replaces a later one', async () => {
    const seen: number[] = [];
    const q = new WorkQueue(async () => {
      seen.push(Date.now());
    }, { workers: 1 });
    q.start();
    const t0 = Date.now();
    q.add('k', 5_000);
    q.add('k', 20);
    await until(() => seen.length === 1, 2_000);
    expect(seen[0]! - t0).toBeLessThan(1_000);
    await q.idle();
    await q.stop();
  });
});
