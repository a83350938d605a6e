// scripts/install-kube.sh stops the etcd that Debian's etcd-server package starts on
// install, through scripts/stop-package-etcd.sh. These tests run that step against real
// processes named etcd (copies of `sleep`, so nothing listens): the process the service's
// pid file names stops; a developer's own etcd, same name, keeps running.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/recon-fixture.ts';
import { requireService } from '../support/require-service.ts';

const ROOT = join(import.meta.dirname, '../..');
const STOP = join(ROOT, 'scripts/stop-package-etcd.sh');

const started: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A harmless process whose name is etcd: `sleep` copied to <dir>/<folder>/etcd. */
async function etcdNamed(dir: string, folder: string): Promise<{ child: ChildProcess; binary: string; exited: Promise<void> }> {
  const binary = join(dir, folder, 'etcd');
  await mkdir(join(dir, folder), { recursive: true });
  await copyFile(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), binary);
  execFileSync('chmod', ['+x', binary]);
  const child = spawn(binary, ['600'], { stdio: 'ignore' });
  started.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  // The kernel's name for it is etcd, the name `pkill -x etcd` matches.
  expect((await readFile(`/proc/${child.pid}/comm`, 'utf8')).trim()).toBe('etcd');
  return { child, binary, exited };
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/**
 * Whether a process was still alive after the stop step, without waiting on a clock: end it
 * with SIGKILL now; a process the step had already signalled (TERM) reports that signal instead.
 */
async function survived(p: { child: ChildProcess; exited: Promise<void> }): Promise<boolean> {
  p.child.kill('SIGKILL');
  await p.exited;
  return p.child.signalCode === 'SIGKILL';
}

async function world(ctx: Parameters<typeof requireService>[2]): Promise<string> {
  await requireService('start-stop-daemon (Debian dpkg)', async () => execFileSync('sh', ['-c', 'command -v start-stop-daemon'], { encoding: 'utf8' }), ctx);
  const dir = await makeTempDir('raas-etcd-');
  dirs.push(dir);
  return dir;
}

describe('install-kube stops only the etcd service the package started', () => {
  it("stops the process the service's pid file names, and leaves another process named etcd running", async (ctx) => {
    const dir = await world(ctx);
    const theirs = await etcdNamed(dir, 'developer');
    const service = await etcdNamed(dir, 'package');
    const pidfile = join(dir, 'etcd.pid');
    await writeFile(pidfile, `${service.child.pid}\n`);
    execFileSync(STOP, [pidfile, service.binary], { stdio: 'pipe' });
    // The script returns once the service's process is gone (start-stop-daemon --retry waits).
    await service.exited;
    expect(running(service.child)).toBe(false);
    expect(await survived(theirs)).toBe(true);
  });

  it('leaves alone a process the pid file names when it runs another binary (the pid was reused)', async (ctx) => {
    const dir = await world(ctx);
    const theirs = await etcdNamed(dir, 'developer');
    // The package's binary is installed; its service is no longer running, and its pid went to another process.
    const service = await etcdNamed(dir, 'package');
    service.child.kill('SIGKILL');
    await service.exited;
    const pidfile = join(dir, 'etcd.pid');
    await writeFile(pidfile, `${theirs.child.pid}\n`);
    execFileSync(STOP, [pidfile, service.binary], { stdio: 'pipe' });
    expect(await survived(theirs)).toBe(true);
  });

  it('install-kube.sh stops the package etcd through that step, never by name', async () => {
    const script = await readFile(join(ROOT, 'scripts/install-kube.sh'), 'utf8');
    expect(script).toContain('"$ROOT/scripts/stop-package-etcd.sh"');
    expect(script).not.toMatch(/\b(pkill|killall|pgrep)\b/);
  });
});
