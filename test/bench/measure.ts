// Runs a command as a child process and measures its wall time and peak memory.
//
// Memory: every 50 ms the whole process tree under the child is walked through
// /proc/<pid>/task/<tid>/children and each process's VmHWM (the kernel's own resident
// high-water mark) is read. The peak reported is the largest sum of those marks seen;
// for a single process (the usual case: raas and the baselines run DuckDB in-process)
// that is the kernel's exact peak, not a sample that could miss a short spike. The
// last ≤50 ms before exit are not seen, which only matters if RSS rises while exiting.
//
// CPU: when /usr/bin/time exists the command runs under it, which reports the child's
// user+system CPU seconds from wait4(); for process trees whose children are never waited
// for (pyspark's JVM) the sum of the tree's /proc counters is used when it is larger. On a shared machine wall time swings with other
// people's work; CPU time barely does, so it is the steadier figure for ratios.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measured {
  wallMs: number;
  /** True when the command was killed for running past opts.timeoutMs. */
  timedOut?: boolean;
  peakRssBytes: number;
  /** User + system CPU of the command, when /usr/bin/time could tell. */
  cpuMs?: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const POLL_MS = 50;
const GNU_TIME = '/usr/bin/time';

function statusField(pid: number, field: 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    // The process exited between listing and reading: it no longer holds memory.
    return 0;
  }
}

/** User + system CPU (ms) a process has used so far, from /proc/<pid>/stat; 0 once it is gone. */
function cpuSoFar(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): utime is the
    // 14th field overall, stime the 15th, in clock ticks (100 per second on Linux).
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // Thread gone; its children are re-parented and seen through another thread or not at all.
    }
  }
  return out;
}

function treeOf(root: number): number[] {
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...childrenOf(pid));
  }
  return [...seen];
}

export async function measure(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const timeFile = join(tmpdir(), `raas-bench-time-${process.pid}-${Date.now()}`);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%U %S', '-o', timeFile, command, ...args]] : [command, args];
  const t0 = performance.now();
  // Its own process group, so a timeout can stop the whole tree (a JVM under pyspark too).
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.timeoutMs !== undefined });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  let timedOut = false;
  const killer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }, opts.timeoutMs);
  let peak = 0;
  // Last CPU time seen per process of the tree: GNU time counts only children that were
  // waited for, and a JVM that pyspark starts is not, so the tree's own counters are
  // summed too and the larger figure reported.
  const cpuByPid = new Map<number, number>();
  const sample = () => {
    // The time wrapper itself (a few MB) is not part of what is measured.
    const pids = treeOf(pid).filter((p) => !useTime || p !== pid);
    const sum = pids.reduce((acc, p) => acc + statusField(p, 'VmHWM'), 0);
    if (sum > peak) peak = sum;
    for (const p of pids) cpuByPid.set(p, Math.max(cpuByPid.get(p) ?? 0, cpuSoFar(p)));
  };
  const timer = setInterval(sample, POLL_MS);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => stdout.push(b));
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const wallMs = performance.now() - t0;
  clearInterval(timer);
  if (killer) clearTimeout(killer);
  let cpuMs: number | undefined;
  if (useTime) {
    try {
      const [user, sys] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      if (Number.isFinite(user) && Number.isFinite(sys)) cpuMs = (user! + sys!) * 1000;
    } catch {
      // No report (the wrapper was killed): CPU is simply not shown.
    }
    await rm(timeFile, { force: true });
  }
  const treeCpuMs = [...cpuByPid.values()].reduce((a, b) => a + b, 0);
  if (cpuMs !== undefined && treeCpuMs > cpuMs) cpuMs = treeCpuMs;
  return {
    wallMs,
    ...(timedOut ? { timedOut } : {}),
    peakRssBytes: peak,
    ...(cpuMs !== undefined ? { cpuMs } : {}),
    exitCode,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
  };
}
