// The overwrite guard against real servers (local directory, s3rver, sshd, vsftpd): a run
// never replaces results it cannot prove are its own. Only a summary.json the server
// positively reports missing counts as "nothing committed"; one that exists but cannot be
// read (permission denied, FTP 550 on a listed file, a store error) refuses the run, and so
// does one naming another job or the same job in another namespace. In every refusal the
// committed files stay exactly as they were.
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overwriteGuard } from '../../runner/output/overwrite-guard.ts';
import { publishResults } from '../../runner/output/publish.ts';
import type { ConnectionOptions } from '../../runner/stage/types.ts';
import { startFtpServer } from '../support/ftp.ts';
import { createTestUser } from '../support/net.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';
import { startS3Server } from '../support/s3-server.ts';
import { startSftpServer } from '../support/sftp.ts';

const WINDOW = { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' };
const ME = { job: 'orders', namespace: 'team-a' };
const summaryOf = (who: { job: string; namespace?: string }) => `${JSON.stringify({ ...who, window: WINDOW, counts: { matched: 1 } })}\n`;

let local: string;
beforeAll(async () => {
  local = await mkdtemp(path.join(tmpdir(), 'raas-ownership-'));
  await writeFile(path.join(local, 'result.csv'), 'id,recon_status\n1,mismatch\n');
  await writeFile(path.join(local, 'summary.json'), summaryOf(ME));
});
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
});

interface Target {
  uri(rel: string): string;
  env: Record<string, string>;
  options: ConnectionOptions;
  /** Writes a committed file as the server's own user would have. */
  plant(rel: string, text: string): Promise<void>;
  /** The committed file's text as the server holds it. */
  read(rel: string): Promise<string>;
  /** Makes an existing summary.json unreadable to the publisher in this scheme's own way. */
  breakRead?: { how: string; apply(rel: string): Promise<void>; cause: RegExp };
  stop(): Promise<void>;
}

/** Files under a server's root, owned by the server's user like everything it serves. */
function rootFiles(root: string) {
  return {
    async plant(rel: string, text: string) {
      const { uid, gid } = await stat(root);
      const file = path.join(root, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      for (let p = file; p.startsWith(root) && p !== root; p = path.dirname(p)) await chown(p, uid, gid);
    },
    read: (rel: string) => readFile(path.join(root, rel), 'utf8'),
    // Owned by root, mode 000: the server's (non-root) user sees it listed but cannot open it.
    unreadable: async (rel: string) => {
      await chown(path.join(root, rel), 0, 0);
      await chmod(path.join(root, rel), 0o000);
    },
  };
}

const targets: Record<string, () => Promise<Target>> = {
  local: async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'raas-ownership-dir-'));
    return {
      uri: (rel) => path.join(root, rel),
      env: {},
      options: {},
      plant: async (rel, text) => {
        await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await writeFile(path.join(root, rel), text);
      },
      read: (rel) => readFile(path.join(root, rel), 'utf8'),
      // The tests run as root, which file modes do not stop: a summary.json that is a
      // directory is the read error (EISDIR) that is not "missing".
      breakRead: {
        how: 'is a directory',
        apply: async (rel) => {
          await rm(path.join(root, rel));
          await mkdir(path.join(root, rel, 'kept'), { recursive: true });
        },
        cause: /EISDIR/,
      },
      stop: () => rm(root, { recursive: true, force: true }),
    };
  },
  s3: async () => {
    const s = await startS3Server({ buckets: ['results'] });
    return {
      uri: (rel) => `s3://results/${rel}`,
      env: s.env,
      options: {},
      plant: async (rel, text) => {
        await s.client.send(new PutObjectCommand({ Bucket: 'results', Key: rel, Body: text }));
      },
      read: async (rel) => (await (await s.client.send(new GetObjectCommand({ Bucket: 'results', Key: rel }))).Body?.transformToString()) ?? '',
      // The store holds the object but fails to serve it (an InternalError, not NoSuchKey).
      breakRead: {
        how: 'cannot be served by the store',
        apply: async (rel) => {
          const stored = path.join(s.directory, 'results', `${rel}._S3rver_object`);
          await stat(stored);
          await rm(stored);
          await mkdir(stored);
        },
        cause: /InternalError|EISDIR|\d{3}/,
      },
      stop: s.stop,
    };
  },
  sftp: async () => {
    const s = await startSftpServer();
    const f = rootFiles(s.root);
    return {
      uri: s.uri,
      env: { K: s.privateKey },
      options: { sftp: { privateKeyEnv: 'K', knownHosts: s.knownHosts } },
      plant: f.plant,
      read: f.read,
      breakRead: { how: 'is not readable by the SFTP user', apply: f.unreadable, cause: /permission denied/ },
      stop: s.stop,
    };
  },
  ftp: async () => {
    const s = await startFtpServer({ tls: false });
    const f = rootFiles(s.root);
    return {
      uri: s.uri,
      env: { P: s.password },
      options: { ftp: { passwordEnv: 'P' } },
      plant: f.plant,
      read: f.read,
      // vsftpd answers 550 for this exactly as for a missing file: the listing tells them apart.
      breakRead: { how: 'is listed but answers FTP 550', apply: f.unreadable, cause: /FTP 550/ },
      stop: s.stop,
    };
  },
};

