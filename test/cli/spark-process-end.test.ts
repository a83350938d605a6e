// `raas run --engine spark` ends with nothing of Spark left running: the CLI waits for its
// pyspark driver to stop Spark (on Kubernetes, the stop deletes the executor pods) and its
// JVM, after a completed run and after a failed one. The driver and JVM processes are found
// in /proc by a marker in their environment while the run is under way, then must be gone
// the moment the CLI has exited. Needs pyspark and Java (scripts/install-spark.sh); skips
// without them, fails under CI=true.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineReady } from '../support/engines.ts';
import { makeTempDir, writeFiles } from '../support/recon-fixture.ts';
import { running, runWatching, SMALL_INPUTS } from '../support/spark-processes.ts';

let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('raas-spark-end-');
  await writeFiles(dir, SMALL_INPUTS);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('raas run --engine spark leaves no Spark process behind', () => {
  it.for<[string, Record<string, unknown>, number]>([
    ['a completed run', { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] }, 0],
    // Fails on Spark's analyser, after the driver and its JVM have started.
    ['a failed run', { left: { uri: 'l.csv', query: 'SELECT id, no_such_column AS amount FROM source' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] }, 2],
  ])('after %s the driver and its JVM are gone when the CLI exits', { timeout: 360_000 }, async ([, spec, exitCode], ctx) => {
    await engineReady('spark', ctx);
    const run = await runWatching(dir, spec);
    expect(run.code, run.stderr).toBe(exitCode);
    // Both were there during the run (so the check below is about them)...
    expect([...new Set(run.seen.map((p) => p.role))].sort(), run.stderr).toEqual(['driver', 'jvm']);
    // ...and neither outlives the CLI, nor is anything else with the marker left.
    for (const p of run.seen) expect(await running(p.pid), `${p.role} pid ${p.pid}`).toBe(false);
    expect(run.left).toEqual([]);
    expect(run.stderr).not.toMatch(/did not stop within/);
  });

  it('after SIGTERM in the middle of a run the driver and its JVM are gone when the CLI exits', { timeout: 360_000 }, async (ctx) => {
    await engineReady('spark', ctx);
    const run = await runWatching(dir, { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] }, { sigtermOnceStarted: true });
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toMatch(/\[raas\] load {5}Spark/);
    expect(run.stderr).not.toMatch(/\[raas\] done/);
    expect([...new Set(run.seen.map((p) => p.role))].sort(), run.stderr).toEqual(['driver', 'jvm']);
    for (const p of run.seen) expect(await running(p.pid), `${p.role} pid ${p.pid}`).toBe(false);
    expect(run.left).toEqual([]);
  });
});
