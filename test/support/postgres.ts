// A real PostgreSQL server on 127.0.0.1 in a temp directory, for postgres:// sources and
// the results catalog. initdb and postgres refuse to run as root, so under root they run
// as `nobody`. Binaries: PG_BIN, else /usr/lib/postgresql/<newest>/bin, else PATH (Debian's
// postgresql package; scripts/install-test-services.sh). Optional TLS with a self-signed
// certificate for 127.0.0.1.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, run, stopChild, waitForPort } from './net.ts';

export interface PostgresTestServer {
  port: number;
  /** Superuser connection URL (user raas_admin). */
  adminUrl: string;
  /** The PEM of the server certificate when started with tls. */
  caPem: string | undefined;
  /** Runs SQL as the superuser (for fixtures). */
  sql(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Creates a login role with a random password and returns its URL. */
  createUser(name: string, opts?: { grantAll?: boolean }): Promise<{ url: string; password: string }>;
  stop(): Promise<void>;
}

async function pgBin(): Promise<string> {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions.map(Number).filter(Number.isFinite).sort((a, b) => b - a)[0];
  if (newest !== undefined) return `/usr/lib/postgresql/${newest}/bin`;
  return '';
}

export async function startPostgres(opts: { tls?: boolean } = {}): Promise<PostgresTestServer> {
  const bin = await pgBin();
  const exe = (name: string) => (bin ? path.join(bin, name) : name);
  await access(exe('initdb')).catch(() => {
    throw new Error(`PostgreSQL's initdb not found (${exe('initdb')}); install Debian's postgresql (scripts/install-test-services.sh) or set PG_BIN`);
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'raas-pg-'));
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const data = path.join(dir, 'data');
    const adminPassword = randomBytes(12).toString('hex');
    await writeFile(path.join(dir, 'pw'), adminPassword);
    if (asRoot) {
      await chown(dir, 65534, 65534);
      await chown(path.join(dir, 'pw'), 65534, 65534);
    }
    await run(exe('initdb'), ['-D', data, '-U', 'raas_admin', '--auth=scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '-E', 'UTF8', '--locale=C', '--no-sync'], { ...ids, env: { ...process.env, HOME: dir } });
    let caPem: string | undefined;
    const extra: string[] = [];
    if (opts.tls) {
      const cert = path.join(dir, 'server.crt');
      const key = path.join(dir, 'server.key');
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
      await chmod(key, 0o600);
      if (asRoot) {
        await chown(key, 65534, 65534);
        await chown(cert, 65534, 65534);
      }
      caPem = await readFile(cert, 'utf8');
      extra.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
    }
    const port = await freePort();
    let output = '';
    const proc = spawn(
      exe('postgres'),
      ['-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', dir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=32MB', '-c', 'max_connections=30', ...extra],
      { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } },
    );
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    await waitForPort(port, proc, 30_000, () => output);
    const adminUrl = `postgres://raas_admin:${adminPassword}@127.0.0.1:${port}/postgres`;
    const { default: pg } = await import('pg');
    const sql = async (text: string, params: unknown[] = []) => {
      const c = new pg.Client({ connectionString: adminUrl, ssl: false });
      // The server may accept TCP a moment before it accepts logins ("starting up").
      for (let attempt = 0; ; attempt++) {
        try {
          await c.connect();
          break;
        } catch (err) {
          if (attempt > 50 || !/starting up/.test(String(err))) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      try {
        return (await c.query(text, params)).rows as Array<Record<string, unknown>>;
      } finally {
        await c.end();
      }
    };
    await sql('SELECT 1');
    return {
      port,
      adminUrl,
      caPem,
      sql,
      createUser: async (name, o = {}) => {
        const password = `pw-${randomBytes(10).toString('hex')}`;
        await sql(`CREATE ROLE "${name}" LOGIN PASSWORD '${password}'`);
        if (o.grantAll) await sql(`GRANT ALL ON SCHEMA public TO "${name}"; GRANT ALL ON ALL TABLES IN SCHEMA public TO "${name}"`);
        else await sql(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${name}"`);
        return { url: `postgres://${name}:${password}@127.0.0.1:${port}/postgres`, password };
      },
      stop: async () => {
        await stopChild(proc, 10_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
