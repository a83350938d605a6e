// https:// (and http://) sources: one GET per URI, no globs; query strings and user info
// (presigned signatures) never appear in messages.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { summarize } from './glob.ts';
import { StageError, type SchemeSession, type StageRequest, type StagedFiles } from './types.ts';

export function openHttpsScheme(): SchemeSession {
  return { stage: stageHttp, close: async () => {} };
}

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

async function stageHttp(opts: StageRequest): Promise<StagedFiles> {
  const { field } = opts;
  const uri = opts.uri;
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
