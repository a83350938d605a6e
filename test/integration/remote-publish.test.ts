// sftp:// and ftp(s):// as output.uri against real sshd and vsftpd: every file lands under a
// temporary name and is renamed into place, an earlier summary.json is removed first and
// the new one is written last, so a failed upload leaves no summary vouching for it.
import { chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishError, publishResults } from '../../runner/output/publish.ts';
import type { ConnectionOptions } from '../../runner/stage/types.ts';
import { startFtpServer } from '../support/ftp.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';
import { startSftpServer } from '../support/sftp.ts';

let local: string;
beforeAll(async () => {
  local = await mkdtemp(path.join(tmpdir(), 'raas-remote-publish-'));
  await writeFile(path.join(local, 'result.csv'), 'id,recon_status\n1,mismatch\n');
  await writeFile(path.join(local, 'summary.json'), '{"new":true}\n');
});
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
});

interface Target {
  root: string;
  uri(rel: string): string;
  env: Record<string, string>;
  options: ConnectionOptions;
  stop(): Promise<void>;
}

const targets: Record<string, () => Promise<Target>> = {
  sftp: async () => {
    const s = await startSftpServer();
    return { root: s.root, uri: s.uri, env: { K: s.privateKey }, options: { sftp: { privateKeyEnv: 'K', knownHosts: s.knownHosts } }, stop: s.stop };
  },
  ftp: async () => {
    const s = await startFtpServer({ tls: false });
    return { root: s.root, uri: s.uri, env: { P: s.password }, options: { ftp: { passwordEnv: 'P' } }, stop: s.stop };
  },
  ftps: async () => {
    const s = await startFtpServer({ tls: true });
    return { root: s.root, uri: s.uri, env: { P: s.password, CA: s.caPem ?? '' }, options: { ftp: { passwordEnv: 'P', caEnv: 'CA' } }, stop: s.stop };
  },
};

for (const [name, start] of Object.entries(targets)) {
  describe(`publish to ${name}://`, { timeout: 120_000 }, () => {
    const target = sharedService(`${name} server`, start, (t) => t.stop());

    it('renames every file into place and writes summary.json last', async (ctx: SkipContext) => {
      const t = await target(ctx);
      const dir = path.join(t.root, 'out/2024-01-01');
      const published = await publishResults({ localDir: local, files: ['result.csv'], summaryFile: 'summary.json', targetUri: t.uri('out/2024-01-01/'), env: t.env, ...t.options });
      expect(published.uri).toBe(`${t.uri('out/2024-01-01')}/`);
      expect(published.files).toEqual([t.uri('out/2024-01-01/result.csv')]);
      expect(published.summaryUri).toBe(t.uri('out/2024-01-01/summary.json'));
      expect((await readdir(dir)).sort()).toEqual(['result.csv', 'summary.json']);
      expect(await readFile(path.join(dir, 'summary.json'), 'utf8')).toBe('{"new":true}\n');
      // Again over the same files: replaced in place, nothing left behind.
      await publishResults({ localDir: local, files: ['result.csv'], summaryFile: 'summary.json', targetUri: t.uri('out/2024-01-01'), env: t.env, ...t.options });
      expect((await readdir(dir)).sort()).toEqual(['result.csv', 'summary.json']);
    });

    it('a failed upload leaves no summary.json behind, not even the old one', async (ctx: SkipContext) => {
      const t = await target(ctx);
      const dir = path.join(t.root, 'broken');
      await mkdir(path.join(dir, 'result.csv', 'occupied'), { recursive: true }); // a directory where the file must go
      await writeFile(path.join(dir, 'summary.json'), '{"old":true}\n');
      // Owned by the server's user, like everything it serves.
      const { uid, gid } = await stat(t.root);
      for (const p of [dir, path.join(dir, 'result.csv'), path.join(dir, 'result.csv', 'occupied'), path.join(dir, 'summary.json')]) await chown(p, uid, gid);
      const err: unknown = await publishResults({ localDir: local, files: ['result.csv'], summaryFile: 'summary.json', targetUri: t.uri('broken/'), env: t.env, ...t.options }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishError);
      expect((err as Error).message).toMatch(/^cannot publish results to .*: uploading result\.csv failed/);
      expect(await readdir(dir)).not.toContain('summary.json');
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });
}
