// Publishing a run's files to its target, summary.json last (the commit marker). The
// checks here are the same for every scheme; the writing is the scheme module's.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errorText } from '../stage/publish-text.ts';
import { Transports } from '../stage/schemes.ts';
import { commitResults } from './commit.ts';
import type { ConnectionOptions, Env, PublishItem, PublishedResults } from '../stage/types.ts';

export type { PublishedResults } from '../stage/types.ts';

export interface PublishOptions extends ConnectionOptions {
  localDir: string;
  /** Names relative to localDir (may contain "/"), in upload order. */
  files: string[];
  /** Name relative to localDir; published last because readers treat it as the commit marker. */
  summaryFile: string;
  /** A local directory (path or file:// URL), s3://bucket/prefix, sftp:// or ftp(s):// (trailing slash optional). */
  targetUri: string;
  /** A run's open transports (shares clients with staging); else opened and closed here. */
  transports?: Transports;
  env?: Env;
  onProgress?: (m: string) => void;
  /** Refuses the publish given the summary.json already at the target (overwrite-guard.ts). */
  guard?: (existingSummary: string | undefined) => void;
}


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

type Item = PublishItem;

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

  const own = opts.transports ? undefined : new Transports(opts.env ?? process.env);
  const transports = opts.transports ?? (own as Transports);
  try {
    let steps;
    try {
      steps = await transports.target({ targetUri: opts.targetUri, sftp: opts.sftp, ftp: opts.ftp });
    } catch (err) {
      throw fail(errorText(err), err);
    }
    try {
      return await commitResults(steps, { items, summary, guard: opts.guard, onProgress: opts.onProgress, fail });
    } finally {
      await steps.close();
    }
  } finally {
    await own?.close();
  }
}
