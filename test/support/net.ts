// Small helpers for tests that start real servers on loopback: a free port, waiting for a
// port to accept connections (with a deadline, watching the child for an early exit), and
// system users for servers that authenticate against the OS (sshd, vsftpd).
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** The same free-port helper the control plane uses. */
export { freePort } from '../../operator/sandbox/control-plane.ts';

/** Resolves once 127.0.0.1:port accepts a connection; rejects on the deadline or if `child` exits. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening: ${output().trim().slice(-600)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not listening on 127.0.0.1:${port} after ${timeoutMs} ms: ${output().trim().slice(-600)}`);
    await new Promise((r) => setTimeout(r, Math.min(50 * (attempt + 1), 250)));
  }
}

export async function stopChild(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export interface TestUser {
  name: string;
  password: string;
  uid: number;
  gid: number;
  remove(): Promise<void>;
}

/**
 * A throwaway OS user with a random password (one per server start, so parallel test
 * files never share one). Needs root; sshd and vsftpd check passwords against the system.
 */
export async function createTestUser(prefix: string, home: string): Promise<TestUser> {
  if (process.getuid?.() !== 0) throw new Error('creating a test user needs root');
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  // Test files run in parallel and useradd takes a lock on /etc/passwd: retry while it is held.
  for (let attempt = 0; ; attempt++) {
    try {
      await run('useradd', ['-M', '-d', home, '-s', '/bin/sh', name]);
      break;
    } catch (err) {
      if (attempt >= 40 || !/lock/i.test(String((err as { stderr?: unknown }).stderr ?? err))) throw err;
      await new Promise((r) => setTimeout(r, 50 + attempt * 25));
    }
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const child = execFile('chpasswd', (err, _out, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve()));
        child.stdin?.end(`${name}:${password}\n`);
      });
      break;
    } catch (err) {
      if (attempt >= 40 || !/lock/i.test(String((err as { stderr?: unknown }).stderr ?? err))) throw err;
      await new Promise((r) => setTimeout(r, 50 + attempt * 25));
    }
  }
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  const gid = Number((await run('id', ['-g', name])).stdout.trim());
  const remove = async (): Promise<void> => {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        await run('userdel', [name]);
        return;
      } catch (err) {
        if (!/lock/i.test(String((err as { stderr?: unknown }).stderr ?? err))) return;
        await new Promise((r) => setTimeout(r, 50 + attempt * 25));
      }
    }
  };
  return { name, password, uid, gid, remove };
}
