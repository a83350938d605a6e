// A real MariaDB server on 127.0.0.1 in a temp directory, for mysql:// sources. Debian's
// mariadb-server package (scripts/install-test-services.sh). Under root it runs with
// --user=root (its files are in a private temp dir); fixtures go through the admin socket.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, run, stopChild, waitForPort } from './net.ts';

export interface MariadbTestServer {
  port: number;
  /** PEM of the server certificate when started with tls. */
  caPem: string | undefined;
  /** Runs SQL as root over the socket (fixtures). */
  sql(text: string, params?: unknown[]): Promise<unknown>;
  /** A user with a random password allowed to read database `db`; returns its URL. */
  createUser(name: string, db: string): Promise<{ url: string; password: string }>;
  stop(): Promise<void>;
}

const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';

export async function startMariadb(opts: { tls?: boolean } = {}): Promise<MariadbTestServer> {
  await access(MARIADBD).catch(() => {
    throw new Error(`${MARIADBD} not found; install Debian's mariadb-server (scripts/install-test-services.sh)`);
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'raas-mariadb-'));
  const user = process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'root');
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const data = path.join(dir, 'data');
    const socket = path.join(dir, 'mysqld.sock');
    await run(INSTALL_DB, ['--no-defaults', `--datadir=${data}`, `--user=${user}`, '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve'], { env: { ...process.env, HOME: dir } });
    const tlsArgs: string[] = [];
    let caPem: string | undefined;
    if (opts.tls) {
      const cert = path.join(dir, 'server.crt');
      const key = path.join(dir, 'server.key');
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
      caPem = await readFile(cert, 'utf8');
      tlsArgs.push(`--ssl-cert=${cert}`, `--ssl-key=${key}`, `--ssl-ca=${cert}`);
    }
    const port = await freePort();
    let output = '';
    const proc = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--user=${user}`,
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=48M',
        '--innodb-flush-log-at-trx-commit=0',
        '--max-connections=30',
        ...tlsArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    await waitForPort(port, proc, 60_000, () => output);
    const { default: mysql } = await import('mysql2/promise');
    const sql = async (text: string, params: unknown[] = []) => {
      const c = await mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
      try {
        return (await c.query(text, params))[0];
      } finally {
        await c.end();
      }
    };
    await sql('SELECT 1');
    return {
      port,
      caPem,
      sql,
      createUser: async (name, db) => {
        const password = `pw-${randomBytes(10).toString('hex')}`;
        await sql(`CREATE USER '${name}'@'%' IDENTIFIED BY '${password}'; GRANT SELECT ON \`${db}\`.* TO '${name}'@'%'`);
        return { url: `mysql://${name}:${password}@127.0.0.1:${port}/${db}`, password };
      },
      stop: async () => {
        await stopChild(proc, 20_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
