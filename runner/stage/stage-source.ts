import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import picomatch from 'picomatch';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as S3Settings from './s3-client.ts';
import { formatBytes, plural } from './bytes.ts';

/** A staging failure a user can act on; `message` already starts with `field`. */
export class StageError extends Error {
  override readonly name = 'StageError';
  constructor(
    message: string,
    readonly field: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface StagedFiles {
  /** Absolute local paths, sorted. */
  files: string[];
  bytes: number;
}

export interface StageOptions {
  uri: string;
  /** Where the URI came from, e.g. `spec.left.uri`; every error message starts with it. */
  field: string;
  /** Relative local paths resolve against this (the manifest's directory). */
  baseDir: string;
  /** Downloads land here; local files are used in place. */
  destDir: string;
  s3?: S3Client;
  /** Parallel S3 downloads; default 8. */
  concurrency?: number;
  /** Keys per ListObjectsV2 page; S3's maximum (1000) unless set. */
  listPageSize?: number;
  onProgress?: (msg: string) => void;
}

const DEFAULT_CONCURRENCY = 8;

export async function stageSource(opts: StageOptions): Promise<StagedFiles> {
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const uri = opts.uri.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 's3') {
    // The AWS SDK takes ~0.1 s of CPU to import; only s3:// sources pay for it.
    const lib: S3Lib = { sdk: await import('@aws-sdk/client-s3'), client: await import('./s3-client.ts') };
    const s3 = opts.s3 ?? lib.client.createS3Client();
    try {
      return await stageS3(uri, { ...opts, concurrency }, s3, lib);
    } finally {
      if (!opts.s3) s3.destroy();
    }
  }
  if (scheme === 'http' || scheme === 'https') return stageHttp(uri, opts);
  if (scheme === 'file' || scheme === undefined) return stageLocal(uri, opts);
  throw new StageError(
    `${opts.field}: unsupported URI scheme "${scheme}://" in "${uri}" (use a file path, file://, s3:// or https://)`,
    opts.field,
  );
}

// ---------------------------------------------------------------------------------------
// Globs

function isGlobSegment(segment: string): boolean {
  return picomatch.scan(segment).isGlob;
}

/** Splits at the first segment with a glob, as `ls` would: the part before it is a plain path. */
function splitAtGlob(segments: string[]): { literal: string[]; pattern: string[] } | undefined {
  const i = segments.findIndex(isGlobSegment);
  if (i === -1) return undefined;
  return { literal: segments.slice(0, i), pattern: segments.slice(i) };
}

/** The plain characters a glob segment starts with, so S3 listings can be narrowed by them too. */
function literalLead(segment: string): string {
  const i = segment.search(/[*?[\]{}()!+@\\]/);
  return i === -1 ? segment : segment.slice(0, i);
}

function summarize(files: string[], bytes: number, noun: string, from: string): string {
  return `staged ${plural(files.length, noun)} (${formatBytes(bytes)}) from ${from}`;
}

// ---------------------------------------------------------------------------------------
// Local files

function localPath(uri: string, opts: StageOptions): string {
  if (!/^file:\/\//i.test(uri)) return path.resolve(opts.baseDir, uri);
  // Not `fileURLToPath`: a `?` glob would be parsed as the URL's query.
  let rest = uri.slice('file://'.length);
  if (rest.toLowerCase().startsWith('localhost/')) rest = rest.slice('localhost'.length);
  if (!rest.startsWith('/')) {
    throw new StageError(`${opts.field}: "${uri}" is not an absolute file:// URL (expected file:///path)`, opts.field);
  }
  try {
    return path.resolve(decodeURIComponent(rest));
  } catch {
    return path.resolve(rest);
  }
}

async function stageLocal(uri: string, opts: StageOptions): Promise<StagedFiles> {
  const abs = localPath(uri, opts);
  const split = splitAtGlob(abs.split('/'));
  let files: string[];
  let lookedIn: string;
  if (!split) {
    lookedIn = path.dirname(abs);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isDirectory()) {
      throw new StageError(
        `${opts.field}: "${uri}" is a directory (${abs}); name the files, e.g. "${path.posix.join(uri, '*.csv')}"`,
        opts.field,
      );
    }
    files = st?.isFile() ? [abs] : [];
  } else {
    lookedIn = split.literal.join('/') || '/';
    files = await walkGlob(lookedIn, split.pattern);
  }
  if (files.length === 0) {
    throw new StageError(`${opts.field}: no file matches "${uri}" (looked in ${lookedIn})`, opts.field);
  }
  files.sort();
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  opts.onProgress?.(summarize(files, bytes, 'file', lookedIn));
  return { files, bytes };
}

async function walkGlob(root: string, pattern: string[]): Promise<string[]> {
  const matches = picomatch(pattern.join('/'));
  const globstar = pattern.some((s) => s.includes('**'));
  // Without `**` the pattern fixes the depth and each directory level can be pruned by its
  // own segment, so `data/*/2024/*.csv` never walks unrelated trees.
  const segmentMatchers = globstar ? undefined : pattern.map((s) => picomatch(s));
  const found: string[] = [];

  const visit = async (dir: string, rel: string[]): Promise<void> => {
    const depth = rel.length;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? err.code : undefined;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      const segMatch = segmentMatchers?.[depth];
      if (segmentMatchers && !segMatch?.(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const relPath = [...rel, entry.name];
      let isFile = entry.isFile();
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined);
        isFile = target?.isFile() ?? false;
        // With `**` a symlinked directory could loop forever; with a fixed depth it cannot.
        isDir = !globstar && (target?.isDirectory() ?? false);
      }
      if (isFile && matches(relPath.join('/'))) found.push(full);
      if (isDir && (globstar || depth + 1 < pattern.length)) await visit(full, relPath);
    }
  };

