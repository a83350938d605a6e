// The contract every URI scheme implements (docs/design.md, Sources and sinks: "one module each behind one
// interface"). A scheme module stages a URI into local files and, when it can be a
// target, publishes result files to it. Each module owns its client's lifecycle: a
// session opened for a run creates clients lazily and `close()` releases them.
// Pure types and the error class only; no I/O here.

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
  /** Set when the scheme chose the format (database sources write Parquet). */
  format?: 'parquet';
}

export type Env = Record<string, string | undefined>;

/** Connection options a source or target carries next to its URI (the spec's per-scheme blocks). */
export interface SftpOptions {
  passwordEnv?: string | undefined;
  privateKeyEnv?: string | undefined;
  passphraseEnv?: string | undefined;
  knownHosts?: string | undefined;
  knownHostsEnv?: string | undefined;
  insecureIgnoreHostKey?: boolean | undefined;
}

export interface FtpOptions {
  passwordEnv?: string | undefined;
  caEnv?: string | undefined;
  implicitTls?: boolean | undefined;
  insecureSkipTlsVerify?: boolean | undefined;
}

export interface DatabaseOptions {
  tls?: { mode?: 'disable' | 'require' | 'verify-full' | undefined; caEnv?: string | undefined } | undefined;
  /** Rows fetched per round trip; bounds memory. */
  fetchSize?: number | undefined;
}

export interface ConnectionOptions {
  sftp?: SftpOptions | undefined;
  ftp?: FtpOptions | undefined;
  database?: DatabaseOptions | undefined;
}

export interface StageRequest extends ConnectionOptions {
  uri: string;
  /** Where the URI came from, e.g. `spec.left.uri`; every error message starts with it. */
  field: string;
  /** Relative local paths resolve against this (the manifest's directory). */
  baseDir: string;
  /** Downloads land here (created by the dispatch; empty); local files are used in place. */
  destDir: string;
  env: Env;
  /** Parallel downloads where a scheme supports them; default 8. */
  concurrency: number;
  /** Keys per ListObjectsV2 page (S3); the store's maximum unless set. */
  listPageSize?: number | undefined;
  /** Database sources: the side's query with `$n`/`?` placeholders, and their values. */
  query?: { sql: string; params: string[]; field: string } | undefined;
  /** Spill directory and memory limit for schemes that convert (database → Parquet). */
  memoryLimit?: string | undefined;
  onProgress?: ((msg: string) => void) | undefined;
}

export interface PublishItem {
  /** Name relative to the target, may contain "/". */
  name: string;
  /** Local absolute path. */
  src: string;
  size: number;
}

/** What a scheme needs to open a publish target. */
export interface PublishTargetRequest extends ConnectionOptions {
  targetUri: string;
  env: Env;
}

/**
 * One scheme's small steps over an open target; output/commit.ts runs the one commit
 * sequence (read, guard, remove, put under temporary names, rename, summary last) over them.
 * Steps throw the client's own errors; `explain` turns one into the scheme's words.
 */
export interface PublishSteps {
  /** The directory (absolute path) or URI prefix (ending in "/") the results land in. */
  readonly uri: string;
  /** Where one relative name lands (a path or a URI). */
  at(name: string): string;
  /**
   * The text of `name`, or undefined only when the server positively says it does not
   * exist (ENOENT, NoSuchKey, SFTP NO_SUCH_FILE, absent from the FTP listing). Any other
   * failure throws: a read error is never "nothing there".
   */
  read(name: string): Promise<string | undefined>;
  /** Removes `name`; absent is fine. Returns a note when it was skipped on purpose. */
  remove(name: string): Promise<string | undefined>;
  /** Uploads a local file to `name`, making parent directories. */
  put(src: string, name: string): Promise<void>;
  /**
   * Renames within the target, replacing what is there in one step. Absent when `put` is
   * itself all-or-nothing (an S3 object appears whole or not at all), so nothing needs a
   * temporary name.
   */
  rename?(from: string, to: string): Promise<void>;
  /** The scheme's one-line description of a failure reading or writing `name`. */
  explain(err: unknown, name: string, op: 'read' | 'write'): string;
  close(): Promise<void>;
}

export interface PublishedResults {
  /** The directory (absolute path) or URI prefix (ending in "/") the results are in. */
  uri: string;
  files: string[];
  summaryUri: string;
}

/** One open scheme: what a run uses, then closes. */
export interface SchemeSession {
  stage?(req: StageRequest): Promise<StagedFiles>;
  /** Opens a publish target (file, s3, sftp, ftp); the caller closes the steps. */
  target?(req: PublishTargetRequest): Promise<PublishSteps>;
  close(): Promise<void>;
}
