// The contract every source scheme passes against its real server:
// globs pick exactly the matching files, a missing object and refused credentials are
// StageErrors naming the field (and never echoing the secret), and a failure part-way
// through a glob leaves nothing half-staged.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageError, stageSource, type StageOptions } from '../../runner/stage/stage-source.ts';
import type { ConnectionOptions, Env } from '../../runner/stage/types.ts';
import { startFtpServer } from '../support/ftp.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';
import { startS3Server } from '../support/s3-server.ts';
import { startSftpServer } from '../support/sftp.ts';

const FIELD = 'spec.left.uri';

interface Handle {
  put(rel: string, content: string): Promise<void>;
  uri(rel: string): string;
  env: Env;
  options: ConnectionOptions;
  globs: boolean;
  /** Same location, credentials the server refuses; `secret` must not appear in the message. */
  badAuth: { env: Env; options: ConnectionOptions; secret: string; uri?: (rel: string) => string };
  /** Makes one listed file fail on download (permission denied, a broken object...). */
  breakOne(rel: string): Promise<void>;
  /** Local files are used in place: nothing is downloaded, so nothing can be half-staged. */
  inPlace?: boolean;
  stop(): Promise<void>;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'raas-contract-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const fixtures: Record<string, () => Promise<Handle>> = {
  file: async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'raas-contract-file-'));
    return {
      put: async (rel, c) => {
        await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await writeFile(path.join(root, rel), c);
      },
      uri: (rel) => path.join(root, rel),
      env: {},
      options: {},
      globs: true,
      badAuth: { env: {}, options: {}, secret: 'n/a' },
      breakOne: async () => {},
      inPlace: true,
      stop: () => rm(root, { recursive: true, force: true }),
    };
  },
  s3: async () => {
    const s = await startS3Server({ buckets: ['contract'] });
    // A pass-through proxy in front of the store that cuts the body of the objects marked
    // broken: the listing shows them, their download fails part-way.
    const broken = new Set<string>();
    const upstream = new URL(s.endpoint);
    const proxy: Server = createServer((req, res) => {
      const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (req.method === 'GET' && broken.has(p)) {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('id\n');
        res.destroy();
        return;
      }
      const fwd = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const env = { ...s.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, AWS_ENDPOINT_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
    return {
      put: async (rel, c) => void (await s.client.send(new PutObjectCommand({ Bucket: 'contract', Key: rel, Body: c }))),
      uri: (rel) => `s3://contract/${rel}`,
      env,
      options: {},
      globs: true,
      badAuth: { env: { ...env, AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'wrong-secret-value-123' }, options: {}, secret: 'wrong-secret-value-123' },
      breakOne: async (rel) => void broken.add(`/contract/${rel}`),
      stop: async () => {
        await new Promise<void>((r) => proxy.close(() => r()));
        await s.stop();
      },
    };
  },
  https: async () => {
    const files = new Map<string, string>();
    const token = randomBytes(8).toString('hex');
    const broken = new Set<string>();
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('token') !== token) return void res.writeHead(403).end('forbidden');
      const body = files.get(url.pathname);
      if (body === undefined) return void res.writeHead(404).end('not found');
      if (broken.has(url.pathname)) {
        res.writeHead(200, { 'content-length': String(body.length * 10) });
        res.write(body);
        res.destroy();
        return;
      }
      res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      put: async (rel, c) => void files.set(`/${rel}`, c),
      uri: (rel) => `${base}/${rel}?token=${token}`,
      env: {},
      options: {},
      globs: false,
      badAuth: { env: {}, options: {}, secret: 'bad-token-secret-9', uri: (rel) => `${base}/${rel}?token=bad-token-secret-9` },
      breakOne: async (rel) => void broken.add(`/${rel}`),
      stop: () => new Promise<void>((r) => server.close(() => r())),
    };
  },
  sftp: async () => {
    const s = await startSftpServer();
    const options = { sftp: { passwordEnv: 'SFTP_PASSWORD', knownHosts: s.knownHosts } };
    return {
      put: (rel, c) => s.put(rel, c),
      uri: (rel) => s.uri(rel),
      env: { SFTP_PASSWORD: s.password },
      options,
      globs: true,
      badAuth: { env: { SFTP_PASSWORD: 'wrong-sftp-secret-42' }, options, secret: 'wrong-sftp-secret-42' },
      // Owned by root and unreadable: listed, but the user cannot open it.
      breakOne: async (rel) => {
        const f = path.join(s.root, rel);
        await rm(f);
        await writeFile(f, 'x');
        await chmod(f, 0o000);
      },
      stop: () => s.stop(),
    };
  },
  ftp: async () => {
    const s = await startFtpServer({ tls: false });
    const options = { ftp: { passwordEnv: 'FTP_PASSWORD' } };
    return {
      put: (rel, c) => s.put(rel, c),
      uri: (rel) => s.uri(rel),
      env: { FTP_PASSWORD: s.password },
      options,
      globs: true,
      badAuth: { env: { FTP_PASSWORD: 'wrong-ftp-secret-77' }, options, secret: 'wrong-ftp-secret-77' },
      breakOne: async (rel) => {
        const f = path.join(s.root, rel);
        await rm(f);
        await writeFile(f, 'x');
        await chmod(f, 0o000);
      },
      stop: () => s.stop(),
    };
  },
  ftps: async () => {
    const s = await startFtpServer({ tls: true });
    const options = { ftp: { passwordEnv: 'FTP_PASSWORD', caEnv: 'FTP_CA' } };
    return {
      put: (rel, c) => s.put(rel, c),
      uri: (rel) => s.uri(rel),
      env: { FTP_PASSWORD: s.password, FTP_CA: s.caPem ?? '' },
      options,
      globs: true,
      badAuth: { env: { FTP_PASSWORD: 'wrong-ftps-secret-78', FTP_CA: s.caPem ?? '' }, options, secret: 'wrong-ftps-secret-78' },
      breakOne: async (rel) => {
        const f = path.join(s.root, rel);
        await rm(f);
        await writeFile(f, 'x');
        await chmod(f, 0o000);
      },
      stop: () => s.stop(),
    };
  },
};

