// `raas sandbox --node containerd` stops everything it started when the user presses Ctrl-C,
// started through `npx` and through `node bin/raas.js`: the control plane, the S3 server,
// containerd, kubelet, kube-scheduler, and what containerd started itself, the runc shims
// and the pods' processes below them. The shims are no descendants of the sandbox (each
// starts in its own session and is handed to init), so they are found by the containerd
// socket of the sandbox's node on their command lines.
//
// The time from SIGINT until the last process is gone is printed, not asserted (speed
// targets belong in benchmarks); the wait has a generous deadline.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findKubeBinaries } from '../../operator/sandbox/binaries.ts';
import { findNodeBinaries } from '../../operator/sandbox/real-node.ts';
import { findHelmBinary } from '../../operator/sandbox/real-node-sandbox.ts';
import { repoRoot } from '../support/helm.ts';
import { alive } from '../support/processes.ts';
import { requireService } from '../support/require-service.ts';
import { waitFor } from '../support/cluster.ts';

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses: split at the last ')'.
      const close = stat.lastIndexOf(')');
      out.push({
        pid: Number(name),
        ppid: Number(stat.slice(close + 2).split(' ')[1]),
        comm: stat.slice(stat.indexOf('(') + 1, close),
        cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' '),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `root` and every process below it, plus the shims serving its nodes' containerd sockets and everything below those. */
function startedBy(root: number): ProcInfo[] {
  const all = processes();
  const set = new Set([root]);
  const sockets = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (set.has(p.pid)) {
        const config = / --config (\S+)\/containerd\.toml/.exec(p.cmdline);
        const socket = p.comm === 'containerd' && config ? `${config[1]}/containerd.sock` : undefined;
        // Another pass once a socket is known: after the PID counter wraps, a shim can have
        // a lower PID than its containerd and was passed over before the socket was seen.
        if (socket && !sockets.has(socket)) {
          sockets.add(socket);
          grew = true;
        }
        continue;
      }
      if (set.has(p.ppid) || [...sockets].some((s) => p.cmdline.includes(` -address ${s}`))) {
        set.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => set.has(p.pid));
}

const NODE = 'the real node (root, containerd, runc, kubelet, helm: scripts/install-kube.sh, scripts/install-node.sh, scripts/install-helm.sh)';

describe('raas sandbox --node containerd stops what it started on Ctrl-C', { timeout: 1_500_000 }, () => {
  for (const via of ['npx', 'node'] as const) {
    it(`started through ${via}: SIGINT to the whole process group leaves no process it started`, async (ctx) => {
      await requireService(NODE, async () => {
        findKubeBinaries();
        findNodeBinaries();
        findHelmBinary();
      }, ctx);
      const dir = await mkdtemp(join(tmpdir(), `raas-sandbox-containerd-${via}-`));
      const kubeconfig = join(dir, 'kubeconfig');
      const args = ['sandbox', '--node', 'containerd', '--kubeconfig', kubeconfig];
      // Its own process group, as a shell gives a foreground job; the test plays the terminal.
      const child = via === 'npx'
        ? spawn('npx', ['raas', ...args], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, ['bin/raas.js', ...args], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.stderr.on('data', (c: Buffer) => (text += c.toString()));
      let started: ProcInfo[] = [];
      try {
        // The image is built (or reused) and the chart installed with --wait before the kubeconfig is written.
        await waitFor('the sandbox to be ready', () => existsSync(kubeconfig) || (child.exitCode !== null && new Error(text)), 1_200_000);
        expect(child.exitCode, text).toBeNull();
        started = startedBy(child.pid!);
        const comms = started.map((p) => p.comm);
        // On a miss, what was found and every shim on the machine (was it there, under another address?), with the sandbox's output.
        const line = (p: ProcInfo) => `${p.pid} ${p.ppid} ${p.comm} ${p.cmdline.slice(0, 240)}`;
        const shimsAnywhere = processes().filter((p) => p.comm.startsWith('containerd-shim'));
        const why = `found:\n${started.map(line).join('\n')}\nshims anywhere:\n${shimsAnywhere.map(line).join('\n') || '(none)'}\nsandbox output:\n${text}`;
        expect(comms, why).toEqual(expect.arrayContaining(['etcd', 'kube-apiserver', 'kube-controller', 'containerd', 'kubelet', 'kube-scheduler', 'containerd-shim']));
        // The chart's pods: two operator replicas and the web page, each a node process under a shim.
        const shims = new Set(started.filter((p) => p.comm.startsWith('containerd-shim')).map((p) => p.pid));
        expect(started.filter((p) => shims.has(p.ppid) && p.comm === 'node').length).toBeGreaterThanOrEqual(3);
        const nodeDirs = started.map((p) => / --config (\S+)\/containerd\.toml/.exec(p.cmdline)?.[1]).filter((d): d is string => !!d);
        const bridge = /pod range 10\.213\.(\d+)\.0\/24/.exec(text)?.[1];
        expect(bridge).toBeDefined();

        const t0 = performance.now();
        process.kill(-child.pid!, 'SIGINT');
        await waitFor('the sandbox and everything it started to exit', () => !alive(child.pid!) && started.every((p) => !alive(p.pid)), 300_000);
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        console.log(`raas sandbox --node containerd through ${via}: ${started.length} processes gone ${seconds} s after SIGINT`);
        expect(text).toMatch(/stop with Ctrl-C/);
        expect(text).not.toMatch(/raas: /);
        // What it made besides processes: its pod bridge, and mounts below its node's folder.
        expect(readdirSync('/sys/class/net')).not.toContain(`raasbr${bridge}`);
        expect(nodeDirs.length).toBeGreaterThan(0);
        expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => nodeDirs.some((d) => l.includes(`${d}/`)))).toEqual([]);
      } finally {
        if (alive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
        for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
