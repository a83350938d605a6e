import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../runner/stage/s3-client.ts';
import { StageError, stageSource, type StagedFiles } from '../../runner/stage/stage-source.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';

const FIELD = 'spec.left.uri';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'raas-stage-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let destCounter = 0;
function freshDest(): string {
  return path.join(scratch, `dest-${destCounter++}`);
}

async function expectStageError(p: Promise<StagedFiles>): Promise<StageError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StageError);
  const stageErr = err as StageError;
  expect(stageErr.field).toBe(FIELD);
  expect(stageErr.message.startsWith(`${FIELD}: `)).toBe(true);
  return stageErr;
}

async function listRelative(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

// ---------------------------------------------------------------------------------------

describe('staging from S3 (s3rver through the AWS SDK)', () => {
  const objects = new Map<string, Buffer>([
    ['orders/2024-01-01/a.csv', Buffer.from('id,amount\n1,10.00\n')],
    ['orders/2024-01-01/b.csv', Buffer.from('id,amount\n2,20.00\n')],
    ['orders/2024-01-01/notes.txt', Buffer.from('not data')],
    ['orders/2024-01-01/nested/d.csv', Buffer.from('id,amount\n4,40.00\n')],
    ['orders/2024-01-02/a.csv', Buffer.from('id,amount\n5,50.00\n')],
    ['orders/2024-01-02/', Buffer.alloc(0)], // a console "folder" marker
    ['gz/settlements.csv.gz', gzipSync(Buffer.from('order_id,amt\n1,10.00\n'))],
    ['big/blob.bin', randomBytes(3 * 1024 * 1024 + 17)],
  ]);
  for (let i = 0; i < 20; i++) objects.set(`many/obj-${String(i).padStart(2, '0')}.bin`, randomBytes(1000 + i * 97));

  let seeding: Promise<void> | undefined;
  const s3Service = sharedService(
    's3rver',
    () => startS3Server({ buckets: ['data'] }),
    (s) => s.stop(),
  );
  const server = async (ctx: SkipContext): Promise<S3TestServer> => {
    const s = await s3Service(ctx);
    seeding ??= (async () => {
      for (const [Key, Body] of objects) await s.client.send(new PutObjectCommand({ Bucket: 'data', Key, Body }));
    })();
    await seeding;
    return s;
  };

  async function expectSameBytes(files: string[], destDir: string, keyPrefix: string): Promise<void> {
    for (const file of files) {
      const rel = path.relative(destDir, file).split(path.sep).join('/');
      const original = objects.get(keyPrefix + rel);
      expect(original, `no seeded object for ${keyPrefix + rel}`).toBeDefined();
      expect((await readFile(file)).equals(original as Buffer)).toBe(true);
    }
  }

  it('stages only the keys a glob matches, byte for byte', async (ctx) => {
    const s = await server(ctx);
    const destDir = freshDest();
    const progress: string[] = [];
    const staged = await stageSource({
      uri: 's3://data/orders/2024-01-01/*.csv',
      field: FIELD,
      baseDir: scratch,
      destDir,
      s3: s.client,
      onProgress: (m) => progress.push(m),
    });
    expect(staged.files).toEqual([path.join(destDir, 'a.csv'), path.join(destDir, 'b.csv')]);
    expect(staged.bytes).toBe(36);
    await expectSameBytes(staged.files, destDir, 'orders/2024-01-01/');
    expect(await listRelative(destDir)).toEqual(['a.csv', 'b.csv']);
    expect(progress).toEqual(['staged 2 objects (36 B) from s3://data/orders/2024-01-01/']);
  });

  it('keeps nested key paths below the prefix so equal names stay apart (**)', async (ctx) => {
    const s = await server(ctx);
    const destDir = freshDest();
    const staged = await stageSource({
      uri: 's3://data/orders/**/*.csv',
      field: FIELD,
      baseDir: scratch,
      destDir,
      s3: s.client,
    });
    expect(staged.files.map((f) => path.relative(destDir, f))).toEqual([
      '2024-01-01/a.csv',
      '2024-01-01/b.csv',
      '2024-01-01/nested/d.csv',
      '2024-01-02/a.csv',
    ]);
    await expectSameBytes(staged.files, destDir, 'orders/');
  });

  it('narrows the listing by the literal start of the glob segment', async (ctx) => {
    const s = await server(ctx);
    const destDir = freshDest();
    const before = (await s.requests()).length;
    const staged = await stageSource({
      uri: 's3://data/orders/2024-01-0*/a.csv',
      field: FIELD,
      baseDir: scratch,
      destDir,
      s3: s.client,
    });
    expect(staged.files.map((f) => path.relative(destDir, f))).toEqual(['2024-01-01/a.csv', '2024-01-02/a.csv']);
    const lists = (await s.requests()).slice(before).filter((r) => r.query['list-type'] === '2');
    expect(lists.map((r) => r.query.prefix)).toEqual(['orders/2024-01-0']);
  });

  it('stages one exact key', async (ctx) => {
    const s = await server(ctx);
    const destDir = freshDest();
    const staged = await stageSource({
      uri: 's3://data/orders/2024-01-02/a.csv',
      field: FIELD,
      baseDir: scratch,
      destDir,
      s3: s.client,
    });
    expect(staged.files).toEqual([path.join(destDir, 'a.csv')]);
    expect((await readFile(path.join(destDir, 'a.csv'))).toString()).toBe('id,amount\n5,50.00\n');
  });

  it('streams a multi-megabyte object intact', async (ctx) => {
    const s = await server(ctx);
    const destDir = freshDest();
    const staged = await stageSource({ uri: 's3://data/big/blob.bin', field: FIELD, baseDir: scratch, destDir, s3: s.client });
    expect(staged.bytes).toBe(3 * 1024 * 1024 + 17);
    await expectSameBytes(staged.files, destDir, 'big/');
  });

  it('keeps .gz names and bytes', async (ctx) => {
    const s = await server(ctx);
    const destDir = freshDest();
    const staged = await stageSource({ uri: 's3://data/gz/*.gz', field: FIELD, baseDir: scratch, destDir, s3: s.client });
    expect(staged.files).toEqual([path.join(destDir, 'settlements.csv.gz')]);
    expect(gunzipSync(await readFile(staged.files[0] as string)).toString()).toBe('order_id,amt\n1,10.00\n');
  });

  it('names the field and the URI when an exact key does not exist', async (ctx) => {
    const s = await server(ctx);
    const err = await expectStageError(
      stageSource({ uri: 's3://data/orders/nope.csv', field: FIELD, baseDir: scratch, destDir: freshDest(), s3: s.client }),
    );
    expect(err.message).toBe(`${FIELD}: s3://data/orders/nope.csv does not exist (NoSuchKey)`);
  });

  it('names the field and the pattern when a glob matches nothing', async (ctx) => {
    const s = await server(ctx);
    const err = await expectStageError(
      stageSource({
        uri: 's3://data/orders/2024-01-01/*.parquet',
        field: FIELD,
        baseDir: scratch,
        destDir: freshDest(),
        s3: s.client,
      }),
    );
    expect(err.message).toBe(
      `${FIELD}: no object matches "s3://data/orders/2024-01-01/*.parquet" (4 keys listed under s3://data/orders/2024-01-01/)`,
    );
  });

  it('says when the bucket does not exist, for exact keys and globs', async (ctx) => {
    const s = await server(ctx);
    const exact = await expectStageError(
      stageSource({ uri: 's3://no-such-bucket/x.csv', field: FIELD, baseDir: scratch, destDir: freshDest(), s3: s.client }),
    );
    expect(exact.message).toBe(
      `${FIELD}: s3://no-such-bucket/x.csv does not exist (NoSuchBucket: there is no bucket "no-such-bucket")`,
    );
    const glob = await expectStageError(
      stageSource({ uri: 's3://no-such-bucket/d/*.csv', field: FIELD, baseDir: scratch, destDir: freshDest(), s3: s.client }),
    );
    expect(glob.message).toContain('does not exist (NoSuchBucket: there is no bucket "no-such-bucket")');
  });

  it('says access is denied when the credentials are refused', async (ctx) => {
    const s = await server(ctx);
    const badClient = createS3Client({ ...s.env, AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'WRONG' });
    try {
      const err = await expectStageError(
        stageSource({ uri: 's3://data/orders/2024-01-01/a.csv', field: FIELD, baseDir: scratch, destDir: freshDest(), s3: badClient }),
      );
      expect(err.message).toMatch(/^spec\.left\.uri: access denied to s3:\/\/data\/orders\/2024-01-01\/a\.csv \(\w+\)/);
    } finally {
      badClient.destroy();
    }
  });

  it('refuses a bare prefix and suggests a glob', async (ctx) => {
    const s = await server(ctx);
    const err = await expectStageError(
      stageSource({ uri: 's3://data/orders/', field: FIELD, baseDir: scratch, destDir: freshDest(), s3: s.client }),
    );
    expect(err.message).toContain('names a prefix, not an object');
    const noBucket = await expectStageError(
      stageSource({ uri: 's3:///orders/a.csv', field: FIELD, baseDir: scratch, destDir: freshDest(), s3: s.client }),
    );
    expect(noBucket.message).toContain('has no bucket name');
  });

  it('downloads 20 objects with at most 3 in flight, across listing pages', async (ctx) => {
    const s = await server(ctx);
    // Counts GetObject calls between send and the end of the body stream, on a real client.
    const client = createS3Client(s.env);
    let inFlight = 0;
    let maxInFlight = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'GetObjectCommand') return next(args);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          const result = await next(args);
          const body: unknown = (result.output as { Body?: unknown }).Body;
          if (body && typeof body === 'object' && 'once' in body && typeof body.once === 'function') {
            // 'end' precedes the pipeline's completion, so the next download cannot overlap it.
            let open = true;
            const release = (): void => {
              if (open) inFlight--;
              open = false;
            };
            body.once('end', release);
            body.once('close', release);
          } else {
            inFlight--;
          }
          return result;
        } catch (err) {
          inFlight--;
          throw err;
        }
      },
      { step: 'initialize', name: 'countInFlight' },
    );
    try {
      const destDir = freshDest();
      const before = (await s.requests()).length;
      const staged = await stageSource({
        uri: 's3://data/many/*.bin',
        field: FIELD,
        baseDir: scratch,
        destDir,
        s3: client,
        concurrency: 3,
        listPageSize: 7,
      });
      expect(staged.files).toHaveLength(20);
      await expectSameBytes(staged.files, destDir, 'many/');
      expect(maxInFlight).toBeLessThanOrEqual(3);
      expect(maxInFlight).toBeGreaterThanOrEqual(2);

      const requests = (await s.requests()).slice(before);
      const lists = requests.filter((r) => r.query['list-type'] === '2');
      expect(lists).toHaveLength(3);
      expect(lists.slice(1).every((r) => r.query['continuation-token'])).toBe(true);
      expect(requests.filter((r) => r.method === 'GET' && r.query['x-id'] === 'GetObject')).toHaveLength(20);
    } finally {
      client.destroy();
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('staging over http(s)', () => {
  const payload = gzipSync(Buffer.from('id,amount\n1,1.00\n'.repeat(1000)));
  let http: Server;
  let base: string;

  beforeAll(async () => {
    http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/exports/report.csv.gz') {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': payload.length });
        res.end(payload);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('streams a 200 response to a file named after the URL path', async () => {
    const destDir = freshDest();
    const progress: string[] = [];
    const staged = await stageSource({
      uri: `${base}/exports/report.csv.gz?token=abc`,
      field: FIELD,
      baseDir: scratch,
      destDir,
      onProgress: (m) => progress.push(m),
    });
    expect(staged.files).toEqual([path.join(destDir, 'report.csv.gz')]);
    expect((await readFile(path.join(destDir, 'report.csv.gz'))).equals(payload)).toBe(true);
    expect(staged.bytes).toBe(payload.length);
    expect(progress[0]).toMatch(/^staged 1 file \(.+\) from http:\/\/127\.0\.0\.1:\d+\/exports\/report\.csv\.gz$/);
  });

  it('fails on a 404 with the status and without the query string', async () => {
    const destDir = freshDest();
    const err = await expectStageError(
      stageSource({ uri: `${base}/exports/missing.csv?X-Amz-Signature=secret`, field: FIELD, baseDir: scratch, destDir }),
    );
    expect(err.message).toBe(`${FIELD}: GET ${base}/exports/missing.csv returned HTTP 404 Not Found`);
    expect(await readdir(destDir).catch(() => [])).toEqual([]);
  });

  it('rejects globs in URLs', async () => {
    const err = await expectStageError(
      stageSource({ uri: `${base}/exports/*.csv`, field: FIELD, baseDir: scratch, destDir: freshDest() }),
    );
    expect(err.message).toContain('globs are not supported for http(s) URLs');
  });
});

// ---------------------------------------------------------------------------------------

describe('staging local files', () => {
  let base: string;
  beforeAll(async () => {
    base = path.join(scratch, 'manifest-dir');
    const files: Record<string, string> = {
      'data/2024-01-01/a.csv': 'a',
      'data/2024-01-01/b.csv': 'bb',
      'data/2024-01-01/notes.txt': 'n',
      'data/2024-01-01/.hidden.csv': 'h',
      'data/2024-01-01/nested/c.csv': 'ccc',
      'data/2024-01-02/a.csv': 'dddd',
    };
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(base, rel)), { recursive: true });
      await writeFile(path.join(base, rel), content);
    }
  });

  it('resolves a relative glob against baseDir and returns the files in place', async () => {
    const destDir = freshDest();
    const progress: string[] = [];
    const staged = await stageSource({
      uri: 'data/2024-01-01/*.csv',
      field: FIELD,
      baseDir: base,
      destDir,
      onProgress: (m) => progress.push(m),
    });
    expect(staged).toEqual({
      files: [path.join(base, 'data/2024-01-01/a.csv'), path.join(base, 'data/2024-01-01/b.csv')],
      bytes: 3,
    });
    expect(await readdir(destDir).catch(() => [])).toEqual([]);
    expect(progress).toEqual([`staged 2 files (3 B) from ${path.join(base, 'data/2024-01-01')}`]);
  });

  it('walks ** and globbed directories', async () => {
    const deep = await stageSource({ uri: 'data/**/*.csv', field: FIELD, baseDir: base, destDir: freshDest() });
    expect(deep.files.map((f) => path.relative(base, f))).toEqual([
      'data/2024-01-01/a.csv',
      'data/2024-01-01/b.csv',
      'data/2024-01-01/nested/c.csv',
      'data/2024-01-02/a.csv',
    ]);
    const dirs = await stageSource({ uri: 'data/*/a.csv', field: FIELD, baseDir: base, destDir: freshDest() });
    expect(dirs.files.map((f) => path.relative(base, f))).toEqual(['data/2024-01-01/a.csv', 'data/2024-01-02/a.csv']);
  });

  it('accepts exact relative paths, absolute paths and file:// URLs', async () => {
    const abs = path.join(base, 'data/2024-01-02/a.csv');
    for (const uri of ['data/2024-01-02/a.csv', './data/../data/2024-01-02/a.csv', abs, pathToFileURL(abs).href]) {
      const staged = await stageSource({ uri, field: FIELD, baseDir: base, destDir: freshDest() });
      expect(staged).toEqual({ files: [abs], bytes: 4 });
    }
    const viaFileGlob = await stageSource({
      uri: `${pathToFileURL(path.join(base, 'data/2024-01-01')).href}/?.csv`,
      field: FIELD,
      baseDir: '/',
      destDir: freshDest(),
    });
    expect(viaFileGlob.files.map((f) => path.basename(f))).toEqual(['a.csv', 'b.csv']);
  });

  it('says which pattern matched nothing and where it looked', async () => {
    const err = await expectStageError(
      stageSource({ uri: 'data/2024-01-01/*.parquet', field: FIELD, baseDir: base, destDir: freshDest() }),
    );
    expect(err.message).toBe(
      `${FIELD}: no file matches "data/2024-01-01/*.parquet" (looked in ${path.join(base, 'data/2024-01-01')})`,
    );
    const missing = await expectStageError(
      stageSource({ uri: 'nowhere/*.csv', field: FIELD, baseDir: base, destDir: freshDest() }),
    );
    expect(missing.message).toBe(`${FIELD}: no file matches "nowhere/*.csv" (looked in ${path.join(base, 'nowhere')})`);
    const exact = await expectStageError(
      stageSource({ uri: 'data/x.csv', field: FIELD, baseDir: base, destDir: freshDest() }),
    );
    expect(exact.message).toBe(`${FIELD}: no file matches "data/x.csv" (looked in ${path.join(base, 'data')})`);
  });

  it('refuses a directory without a glob', async () => {
    const err = await expectStageError(
      stageSource({ uri: 'data/2024-01-01', field: FIELD, baseDir: base, destDir: freshDest() }),
    );
    expect(err.message).toContain('is a directory');
  });
});