async function stageErr(opts: StageOptions): Promise<StageError> {
  const err: unknown = await stageSource(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StageError);
  const e = err as StageError;
  expect(e.message.startsWith(`${e.field}: `)).toBe(true);
  expect(e.message).not.toContain('\n');
  return e;
}

let n = 0;
const dest = () => path.join(scratch, `d${n++}`);

for (const [name, start] of Object.entries(fixtures)) {
  describe(`scheme ${name}`, { timeout: 120_000 }, () => {
    const service = sharedService(`${name} test server`, start, (h) => h.stop());
    const base = (h: Handle) => ({ field: FIELD, baseDir: scratch, env: h.env, ...h.options });

    it('stages exactly the files a glob matches, byte for byte (or refuses globs clearly)', async (ctx: SkipContext) => {
      const h = await service(ctx);
      await h.put('g/x1.csv', 'id\n1\n');
      await h.put('g/x2.csv', 'id\n2\n');
      await h.put('g/y.txt', 'nope');
      await h.put('g/sub/x3.csv', 'id\n3\n');
      if (!h.globs) {
        const e = await stageErr({ ...base(h), uri: h.uri('g/x*.csv'), destDir: dest() });
        expect(e.message).toMatch(/globs are not supported/);
        const one = await stageSource({ ...base(h), uri: h.uri('g/x1.csv'), destDir: dest() });
        expect(await readFile(one.files[0]!, 'utf8')).toBe('id\n1\n');
        return;
      }
      const d = dest();
      const staged = await stageSource({ ...base(h), uri: h.uri('g/x*.csv'), destDir: d });
      expect(staged.files.map((f) => path.basename(f))).toEqual(['x1.csv', 'x2.csv']);
      expect(await Promise.all(staged.files.map((f) => readFile(f, 'utf8')))).toEqual(['id\n1\n', 'id\n2\n']);
      expect(staged.bytes).toBe(10);
      if (!h.inPlace) for (const f of staged.files) expect(f.startsWith(d + path.sep)).toBe(true);
      const deep = await stageSource({ ...base(h), uri: h.uri('g/**/*.csv'), destDir: dest() });
      expect(deep.files.map((f) => path.basename(f)).sort()).toEqual(['x1.csv', 'x2.csv', 'x3.csv']);
    });

    it('reports a missing object with the field', async (ctx: SkipContext) => {
      const h = await service(ctx);
      const e = await stageErr({ ...base(h), uri: h.uri('missing/none.csv'), destDir: dest() });
      expect(e.field).toBe(FIELD);
      expect(e.message).toMatch(/does not exist|no file matches|no object matches|HTTP 404/);
      if (h.globs) {
        const g = await stageErr({ ...base(h), uri: h.uri('missing/*.csv'), destDir: dest() });
        expect(g.message).toMatch(/no (file|object) matches/);
      }
    });

    it('reports refused credentials without echoing them', async (ctx: SkipContext) => {
      const h = await service(ctx);
      if (h.inPlace) return; // local files have no credentials
      await h.put('auth/a.csv', 'id\n1\n');
      const uri = (h.badAuth.uri ?? h.uri)('auth/a.csv');
      const e = await stageErr({ field: FIELD, baseDir: scratch, env: h.badAuth.env, ...h.badAuth.options, uri, destDir: dest() });
      expect(e.message).toMatch(/auth|denied|refused|HTTP 403|signature|credentials/i);
      expect(e.message).not.toContain(h.badAuth.secret);
    });

    it('leaves nothing half-staged when one file of a glob fails', async (ctx: SkipContext) => {
      const h = await service(ctx);
      if (h.inPlace) return;
      for (const i of [1, 2, 3]) await h.put(`p/${i}.csv`, `id\n${i}\n`);
      await h.breakOne('p/3.csv');
      const d = dest();
      await stageErr({ ...base(h), uri: h.globs ? h.uri('p/*.csv') : h.uri('p/3.csv'), destDir: d, concurrency: 1 });
      expect(await readdir(path.dirname(d)).then((xs) => xs.filter((x) => x.includes(path.basename(d))))).toEqual([]);
    });
  });
}
