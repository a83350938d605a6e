// The issue's "done when": examples/sources/reconjob.yaml, run by the real CLI against real
// servers, joins an S3 ledger with SFTP refunds, compares with an SFTP settlement file,
// uploads results to SFTP (summary.json last, renamed into place) and writes its summary
// and rows into a PostgreSQL catalog, idempotently. Failures exit 2 with one line naming
// the field, and no secret ever reaches the output.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { freePort, run } from '../support/net.ts';
import { startPostgres, type PostgresTestServer } from '../support/postgres.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';
import { errorLines, runCli } from '../support/run-cli.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { startSftpServer, type SftpTestServer } from '../support/sftp.ts';

const EXAMPLE = path.resolve('examples/sources/reconjob.yaml');
const QUICKSTART = path.resolve('examples/quickstart/data');

interface World {
  s3: S3TestServer;
  sftp: SftpTestServer;
  pg: PostgresTestServer;
  catalog: { url: string; password: string };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'raas-sources-recon-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const world = sharedService<World>(
  'S3, sshd and PostgreSQL',
  async () => {
    // Started one by one, so a failure stops what did start instead of leaking it.
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const s3 = await startS3Server({ buckets: ['ledger'] });
      started.push(s3);
      const sftp = await startSftpServer();
      started.push(sftp);
      const pg = await startPostgres();
      started.push(pg);
      await s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: 'orders/dt=2024-01-01/orders.csv', Body: await readFile(path.join(QUICKSTART, 'orders/dt=2024-01-01/orders.csv')) }));
      await sftp.put('outbound/settlements/2024-01-01.csv.gz', await readFile(path.join(QUICKSTART, 'settlements/2024-01-01.csv.gz')));
      // The provider refunded 10.00 of ORD-007: the ledger's net amount then matches the settlement.
      await sftp.put('outbound/refunds/2024-01-01.csv', 'id,amount\nORD-20240101-007,10.00\n');
      await pg.sql('CREATE DATABASE recon');
      await pg.sql(`CREATE ROLE recon_writer LOGIN PASSWORD 'catalog-Secret-Pw-9'`);
      await pg.sql('ALTER DATABASE recon OWNER TO recon_writer');
      const catalog = { url: `postgres://recon_writer:catalog-Secret-Pw-9@127.0.0.1:${pg.port}/recon`, password: 'catalog-Secret-Pw-9' };
      return { s3, sftp, pg, catalog };
    } catch (err) {
      for (const s of started.reverse()) await s.stop().catch(() => undefined);
      throw err;
    }
  },
  async (w) => {
    await Promise.all([w.s3.stop(), w.sftp.stop(), w.pg.stop()]);
  },
);

