import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishError, publishResults, type PublishedResults } from '../../runner/output/publish.ts';
import { sharedService } from '../support/require-service.ts';
import { startS3Server, type S3Request } from '../support/s3-server.ts';

const BIG_SIZE = 17 * 1024 * 1024 + 123; // three 8 MiB parts, the last one short

let scratch: string;
let localDir: string;
let big: Buffer;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'raas-publish-test-'));
  localDir = path.join(scratch, 'work');
  await mkdir(path.join(localDir, 'parts'), { recursive: true });
  big = randomBytes(BIG_SIZE);
  await writeFile(path.join(localDir, 'result.parquet'), big);
  await writeFile(path.join(localDir, 'parts', 'extra.csv'), 'id,recon_status\n1,mismatch\n');
  await writeFile(path.join(localDir, 'summary.json'), JSON.stringify({ balanced: false }));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function publishError(p: Promise<PublishedResults>): Promise<PublishError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PublishError);
  return err as PublishError;
}

describe('publishing to a local directory', () => {
  it('copies every file, summary last, with nothing half-written left behind', async () => {
    const target = path.join(scratch, 'out', 'job', '2024-01-01');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'summary.json'), '{"stale":true}');
    const progress: string[] = [];
    const published = await publishResults({
      localDir,
      files: ['result.parquet', 'parts/extra.csv'],
      summaryFile: 'summary.json',
      targetUri: target,
      onProgress: (m) => progress.push(m),
    });
    expect(published).toEqual({
      uri: target,
      files: [path.join(target, 'result.parquet'), path.join(target, 'parts/extra.csv')],
      summaryUri: path.join(target, 'summary.json'),
    });
    expect(sha(await readFile(path.join(target, 'result.parquet')))).toBe(sha(big));
    expect(await readFile(path.join(target, 'summary.json'), 'utf8')).toBe('{"balanced":false}');
    const entries = await readdir(target, { recursive: true });
    expect(entries.sort()).toEqual(['parts', 'parts/extra.csv', 'result.parquet', 'summary.json']);
    expect(progress).toEqual([`published 2 files and summary.json (17.8 MB) to ${target}`]);
  });

  it('checks every source before writing anything', async () => {
    const target = path.join(scratch, 'out-missing');
    const err = await publishError(
      publishResults({ localDir, files: ['result.parquet', 'nope.csv'], summaryFile: 'summary.json', targetUri: target }),
    );
    expect(err.message).toContain(`cannot publish results to ${target}: ${path.join(localDir, 'nope.csv')} cannot be read`);
    expect(await readdir(target).catch(() => 'absent')).toBe('absent');
  });

  it('refuses names that escape localDir', async () => {
    const err = await publishError(
      publishResults({ localDir, files: ['../x'], summaryFile: 'summary.json', targetUri: path.join(scratch, 'o') }),
    );
    expect(err.message).toContain('"../x" is not a plain relative file name');
  });
});

