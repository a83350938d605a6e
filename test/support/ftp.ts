// A real vsftpd on 127.0.0.1 for ftp:// and ftps:// sources and uploads: a throwaway OS user
// with a random password, files in a temp directory owned by that user, passive ports on
// loopback, and for FTPS a self-signed certificate for 127.0.0.1 (its PEM is the CA the
// client trusts). Needs root (vsftpd authenticates local users through PAM) and Debian's
// vsftpd package (scripts/install-test-services.sh).
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestUser, freePort, run, stopChild, waitForPort, type TestUser } from './net.ts';

export interface FtpTestServer {
  port: number;
  user: string;
  password: string;
  /** PEM of the self-signed server certificate (FTPS only). */
  caPem: string | undefined;
  root: string;
  /** ftp(s)://user@127.0.0.1:port/<root>/<rel> */
  uri(rel: string): string;
  put(rel: string, content: string | Buffer, mode?: number): Promise<void>;
  stop(): Promise<void>;
}

const VSFTPD = '/usr/sbin/vsftpd';

export async function startFtpServer(opts: { tls: boolean }): Promise<FtpTestServer> {
  await readFile(VSFTPD).catch(() => {
    throw new Error(`${VSFTPD} not found; install Debian's vsftpd (scripts/install-test-services.sh)`);
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'raas-vsftpd-'));
  await chmod(dir, 0o755);
  let user: TestUser | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const root = path.join(dir, 'home');
    await mkdir(root);
    const empty = path.join(dir, 'empty');
    await mkdir(empty, { mode: 0o555 });
    user = await createTestUser('raas-ftp-', root);
    await chown(root, user.uid, user.gid);
    let caPem: string | undefined;
    const tlsLines: string[] = [];
    if (opts.tls) {
      const cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
      caPem = await readFile(cert, 'utf8');
      tlsLines.push('ssl_enable=YES', `rsa_cert_file=${cert}`, `rsa_private_key_file=${key}`, 'force_local_logins_ssl=YES', 'force_local_data_ssl=YES', 'require_ssl_reuse=NO', 'ssl_ciphers=HIGH');
    }
    const port = await freePort();
    // A random passive range: parallel test files each start their own server.
    const pasvMin = randomInt(40_000, 59_000);
    await writeFile(
      path.join(dir, 'vsftpd.conf'),
      [
        'listen=YES',
        'listen_ipv6=NO',
        'listen_address=127.0.0.1',
        `listen_port=${port}`,
        'background=NO',
        'anonymous_enable=NO',
        'local_enable=YES',
        'write_enable=YES',
        'local_umask=077',
        'pasv_enable=YES',
        'pasv_address=127.0.0.1',
        `pasv_min_port=${pasvMin}`,
        `pasv_max_port=${pasvMin + 30}`,
        `secure_chroot_dir=${empty}`,
        'pam_service_name=vsftpd',
        'seccomp_sandbox=NO',
        'isolate=NO',
        'isolate_network=NO',
        'userlist_enable=NO',
        'xferlog_enable=NO',
        `vsftpd_log_file=${path.join(dir, 'vsftpd.log')}`,
        ...tlsLines,
        '',
      ].join('\n'),
    );
    let output = '';
    const proc = spawn(VSFTPD, [path.join(dir, 'vsftpd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(port, proc, 15_000, () => output);
    const u = user;
    const scheme = opts.tls ? 'ftps' : 'ftp';
    return {
      port,
      user: u.name,
      password: u.password,
      caPem,
      root,
      uri: (rel) => `${scheme}://${u.name}@127.0.0.1:${port}${path.posix.join(root, rel)}`,
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
