import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as S3Storage from '@aws-sdk/lib-storage';
import type * as S3Settings from '../stage/s3-client.ts';
import { formatBytes, plural } from '../stage/bytes.ts';

export interface PublishOptions {
  localDir: string;
  /** Names relative to localDir (may contain "/"), in upload order. */
  files: string[];
  /** Name relative to localDir; published last because readers treat it as the commit marker. */
  summaryFile: string;
  /** A local directory (path or file:// URL) or s3://bucket/prefix (trailing slash optional). */
  targetUri: string;
  s3?: S3Client;
  onProgress?: (m: string) => void;
}

export interface PublishedResults {
  /** The directory (absolute path) or s3://bucket/prefix/ the results are in. */
  uri: string;
  files: string[];
  summaryUri: string;
}

export const PART_SIZE = 8 * 1024 * 1024;
export const QUEUE_SIZE = 4;

export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    message: string,
    readonly targetUri: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface Item {
  name: string;
  src: string;
  size: number;
}

export async function publishResults(opts: PublishOptions): Promise<PublishedResults> {
  const fail = (why: string, cause?: unknown): PublishError =>
    new PublishError(`cannot publish results to ${opts.targetUri}: ${why}`, opts.targetUri, { cause });

  const names = [...opts.files, opts.summaryFile];
  const seen = new Set<string>();
  for (const name of names) {
    const norm = path.posix.normalize(name);
    if (!name || path.isAbsolute(name) || norm.startsWith('../') || norm === '..' || norm !== name) {
      throw fail(`"${name}" is not a plain relative file name`);
    }
    if (seen.has(name)) throw fail(`"${name}" is listed twice (the summary must not also be a result file)`);
    seen.add(name);
  }

  // Everything is checked before the first write so a missing file cannot leave a target
  // with some results and no summary.
  const localDir = path.resolve(opts.localDir);
  const items: Item[] = [];
  for (const name of names) {
    const src = path.join(localDir, name);
    const st = await stat(src).catch((err: unknown) => {
      throw fail(`${src} cannot be read`, err);
    });
    if (!st.isFile()) throw fail(`${src} is not a file`);
    items.push({ name, src, size: st.size });
  }
  const summary = items.pop() as Item;

  if (/^s3:\/\//i.test(opts.targetUri)) {
    // The AWS SDK is imported only for s3:// targets (it costs ~0.1 s of CPU at start).
    const [sdk, storage, client] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage'), import('../stage/s3-client.ts')]);
    const lib: S3Lib = { sdk, storage, client };
    const s3 = opts.s3 ?? client.createS3Client();
    try {
      return await publishToS3(opts, items, summary, s3, fail, lib);
    } finally {
      if (!opts.s3) s3.destroy();
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.targetUri) && !/^file:\/\//i.test(opts.targetUri)) {
    throw fail('only local directories, file:// and s3:// targets are supported');
  }
  return publishToDir(opts, items, summary, fail);
}

type Fail = (why: string, cause?: unknown) => PublishError;

function totalLine(items: Item[], summary: Item, where: string): string {
  const bytes = items.reduce((n, i) => n + i.size, summary.size);
  return `published ${plural(items.length, 'file')} and ${summary.name} (${formatBytes(bytes)}) to ${where}`;
}

// ---------------------------------------------------------------------------------------
// Local directory

async function publishToDir(opts: PublishOptions, items: Item[], summary: Item, fail: Fail): Promise<PublishedResults> {
  let dir: string;
  try {
    dir = /^file:\/\//i.test(opts.targetUri) ? fileURLToPath(opts.targetUri) : path.resolve(opts.targetUri);
  } catch (err) {
    throw fail('not a valid file:// URL', err);
  }
  const summaryPath = path.join(dir, summary.name);
  try {
    await mkdir(dir, { recursive: true });
    // A summary left by an earlier run would vouch for files this run is replacing.
    await rm(summaryPath, { force: true });
  } catch (err) {
    throw fail(errorText(err), err);
  }
  const files: string[] = [];
  for (const item of items) {
    const dest = path.join(dir, item.name);
    await copyAtomically(item.src, dest).catch((err: unknown) => {
      throw fail(`writing ${item.name} failed: ${errorText(err)}`, err);
    });
    files.push(dest);
  }
  await copyAtomically(summary.src, summaryPath).catch((err: unknown) => {
    throw fail(`writing ${summary.name} failed: ${errorText(err)}`, err);
  });
  opts.onProgress?.(totalLine(items, summary, dir));
  return { uri: dir, files, summaryUri: summaryPath };
}

/** Same-directory temp file + rename: readers see the old file or the whole new one. */
async function copyAtomically(src: string, dest: string): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await copyFile(src, tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return 'code' in err ? `${String(err.code)}: ${err.message}` : err.message;
  return String(err);
}

// ---------------------------------------------------------------------------------------
// S3

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.parquet': 'application/vnd.apache.parquet',
  '.gz': 'application/gzip',
};

/** The lazily imported S3 modules. */
interface S3Lib {
  sdk: typeof S3Sdk;
  storage: typeof S3Storage;
  client: typeof S3Settings;
}

function s3Cause(lib: S3Lib, err: unknown, bucket: string): string {
  const f = lib.client.describeS3Failure(err);
  if (f.code === 'NoSuchBucket') return `bucket "${bucket}" does not exist (NoSuchBucket)`;
  if (f.code === 'AccessDenied') return `access denied (AccessDenied); check the runner's credentials and the bucket policy`;
  return `${f.code}: ${f.message}`;
}

async function publishToS3(
  opts: PublishOptions,
  items: Item[],
  summary: Item,
  s3: S3Client,
  fail: Fail,
  lib: S3Lib,
): Promise<PublishedResults> {
  const { parseS3Uri, formatS3Uri, describeS3Failure } = lib.client;
  let bucket: string;
  let key: string;
  try {
    ({ bucket, key } = parseS3Uri(opts.targetUri));
  } catch (err) {
    throw fail(errorText(err), err);
  }
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const summaryKey = prefix + summary.name;

  // A summary left by an earlier run would vouch for objects this run is replacing. Deleting
  // needs s3:DeleteObject, which a narrowly scoped runner may lack: then warn and go on,
  // since the new summary will still land last.
  try {
    await s3.send(new lib.sdk.DeleteObjectCommand({ Bucket: bucket, Key: summaryKey }));
  } catch (err) {
    const f = describeS3Failure(err);
    if (f.code !== 'AccessDenied') throw fail(s3Cause(lib, err, bucket), err);
    opts.onProgress?.(`could not remove the previous ${summary.name} (AccessDenied); continuing`);
  }

  const upload = async (item: Item): Promise<string> => {
    const objectKey = prefix + item.name;
    const contentType = CONTENT_TYPES[path.extname(item.name).toLowerCase()] ?? 'application/octet-stream';
    try {
      await new lib.storage.Upload({
        client: s3,
        params: { Bucket: bucket, Key: objectKey, Body: createReadStream(item.src), ContentType: contentType },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
      }).done();
    } catch (err) {
      throw fail(`uploading ${item.name} failed: ${s3Cause(lib, err, bucket)}`, err);
    }
    return formatS3Uri(bucket, objectKey);
  };

  const files: string[] = [];
  for (const item of items) files.push(await upload(item));
  const summaryUri = await upload(summary);
  const uri = formatS3Uri(bucket, prefix);
  opts.onProgress?.(totalLine(items, summary, uri));
  return { uri, files, summaryUri };
}
