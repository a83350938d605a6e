// s3:// sources (listed, then streamed to local disk with bounded concurrency) and targets
// (multipart uploads, summary last). The session owns one S3Client, created on first use.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import picomatch from 'picomatch';
import { plural } from './bytes.ts';
import { literalLead, splitAtGlob, summarize } from './glob.ts';
import { forEachLimit } from './limit.ts';
import { createS3Client, describeS3Failure, formatS3Uri, parseS3Uri } from './s3-client.ts';
import { StageError, type Env, type PublishSteps, type PublishTargetRequest, type SchemeSession, type StageRequest, type StagedFiles } from './types.ts';

export const PART_SIZE = 8 * 1024 * 1024;
export const QUEUE_SIZE = 4;

/** `client`: a caller-owned client (tests, the CLI's shared one); otherwise one is made and destroyed here. */
export function openS3Scheme(env: Env, client?: S3Client): SchemeSession {
  let own: S3Client | undefined;
  const s3 = (): S3Client => client ?? (own ??= createS3Client(env));
  return {
    stage: (req) => stageS3(req, s3()),
    target: (req) => openS3Target(req, s3()),
    close: async () => {
      own?.destroy();
      own = undefined;
    },
  };
}

interface S3Object {
  key: string;
  /** Path below destDir, '/'-separated. */
  rel: string;
}

function s3Fail(field: string, uri: string, bucket: string, err: unknown): StageError {
  const f = describeS3Failure(err);
  let msg: string;
  if (f.code === 'NoSuchBucket') {
    msg = `${uri} does not exist (NoSuchBucket: there is no bucket "${bucket}")`;
  } else if (f.code === 'NoSuchKey' || f.code === 'NotFound') {
    msg = `${uri} does not exist (${f.code})`;
  } else if (f.code === 'AccessDenied' || f.status === 403) {
    msg = `access denied to ${uri} (${f.code}); check the runner's credentials and the bucket policy`;
  } else {
    msg = `cannot read ${uri}: ${f.code}: ${f.message}`;
  }
  return new StageError(`${field}: ${msg}`, field, { cause: err });
}

async function stageS3(opts: StageRequest, s3: S3Client): Promise<StagedFiles> {
  const { field } = opts;
  const uri = opts.uri;
  let bucket: string;
  let key: string;
  try {
    ({ bucket, key } = parseS3Uri(uri));
  } catch (err) {
    throw new StageError(`${field}: ${(err as Error).message}`, field, { cause: err });
  }

  let objects: S3Object[];
  let from: string;
  const split = splitAtGlob(key.split('/'));
  if (!split) {
    if (key === '' || key.endsWith('/')) {
      const dir = uri.endsWith('/') ? uri : `${uri}/`;
      throw new StageError(
        `${field}: "${uri}" names a prefix, not an object; add a glob, e.g. "${dir}*.parquet" or "${dir}**"`,
        field,
      );
    }
    objects = [{ key, rel: path.posix.basename(key) }];
    from = uri;
  } else {
    const dirPrefix = split.literal.map((s) => `${s}/`).join('');
    const first = split.pattern[0] ?? '';
    const listPrefix = dirPrefix + literalLead(first);
    const matches = picomatch(split.pattern.join('/'));
    objects = [];
    let listed = 0;
    try {
      const pages = paginateListObjectsV2(
        { client: s3, ...(opts.listPageSize ? { pageSize: opts.listPageSize } : {}) },
        { Bucket: bucket, Prefix: listPrefix },
      );
      for await (const page of pages) {
        for (const obj of page.Contents ?? []) {
          listed++;
          const k = obj.Key;
          // Keys ending in "/" are console-made folder markers, not data.
          if (!k || k.endsWith('/') || !k.startsWith(dirPrefix)) continue;
          const rel = k.slice(dirPrefix.length);
          if (matches(rel)) objects.push({ key: k, rel });
        }
      }
    } catch (err) {
      throw s3Fail(field, formatS3Uri(bucket, listPrefix), bucket, err);
    }
    from = formatS3Uri(bucket, dirPrefix);
    if (objects.length === 0) {
      throw new StageError(
        `${field}: no object matches "${uri}" (${plural(listed, 'key')} listed under ${formatS3Uri(bucket, listPrefix)})`,
        field,
      );
    }
  }

  const destRoot = path.resolve(opts.destDir);
  const targets = new Map<string, S3Object>();
  for (const obj of objects) {
    const dest = path.join(destRoot, ...obj.rel.split('/'));
    const inside = path.relative(destRoot, dest);
    if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new StageError(
        `${field}: object key "${obj.key}" would be written outside the staging directory; rename it or narrow the glob`,
        field,
      );
    }
    const clash = targets.get(dest);
    if (clash) {
      throw new StageError(
        `${field}: keys "${clash.key}" and "${obj.key}" map to the same local file ${dest}`,
        field,
      );
    }
    targets.set(dest, obj);
  }

  await mkdir(destRoot, { recursive: true });
  let bytes = 0;
  await forEachLimit([...targets], opts.concurrency, async ([dest, obj], signal) => {
    const objectUri = formatS3Uri(bucket, obj.key);
    try {
      const size = await downloadObject(s3, bucket, obj.key, dest, signal);
      bytes += size;
    } catch (err) {
      if (err instanceof StageError) throw err;
      if (signal.aborted) throw err;
      throw s3Fail(field, objectUri, bucket, err);
    }
  });

  const files = [...targets.keys()].sort();
  opts.onProgress?.(summarize(files, bytes, 'object', from));
  return { files, bytes };
}