for (const [scheme, start] of Object.entries(targets)) {
  describe(`${scheme}: publishing over results the run does not own`, { timeout: 120_000 }, () => {
    const target = sharedService(`${scheme} server`, start, (t) => t.stop());
    const publish = (t: Target, rel: string) =>
      publishResults({
        localDir: local,
        files: ['result.csv'],
        summaryFile: 'summary.json',
        targetUri: t.uri(rel),
        env: t.env,
        ...t.options,
        guard: overwriteGuard(WINDOW, t.uri(rel), ME),
      });

    it.for([
      ['the same job name in another namespace', { job: 'orders', namespace: 'team-b' }, /holds the committed results of job "orders" in namespace "team-b"; this run of job "orders" in namespace "team-a"/],
      ['another job of the same namespace', { job: 'payouts', namespace: 'team-a' }, /holds the committed results of job "payouts" in namespace "team-a"/],
    ] as const)('refuses to replace %s, and leaves its files alone', async ([name, other, message], ctx: SkipContext) => {
      const t = await target(ctx);
      const rel = `${name.replace(/\W+/g, '-')}/2024-01-01`;
      await t.plant(`${rel}/result.csv`, 'theirs\n');
      await t.plant(`${rel}/summary.json`, summaryOf(other));
      const err = await publish(t, rel).then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message).toMatch(message);
      expect(await t.read(`${rel}/summary.json`)).toBe(summaryOf(other));
      expect(await t.read(`${rel}/result.csv`)).toBe('theirs\n');
    });

    it('replaces its own results of the same window, and publishes where nothing is committed', async (ctx: SkipContext) => {
      const t = await target(ctx);
      await t.plant('mine/2024-01-01/summary.json', summaryOf(ME));
      await t.plant('mine/2024-01-01/result.csv', 'old\n');
      await publish(t, 'mine/2024-01-01');
      expect(await t.read('mine/2024-01-01/result.csv')).toBe('id,recon_status\n1,mismatch\n');
      await publish(t, 'fresh/2024-01-01');
      expect(JSON.parse(await t.read('fresh/2024-01-01/summary.json'))).toMatchObject(ME);
    });

    it('a committed summary.json that cannot be read refuses the run; only "missing" is nothing there', async (ctx: SkipContext) => {
      const t = await target(ctx);
      const broken = t.breakRead;
      if (!broken) return;
      const rel = 'unreadable/2024-01-01';
      await t.plant(`${rel}/result.csv`, 'theirs\n');
      await t.plant(`${rel}/summary.json`, summaryOf({ job: 'orders', namespace: 'team-b' }));
      await broken.apply(`${rel}/summary.json`);
      const err = await publish(t, rel).then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message, `the summary ${broken.how}`).toMatch(/^cannot publish results to .*: cannot read the summary\.json already at .*; only a missing file counts as "nothing committed", so this run does not replace it\. Fix the access or publish elsewhere$/);
      expect(err?.message).toMatch(broken.cause);
      expect(await t.read(`${rel}/result.csv`)).toBe('theirs\n');
    });
  });
}

describe('local: a committed summary.json the runner\'s own user may not read', { timeout: 120_000 }, () => {
  it('refuses the run (EACCES is not "missing") and leaves the committed files alone', async (ctx: SkipContext) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root to make a second user (file modes do not stop root itself)');
    const root = await mkdtemp(path.join(tmpdir(), 'raas-ownership-eacces-'));
    await chmod(root, 0o755);
    const user = await createTestUser('raas-pub-', root);
    try {
      const dir = path.join(root, 'out');
      await mkdir(dir);
      await chown(dir, user.uid, user.gid); // the runner may write here...
      await writeFile(path.join(dir, 'summary.json'), summaryOf({ job: 'orders', namespace: 'team-b' }), { mode: 0o600 }); // ...but not read this
      await writeFile(path.join(dir, 'result.csv'), 'theirs\n', { mode: 0o644 });
      const src = path.join(root, 'src');
      await mkdir(src);
      await writeFile(path.join(src, 'result.csv'), 'id\n1\n');
      await writeFile(path.join(src, 'summary.json'), summaryOf(ME));
      await chmod(src, 0o755);
      // The real publish, in a process of the other user (tsx loads the TypeScript sources).
      const script = [
        `import { publishResults } from ${JSON.stringify(path.resolve('runner/output/publish.ts'))};`,
        `import { overwriteGuard } from ${JSON.stringify(path.resolve('runner/output/overwrite-guard.ts'))};`,
        `const w = ${JSON.stringify(WINDOW)};`,
        `publishResults({ localDir: ${JSON.stringify(src)}, files: ['result.csv'], summaryFile: 'summary.json', targetUri: ${JSON.stringify(dir)}, guard: overwriteGuard(w, ${JSON.stringify(dir)}, ${JSON.stringify(ME)}) })`,
        `  .then(() => console.log('published'), (e) => { console.log(e.message); process.exitCode = 2; });`,
      ].join('\n');
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { uid: user.uid, gid: user.gid, cwd: process.cwd(), env: { ...process.env, HOME: root } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end();
      });
      expect(out.stdout.trim(), out.stderr).toMatch(/^cannot publish results to .*: cannot read the summary\.json already at .*summary\.json \(EACCES: permission denied, open .*\); only a missing file counts as "nothing committed"/);
      expect(out.code).toBe(2);
      expect(await readFile(path.join(dir, 'summary.json'), 'utf8')).toBe(summaryOf({ job: 'orders', namespace: 'team-b' }));
      expect(await readFile(path.join(dir, 'result.csv'), 'utf8')).toBe('theirs\n');
    } finally {
      await user.remove();
      await rm(root, { recursive: true, force: true });
    }
  });
});
