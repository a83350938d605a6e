// `raas run --engine spark` ends with nothing of Spark left running: the CLI waits for its
// pyspark driver to stop Spark (on Kubernetes, the stop deletes the executor pods) and its
// JVM, after a completed run and after a failed one. The driver and JVM processes are found
// in /proc by a marker in their environment while the run is under way, then must be gone
// the moment the CLI has exited. Needs pyspark and Java (scripts/install-spark.sh); skips
// without them, fails under CI=true.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { engineReady } from '../support/engines.ts';
import { makeTempDir, writeFiles } from '../support/recon-fixture.ts';
import { RAAS_BIN } from '../support/run-cli.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('raas-spark-end-');
  await writeFiles(dir, {
    'l.csv': csv('id,amount', '1,1.00', '2,2.00', '3,3.00'),
    'r.csv': csv('id,amount', '1,1.00', '2,2.50', '4,4.00'),
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface SparkProcess {
  pid: number;
  role: 'driver' | 'jvm';
}

/** The processes whose environment carries `marker`: the pyspark driver script and Spark's JVMs (its launcher's too). */
async function sparkProcesses(marker: string): Promise<SparkProcess[]> {
  const found: SparkProcess[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = await readFile(`/proc/${name}/environ`, 'latin1');
      if (!environ.includes(marker)) continue;
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'latin1')).split('\0');
      if (cmdline.some((a) => a.endsWith('spark_driver.py'))) found.push({ pid: Number(name), role: 'driver' });
      else if (cmdline.includes('org.apache.spark.deploy.SparkSubmit')) found.push({ pid: Number(name), role: 'jvm' });
    } catch {
      // gone meanwhile, or another user's process
    }
  }
  return found;
}

/** Alive and not a zombie (a zombie has exited; its parent has not reaped it yet). */
async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Runs the CLI while watching /proc: every Spark process seen during the run, and how the run ended. */
async function runWatching(spec: Record<string, unknown>, opts: { sigtermOnceStarted?: boolean } = {}): Promise<{ code: number | null; stderr: string; seen: SparkProcess[]; left: SparkProcess[] }> {
  const marker = `RAAS_TEST_MARKER=${randomUUID()}`;
  const file = join(dir, `m-${randomUUID().slice(0, 8)}.yaml`);
  await writeFiles(dir, { [file.slice(dir.length + 1)]: stringify({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'spark-end' }, spec }) });
  const child = spawn(process.execPath, [RAAS_BIN, 'run', '-f', file, '--date', '2024-01-01', '--out', join(dir, `out-${randomUUID().slice(0, 8)}`), '--engine', 'spark'], {
    env: { ...process.env, RAAS_TEST_MARKER: marker.split('=')[1] },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void ended.then(() => (done = true));
  const seen = new Map<number, SparkProcess>();
  const deadline = Date.now() + 300_000;
  while (!done) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`raas run did not finish within 300 s\n${stderr}`);
    }
    for (const p of await sparkProcesses(marker)) seen.set(p.pid, p);
    // A runner pod being deleted: SIGTERM once Spark is up and the run is under way.
    if (opts.sigtermOnceStarted && /\[raas\] load {5}Spark/.test(stderr)) {
      opts.sigtermOnceStarted = false;
      child.kill('SIGTERM');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const code = await ended;
  return { code, stderr, seen: [...seen.values()], left: await sparkProcesses(marker) };
}


describe('raas run --engine spark leaves no Spark process behind', () => {
  it.for<[string, Record<string, unknown>, number]>([
    ['a completed run', { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] }, 0],
    // Fails on Spark's analyser, after the driver and its JVM have started.
    ['a failed run', { left: { uri: 'l.csv', query: 'SELECT id, no_such_column AS amount FROM source' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] }, 2],
  ])('after %s the driver and its JVM are gone when the CLI exits', { timeout: 360_000 }, async ([, spec, exitCode], ctx) => {
    await engineReady('spark', ctx);
    const run = await runWatching(spec);
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
    const run = await runWatching({ left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] }, { sigtermOnceStarted: true });
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toMatch(/\[raas\] load {5}Spark/);
    expect(run.stderr).not.toMatch(/\[raas\] done/);
    expect([...new Set(run.seen.map((p) => p.role))].sort(), run.stderr).toEqual(['driver', 'jvm']);
    for (const p of run.seen) expect(await running(p.pid), `${p.role} pid ${p.pid}`).toBe(false);
    expect(run.left).toEqual([]);
  });
});