  await visit(root, []);
  return found;
}

// ---------------------------------------------------------------------------------------
// S3

/** The lazily imported S3 modules, handed to the functions below. */
interface S3Lib {
  sdk: typeof S3Sdk;
  client: typeof S3Settings;
}

interface S3Object {
  key: string;
  /** Path below destDir, '/'-separated. */
  rel: string;
}

function s3Fail(lib: S3Lib, field: string, uri: string, bucket: string, err: unknown): StageError {
  const f = lib.client.describeS3Failure(err);
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

async function stageS3(uri: string, opts: StageOptions & { concurrency: number }, s3: S3Client, lib: S3Lib): Promise<StagedFiles> {
  const { field } = opts;
  const { parseS3Uri, formatS3Uri } = lib.client;
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
      const pages = lib.sdk.paginateListObjectsV2(
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
      throw s3Fail(lib, field, formatS3Uri(bucket, listPrefix), bucket, err);
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
      const size = await downloadObject(lib, s3, bucket, obj.key, dest, signal);
      bytes += size;
    } catch (err) {
      if (err instanceof StageError) throw err;
      if (signal.aborted) throw err;
      throw s3Fail(lib, field, objectUri, bucket, err);
    }
  });

  const files = [...targets.keys()].sort();
  opts.onProgress?.(summarize(files, bytes, 'object', from));
  return { files, bytes };
}

async function downloadObject(
  lib: S3Lib,
  s3: S3Client,
  bucket: string,
  key: string,
  dest: string,
  signal: AbortSignal,
): Promise<number> {
  const out = await s3.send(new lib.sdk.GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
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

/**
 * Runs `fn` over `items` with at most `limit` in flight. The first failure stops new work
 * and aborts the rest through `signal`, so a bad object does not wait for a large batch.
 */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item, controller.signal);
      } catch (error) {
        if (!failure) {
          failure = { error };
          controller.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

// ---------------------------------------------------------------------------------------
// HTTP(S)

/** Drops the query and user info: presigned URLs carry their signature there. */
function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function fileNameFromUrl(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  name = name.replace(/[/\\\0]/g, '_');
  return name === '' || name === '.' || name === '..' ? 'download' : name;
}

function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = err.cause;
  if (cause instanceof Error) {
    const code = 'code' in cause ? ` (${String(cause.code)})` : '';
    return `${err.message}: ${cause.message}${code}`;
  }
  return err.message;
}

async function stageHttp(uri: string, opts: StageOptions): Promise<StagedFiles> {
  const { field } = opts;
  let url: URL;
  try {
    url = new URL(uri);
  } catch (err) {
    throw new StageError(`${field}: "${uri}" is not a valid URL`, field, { cause: err });
  }
  const shown = safeUrl(url);
  if (url.pathname.includes('*')) {
    throw new StageError(`${field}: globs are not supported for http(s) URLs (${shown}); list each file`, field);
  }

  let res: Response;
  try {
    // identity: fetch would otherwise gunzip a `.csv.gz` served with Content-Encoding: gzip,
    // leaving plain text under a .gz name for the reader to choke on.
    res = await fetch(url, { headers: { 'accept-encoding': 'identity' }, redirect: 'follow' });
  } catch (err) {
    throw new StageError(`${field}: cannot download ${shown}: ${causeText(err)}`, field, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new StageError(
      `${field}: GET ${shown} returned HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
      field,
    );
  }

  const destRoot = path.resolve(opts.destDir);
  const dest = path.join(destRoot, fileNameFromUrl(url));
  await mkdir(destRoot, { recursive: true });
  try {
    // The DOM and node:stream/web ReadableStream types differ only nominally in @types/node 20.
    const body = res.body
      ? Readable.fromWeb(res.body as unknown as NodeWebReadableStream<Uint8Array>)
      : Readable.from([]);
    await pipeline(body, createWriteStream(dest));
  } catch (err) {
    await rm(dest, { force: true });
    throw new StageError(`${field}: download of ${shown} failed: ${causeText(err)}`, field, { cause: err });
  }
  const bytes = (await stat(dest)).size;
  opts.onProgress?.(summarize([dest], bytes, 'file', shown));
  return { files: [dest], bytes };
}
