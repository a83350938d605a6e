// `raas run --engine spark` as a child process, watched through /proc: the pyspark driver
// and Spark's JVMs it started are found by a marker in their environment while the run is
// under way, so a test can look at them (command line, mapped files) and check that none
// outlives the CLI.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFiles } from './recon-fixture.ts';
import { RAAS_BIN } from './run-cli.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

/** Two small CSV sides (keys 1-3 and 1, 2, 4; key 2 differs in amount): one of each outcome. */
export const SMALL_INPUTS = {
  'l.csv': csv('id,amount', '1,1.00', '2,2.00', '3,3.00'),
  'r.csv': csv('id,amount', '1,1.00', '2,2.50', '4,4.00'),
};

export interface SparkProcess {
  pid: number;
  role: 'driver' | 'jvm';
  /** The process's arguments, as /proc shows them. */
  cmdline: string[];
}

/**
 * The values `visit` returns for the processes in /proc it keeps (undefined skips one); a
 * process gone meanwhile, or another user's, is skipped.
 */
async function scanProc<T>(visit: (pid: number, read: (file: string) => Promise<string>) => Promise<T | undefined>): Promise<T[]> {
  const found: T[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const kept = await visit(Number(name), (file) => readFile(`/proc/${name}/${file}`, 'latin1'));
      if (kept !== undefined) found.push(kept);
    } catch {
      // gone meanwhile, or another user's process
    }
  }
  return found;
}

/** The files a process has mapped, as /proc/<pid>/maps names them. */
function mappedFiles(maps: string): Set<string> {
  return new Set(maps.split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter(Boolean));
}

/** The processes whose environment carries `marker`: the pyspark driver script and Spark's JVMs (its launcher's too). */
export function sparkProcesses(marker: string): Promise<SparkProcess[]> {
  return scanProc(async (pid, read): Promise<SparkProcess | undefined> => {
    if (!(await read('environ')).includes(marker)) return undefined;
    const cmdline = (await read('cmdline')).split('\0');
    if (cmdline.some((a) => a.endsWith('spark_driver.py'))) return { pid, role: 'driver', cmdline };
    if (cmdline.includes('org.apache.spark.deploy.SparkSubmit')) return { pid, role: 'jvm', cmdline };
    return undefined;
  });
}

/** Alive and not a zombie (a zombie has exited; its parent has not reaped it yet). */
export async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export interface WatchedRun {
  code: number | null;
  stderr: string;
  /** The summary (--json). */
  stdout: string;
  /** Every Spark process seen during the run. */
  seen: SparkProcess[];
  /** Spark processes still there once the CLI has exited. */
  left: SparkProcess[];
  /** The files each JVM had mapped, by pid, as last seen while the run was under way. */
  mapped: Map<number, Set<string>>;
}

/** Runs `raas run --engine spark` on `spec` (files relative to `dir`, also its working directory) while watching /proc. */
export async function runWatching(dir: string, spec: Record<string, unknown>, opts: { sigtermOnceStarted?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<WatchedRun> {
  const marker = `RAAS_TEST_MARKER=${randomUUID()}`;
  const file = join(dir, `m-${randomUUID().slice(0, 8)}.yaml`);
  await writeFiles(dir, { [file.slice(dir.length + 1)]: stringify({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'spark-run' }, spec }) });
  const child = spawn(process.execPath, [RAAS_BIN, 'run', '-f', file, '--date', '2024-01-01', '--out', join(dir, `out-${randomUUID().slice(0, 8)}`), '--engine', 'spark', '--json'], {
    cwd: dir,
    env: { ...process.env, ...opts.env, RAAS_TEST_MARKER: marker.split('=')[1] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void ended.then(() => (done = true));
  const seen = new Map<number, SparkProcess>();
  const mapped = new Map<number, Set<string>>();
  const deadline = Date.now() + 300_000;
  let sigterm = opts.sigtermOnceStarted ?? false;
  while (!done) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`raas run did not finish within 300 s\n${stderr}`);
    }
    for (const p of await sparkProcesses(marker)) {
      seen.set(p.pid, p);
      if (p.role !== 'jvm') continue;
      const maps = await readFile(`/proc/${p.pid}/maps`, 'latin1').catch(() => undefined);
      if (maps) mapped.set(p.pid, mappedFiles(maps));
    }
    // A runner pod being deleted: SIGTERM once Spark is up and the run is under way.
    if (sigterm && /\[raas\] load {5}Spark/.test(stderr)) {
      sigterm = false;
      child.kill('SIGTERM');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const code = await ended;
  return { code, stderr, stdout, seen: [...seen.values()], left: await sparkProcesses(marker), mapped };
}

/**
 * Spark JVMs on this host, those in containers included, started with
 * `-XX:SharedArchiveFile=<archive>`, and whether each had the archive mapped when looked at.
 */
export function jvmsWithArchive(archive: string): Promise<Array<{ pid: number; mapped: boolean }>> {
  return scanProc(async (pid, read) => {
    const cmdline = (await read('cmdline')).split('\0');
    if (!cmdline.includes('org.apache.spark.deploy.SparkSubmit') || !cmdline.includes(`-XX:SharedArchiveFile=${archive}`)) return undefined;
    return { pid, mapped: mappedFiles(await read('maps')).has(archive) };
  });
}