/** The example manifest with its hosts pointed at the test servers. */
async function manifest(w: World, edit: (text: string) => string = (t) => t): Promise<string> {
  const text = (await readFile(EXAMPLE, 'utf8')).replaceAll('sftp://recon@sftp.psp.example.com', `sftp://${w.sftp.user}@127.0.0.1:${w.sftp.port}${w.sftp.root}`);
  const file = path.join(scratch, `m-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, edit(text));
  return file;
}

function envFor(w: World, over: Record<string, string> = {}): Record<string, string> {
  return { ...w.s3.env, PSP_SFTP_KEY: w.sftp.privateKey, PSP_SFTP_KNOWN_HOSTS: w.sftp.knownHosts, RAAS_CATALOG_URL: w.catalog.url, ...over };
}

/** Queries the catalog database (recon) as the superuser. */
async function catalogSql(w: World, text: string): Promise<Array<Record<string, unknown>>> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: w.pg.adminUrl.replace(/\/postgres$/, '/recon') });
  await c.connect();
  try {
    return (await c.query(text)).rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

function expectNoSecrets(w: World, out: string): void {
  const keyBody = w.sftp.privateKey.split('\n')[1] ?? 'x';
  for (const s of [keyBody, w.catalog.password, w.catalog.url, w.s3.env.AWS_SECRET_ACCESS_KEY ?? 'n/a']) expect(out).not.toContain(s);
}

describe('examples/sources/reconjob.yaml', { timeout: 240_000 }, () => {
  it('is a valid manifest with its Secrets and ConfigMap', async () => {
    const docs = parseAllDocuments(await readFile(EXAMPLE, 'utf8')).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toEqual(['Secret', 'Secret', 'ConfigMap', 'ReconJob']);
    const r = await runCli(['validate', '-f', EXAMPLE]);
    expect(r.code).toBe(0);
  });

  it('joins S3 and SFTP inputs, uploads to SFTP and writes the catalog once per run', async (ctx: SkipContext) => {
    const w = await world(ctx);
    const file = await manifest(w);
    for (const attempt of [1, 2]) {
      const r = await runCli(['run', '-f', file, '--date', '2024-01-01', '--json'], { env: envFor(w), timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expectNoSecrets(w, r.stdout + r.stderr);
      const summary = JSON.parse(r.stdout) as { counts: Record<string, number>; results: { uri: string; files: string[]; summaryUri: string } };
      expect(summary.counts).toMatchObject({ left: 19, right: 20, matched: 16, mismatched: 1, leftOnly: 1, rightOnly: 1, duplicateKeysRight: 1 });
      expect(summary.results.uri).toBe(`sftp://${w.sftp.user}@127.0.0.1:${w.sftp.port}${w.sftp.root}/inbound/recon/2024-01-01/`);
      const dir = path.join(w.sftp.root, 'inbound/recon/2024-01-01');
      expect((await readdir(dir)).sort(), `attempt ${attempt}`).toEqual(['open-items.parquet', 'result.csv', 'summary.json']);
      expect(JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8'))).toMatchObject({ counts: { matched: 16 } });
      const runs = await catalogSql(w, 'SELECT run, job, matched::int, mismatched::int, balanced, results_uri, diff_totals FROM recon.runs');
      expect(runs).toEqual([{ run: expect.any(String), job: 'ledger-vs-psp', matched: 16, mismatched: 1, balanced: false, results_uri: summary.results.uri, diff_totals: { amount: expect.any(String) } }]);
    }
    const rows = (await catalogSql(w, `SELECT recon_status, row->>'id' AS id FROM recon.rows ORDER BY row_number`)) as Array<{ recon_status: string; id: string }>;
    expect(rows.map((r) => r.recon_status).sort()).toEqual(['duplicate', 'left_only', 'mismatch', 'right_only']);
    expect(rows.find((r) => r.recon_status === 'mismatch')?.id).toBe('ORD-20240101-010');
  });

  it('fails with exit 2 and one line naming the field, never the secret', async (ctx: SkipContext) => {
    const w = await world(ctx);
    const file = await manifest(w);
    const otherKey = path.join(scratch, `k-${Date.now()}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const wrongKey = await readFile(otherKey, 'utf8');
    const otherHost = w.sftp.knownHosts.replace(/ssh-ed25519 \S+/, `ssh-ed25519 ${(await readFile(`${otherKey}.pub`, 'utf8')).split(' ')[1]}`);
    const closed = await freePort();
    const cases: Array<[string, Record<string, string>, string[], RegExp]> = [
      ['refused key', { PSP_SFTP_KEY: wrongKey }, ['--date', '2024-01-01'], /^raas: stage failed: spec\.left\.inputs\.refunds\.uri: authentication refused for user "raas-sftp-\w+" on 127\.0\.0\.1:\d+/],
      ['changed host key', { PSP_SFTP_KNOWN_HOSTS: otherHost }, ['--date', '2024-01-01'], /spec\.left\.inputs\.refunds\.uri: the host key of \[127\.0\.0\.1\]:\d+ \(SHA256:\S+\) does NOT match spec\.left\.inputs\.refunds\.sftp\.knownHosts/],
      ['unknown host', { PSP_SFTP_KNOWN_HOSTS: '' }, ['--date', '2024-01-01'], /spec\.left\.inputs\.refunds\.sftp\.knownHostsEnv: environment variable PSP_SFTP_KNOWN_HOSTS is not set/],
      ['missing file', {}, ['--date', '2024-01-02'], /spec\.left\.inputs\.orders\.uri: no object matches|spec\.left\.inputs\.orders\.uri: s3:\/\/ledger\/orders\/dt=2024-01-02\/orders\.csv does not exist/],
      ['catalog unreachable', { RAAS_CATALOG_URL: w.catalog.url.replace(`:${w.pg.port}/`, `:${closed}/`) }, ['--date', '2024-01-01'], /^raas: carry failed: spec\.output\.catalog\.breaks: reading closed breaks from raas_breaks failed: cannot reach the catalog database: connection refused/],
      ['catalog password refused', { RAAS_CATALOG_URL: w.catalog.url.replace(w.catalog.password, 'Wrong-Catalog-Pw') }, ['--date', '2024-01-01'], /spec\.output\.catalog(\.breaks: reading closed breaks from raas_breaks failed)?: authentication refused/],
    ];
    for (const [name, over, args, re] of cases) {
      const r = await runCli(['run', '-f', file, ...args], { env: envFor(w, over), timeoutMs: 120_000 });
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      const lines = errorLines(r.stderr);
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(re);
      expectNoSecrets(w, r.stdout + r.stderr);
      expect(r.stderr).not.toContain('Wrong-Catalog-Pw');
    }
  });

  it('a database query error exits 2 naming spec.left.query', async (ctx: SkipContext) => {
    const w = await world(ctx);
    const file = path.join(scratch, 'db-error.yaml');
    await writeFile(
      file,
      `apiVersion: raas.dev/v1alpha1
kind: ReconJob
metadata: { name: db-error }
spec:
  left: { uri: "postgres://$CATALOG", query: "SELECT id FROM nowhere WHERE d >= {{ window.start }}" }
  right: { uri: "postgres://$CATALOG", query: "SELECT 1 AS id" }
  keys: [ { column: id } ]
`,
    );
    const r = await runCli(['run', '-f', file, '--date', '2024-01-01', '--out', path.join(scratch, 'o')], { env: { CATALOG: w.catalog.url }, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^raas: stage failed: spec\.left\.query: the database refused the query: relation "nowhere" does not exist at character 16 \(SQLSTATE 42P01\)$/)]);
    expectNoSecrets(w, r.stdout + r.stderr);
  });
});