async function downloadObject(
  s3: S3Client,
  bucket: string,
  key: string,
  dest: string,
  signal: AbortSignal,
): Promise<number> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const body = out.Body;
  if (!(body instanceof Readable)) throw new Error(`GetObject for ${key} returned no readable stream`);
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await pipeline(body, createWriteStream(dest), { signal });
  } catch (err) {
    body.destroy();
    await rm(dest, { force: true });
    throw err;
  }
  const size = (await stat(dest)).size;
  if (out.ContentLength !== undefined && size !== out.ContentLength) {
    await rm(dest, { force: true });
    throw new Error(`download of ${key} was cut short: ${size} of ${out.ContentLength} bytes`);
  }
  return size;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.parquet': 'application/vnd.apache.parquet',
  '.gz': 'application/gzip',
};

function s3Cause(err: unknown, bucket: string): string {
  const f = describeS3Failure(err);
  if (f.code === 'NoSuchBucket') return `bucket "${bucket}" does not exist (NoSuchBucket)`;
  if (f.code === 'AccessDenied') return `access denied (AccessDenied); check the runner's credentials and the bucket policy`;
  return `${f.code}: ${f.message}`;
}

/** An s3:// prefix as a publish target. No temporary names: an upload (multipart or not) becomes visible whole or not at all. */
async function openS3Target(req: PublishTargetRequest, s3: S3Client): Promise<PublishSteps> {
  const { bucket, key } = parseS3Uri(req.targetUri);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  return {
    uri: formatS3Uri(bucket, prefix),
    at: (name) => formatS3Uri(bucket, prefix + name),
    read: async (name) => {
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + name }));
        return (await got.Body?.transformToString('utf8')) ?? '';
      } catch (err) {
        // Only the store's own "no such key" is absence; AccessDenied (which a store also
        // answers for a missing key when ListBucket is not granted) is a refusal.
        if (describeS3Failure(err).code === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    remove: async (name) => {
      // Deleting needs s3:DeleteObject, which a narrowly scoped runner may lack: then go on,
      // since the new summary still lands last and replaces the old one whole.
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + name }));
      } catch (err) {
        if (describeS3Failure(err).code !== 'AccessDenied') throw err;
        return `could not remove the previous ${name} (AccessDenied); continuing`;
      }
      return undefined;
    },
    put: async (src, name) => {
      const contentType = CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
      await new Upload({
        client: s3,
        params: { Bucket: bucket, Key: prefix + name, Body: createReadStream(src), ContentType: contentType },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
      }).done();
    },
    explain: (err) => s3Cause(err, bucket),
    close: async () => {},
  };
}