describe('publishing to S3 (s3rver through the AWS SDK)', () => {
  const s3 = sharedService(
    's3rver',
    () => startS3Server({ buckets: ['results'] }),
    (s) => s.stop(),
  );

  const onKey = (r: S3Request, key: string): boolean => r.path === `/results/${key}`;

  it('uploads large files in parts and summary.json last, as the commit marker', async (ctx) => {
    const server = await s3(ctx);
    // An earlier run's summary must not vouch for the new files while they upload.
    await server.client.send(
      new PutObjectCommand({ Bucket: 'results', Key: 'job/2024-01-01/summary.json', Body: '{"stale":true}' }),
    );
    const before = (await server.requests()).length;
    const progress: string[] = [];

    const published = await publishResults({
      localDir,
      files: ['result.parquet', 'parts/extra.csv'],
      summaryFile: 'summary.json',
      targetUri: 's3://results/job/2024-01-01',
      env: server.env,
      onProgress: (m) => progress.push(m),
    });
    expect(published).toEqual({
      uri: 's3://results/job/2024-01-01/',
      files: ['s3://results/job/2024-01-01/result.parquet', 's3://results/job/2024-01-01/parts/extra.csv'],
      summaryUri: 's3://results/job/2024-01-01/summary.json',
    });
    expect(progress).toEqual(['published 2 files and summary.json (17.8 MB) to s3://results/job/2024-01-01/']);

    const requests = (await server.requests()).slice(before);
    const bigKey = 'job/2024-01-01/result.parquet';
    const summaryKey = 'job/2024-01-01/summary.json';

    // Multipart: create, three parts, complete (s3rver's ETag is a plain MD5, so the
    // request log is the evidence).
    const bigRequests = requests.filter((r) => onKey(r, bigKey));
    expect(bigRequests[0]).toMatchObject({ method: 'POST', query: { uploads: '' } });
    const parts = bigRequests.filter((r) => r.method === 'PUT' && r.query.partNumber);
    expect(parts.map((r) => r.query.partNumber).sort()).toEqual(['1', '2', '3']);
    const complete = bigRequests.at(-1);
    expect(complete?.method).toBe('POST');
    expect(complete?.query.uploadId).toBeTruthy();

    // The old summary goes first, the new one is the last request of the publish.
    expect(requests[0]).toMatchObject({ method: 'DELETE', path: `/results/${summaryKey}` });
    const writes = requests.filter((r) => r.method === 'PUT' || r.method === 'POST');
    expect(writes.at(-1)).toMatchObject({ method: 'PUT', path: `/results/${summaryKey}` });
    expect(writes.filter((r) => onKey(r, summaryKey))).toHaveLength(1);
    const completeIndex = requests.indexOf(complete as S3Request);
    const extraIndex = requests.findIndex((r) => onKey(r, 'job/2024-01-01/parts/extra.csv') && r.method === 'PUT');
    const summaryIndex = requests.findIndex((r) => onKey(r, summaryKey) && r.method === 'PUT');
    expect(completeIndex).toBeLessThan(extraIndex);
    expect(extraIndex).toBeLessThan(summaryIndex);

    const head = await server.client.send(new HeadObjectCommand({ Bucket: 'results', Key: bigKey }));
    expect(head.ContentLength).toBe(BIG_SIZE);
    const got = await server.client.send(new GetObjectCommand({ Bucket: 'results', Key: bigKey }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? new Uint8Array());
    expect(sha(bytes)).toBe(sha(big));
    const summary = await server.client.send(new GetObjectCommand({ Bucket: 'results', Key: summaryKey }));
    expect(await summary.Body?.transformToString()).toBe('{"balanced":false}');
    expect(summary.ContentType).toBe('application/json');
  });

  it('accepts a trailing slash and a bucket-root target', async (ctx) => {
    const server = await s3(ctx);
    const withSlash = await publishResults({
      localDir,
      files: ['parts/extra.csv'],
      summaryFile: 'summary.json',
      targetUri: 's3://results/slash/',
      env: server.env,
    });
    expect(withSlash.summaryUri).toBe('s3://results/slash/summary.json');
    const root = await publishResults({
      localDir,
      files: [],
      summaryFile: 'summary.json',
      targetUri: 's3://results',
      env: server.env,
    });
    expect(root).toEqual({ uri: 's3://results/', files: [], summaryUri: 's3://results/summary.json' });
  });

  it('names the target and the cause when the bucket is missing', async (ctx) => {
    const server = await s3(ctx);
    const err = await publishError(
      publishResults({
        localDir,
        files: ['parts/extra.csv'],
        summaryFile: 'summary.json',
        targetUri: 's3://no-such-bucket/x/',
        env: server.env,
      }),
    );
    expect(err.message).toBe(
      'cannot publish results to s3://no-such-bucket/x/: bucket "no-such-bucket" does not exist (NoSuchBucket)',
    );
    expect(err.targetUri).toBe('s3://no-such-bucket/x/');
  });
});
