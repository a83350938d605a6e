// `npx raas sandbox` stops everything it started when the user presses Ctrl-C, and when npm
// itself is killed. A terminal's Ctrl-C sends SIGINT to the whole foreground process group:
// npm, its shell, the sandbox, and (unless they have their own group) etcd and the API
// server, which then die before the sandbox's orderly shutdown, leaving it waiting on a
// dead API server. SIGTERM to npm reaches only npm's shell, never the sandbox.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findKubeBinaries } from '../../operator/sandbox/binaries.ts';
import { repoRoot } from '../support/helm.ts';
import { alive } from '../support/processes.ts';
import { requireService } from '../support/require-service.ts';
import { waitFor } from '../support/cluster.ts';

/** Every live descendant of `pid`, read from /proc (ppid chains). */
function descendants(pid: number): Array<{ pid: number; comm: string }> {
  const children = new Map<number, Array<{ pid: number; comm: string }>>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...; comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push({ pid: Number(name), comm });
    children.set(ppid, list);
  }
  const out: Array<{ pid: number; comm: string }> = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  return out;
}

async function startThroughNpx(dir: string): Promise<{ npx: ChildProcess; started: Array<{ pid: number; comm: string }>; output: () => string }> {
  const kubeconfig = join(dir, 'kubeconfig');
  // Its own process group, as a shell gives a foreground job; the test plays the terminal.
  const npx = spawn('npx', ['raas', 'sandbox', '--kubeconfig', kubeconfig, '--log-level', 'warn'], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  npx.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  npx.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  await waitFor('the sandbox to be ready', () => existsSync(kubeconfig) || (npx.exitCode !== null && new Error(text)), 180_000);
  const started = descendants(npx.pid!);
  return { npx, started, output: () => text };
}

describe('raas sandbox through npx stops what it started', { timeout: 400_000 }, () => {
  it('on Ctrl-C (SIGINT to the whole process group): the control plane is stopped by the sandbox, not killed under it', async (ctx) => {
    await requireService('the Kubernetes control plane (scripts/install-kube.sh)', async () => findKubeBinaries(), ctx);
    const dir = await mkdtemp(join(tmpdir(), 'raas-sandbox-sigint-'));
    const { npx, started, output } = await startThroughNpx(dir);
    try {
      expect(started.map((p) => p.comm)).toEqual(expect.arrayContaining(['etcd', 'kube-apiserver']));
      process.kill(-npx.pid!, 'SIGINT');
      // Deadline, not a speed target: without its own process group the API server dies with
      // the group and the sandbox's shutdown waits a minute on requests to it.
      await waitFor('npx and everything the sandbox started to exit', () => !alive(npx.pid!) && started.every((p) => !alive(p.pid)), 30_000);
      expect(output()).toMatch(/stop with Ctrl-C/);
      expect(output()).not.toMatch(/raas: /);
    } finally {
      for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when npm is killed (SIGTERM to npm only): the sandbox notices it was left alone and stops', async (ctx) => {
    await requireService('the Kubernetes control plane (scripts/install-kube.sh)', async () => findKubeBinaries(), ctx);
    const dir = await mkdtemp(join(tmpdir(), 'raas-sandbox-sigterm-'));
    const { npx, started } = await startThroughNpx(dir);
    try {
      const sandbox = started.find((p) => p.comm === 'node' && descendants(p.pid).some((c) => c.comm === 'kube-apiserver'));
      expect(sandbox).toBeDefined();
      process.kill(npx.pid!, 'SIGTERM');
      await waitFor('the sandbox and everything it started to exit', () => started.every((p) => !alive(p.pid)), 30_000);
    } finally {
      for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
