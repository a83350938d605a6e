// A real OpenSSH sshd with its internal SFTP subsystem on 127.0.0.1, for SFTP sources and
// uploads. Its user is a throwaway OS account with a random password and a key pair; its
// files live in a temp directory owned by that user. Needs root (sshd checks passwords
// against /etc/shadow) and Debian's openssh-server (scripts/install-test-services.sh).
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestUser, freePort, run, stopChild, waitForPort, type TestUser } from './net.ts';

export interface SftpTestServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** OpenSSH private key (PEM) whose public half is authorised for `user`. */
  privateKey: string;
  /** The known_hosts line for this server's host key. */
  knownHosts: string;
  /** The user's file area on the host (also its path on the server). */
  root: string;
  /** sftp://user@127.0.0.1:port/<root>/<rel> */
  uri(rel: string): string;
  /** Writes a file under root, owned by the user (mode 0o600 unless given). */
  put(rel: string, content: string | Buffer, mode?: number): Promise<void>;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

export async function startSftpServer(): Promise<SftpTestServer> {
  await readFile(SSHD).catch(() => {
    throw new Error(`${SSHD} not found; install Debian's openssh-server (scripts/install-test-services.sh)`);
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'raas-sshd-'));
  let user: TestUser | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    // The user must reach its home below this root-owned temp directory.
    await chmod(dir, 0o755);
    const root = path.join(dir, 'home');
    await mkdir(root);
    user = await createTestUser('raas-sftp-', root);
    await chown(root, user.uid, user.gid);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'user_key')]);
    await writeFile(path.join(dir, 'authorized_keys'), await readFile(path.join(dir, 'user_key.pub')));
    // Privilege separation directory; Debian creates it at boot, a fresh container has none.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const port = await freePort();
    await writeFile(
      path.join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(dir, 'host_key')}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin no',
        `AllowUsers ${user.name}`,
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    let output = '';
    const proc = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(port, proc, 15_000, () => output);
    const hostPub = (await readFile(path.join(dir, 'host_key.pub'), 'utf8')).trim().split(/\s+/);
    const knownHosts = `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`;
    const privateKey = await readFile(path.join(dir, 'user_key'), 'utf8');
    const u = user;
    return {
      host: '127.0.0.1',
      port,
      user: u.name,
      password: u.password,
      privateKey,
      knownHosts,
      root,
      uri: (rel) => `sftp://${u.name}@127.0.0.1:${port}${path.posix.join(root, rel)}`,
      put: async (rel, content, mode = 0o600) => {
        const file = path.join(root, rel);
        let d = root;
        for (const seg of path.dirname(rel).split('/').filter((s) => s && s !== '.')) {
          d = path.join(d, seg);
          await mkdir(d, { recursive: true });
          await chown(d, u.uid, u.gid);
        }
        await writeFile(file, content, { mode });
        await chown(file, u.uid, u.gid);
      },
      stop: async () => {
        await stopChild(proc);
        await u.remove();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    await user?.remove();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
