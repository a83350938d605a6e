// Staging one source URI into local files: the entry point for callers that stage a single
// URI (tests, tools). A run stages through one `Transports` (schemes.ts) so clients are
// shared across its inputs and closed at its end.
import type { S3Client } from '@aws-sdk/client-s3';
import { Transports } from './schemes.ts';
import type { ConnectionOptions, Env, StageRequest, StagedFiles } from './types.ts';

export { StageError, type StagedFiles } from './types.ts';

export interface StageOptions extends ConnectionOptions {
  uri: string;
  /** Where the URI came from, e.g. `spec.left.uri`; every error message starts with it. */
  field: string;
  /** Relative local paths resolve against this (the manifest's directory). */
  baseDir: string;
  /** Downloads land here; local files are used in place. */
  destDir: string;
  s3?: S3Client;
  /** Credentials and endpoints come from here; default process.env. */
  env?: Env;
  /** Parallel downloads; default 8. */
  concurrency?: number;
  /** Keys per ListObjectsV2 page; S3's maximum (1000) unless set. */
  listPageSize?: number;
  query?: StageRequest['query'];
  onProgress?: (msg: string) => void;
}

export async function stageSource(opts: StageOptions): Promise<StagedFiles> {
  const { s3, env, ...req } = opts;
  const t = new Transports(env ?? process.env, { s3 });
  try {
    return await t.stage(req);
  } finally {
    await t.close();
  }
}
