// The one dispatch from a URI to its scheme module (docs/design.md, Sources and sinks). Everything that needs to
// know "is this S3, SFTP, a database...?" asks `schemeOf`; everything that stages or
// publishes goes through a `Transports`, which opens each scheme's session on first use
// (the heavier clients are imported only then) and closes them all at the end of a run.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { openFileScheme } from './file.ts';
import { openHttpsScheme } from './https.ts';
import { StageError, type Env, type PublishSteps, type PublishTargetRequest, type SchemeSession, type StageRequest, type StagedFiles } from './types.ts';

export const SCHEMES = ['file', 's3', 'https', 'sftp', 'ftp', 'postgres', 'mysql'] as const;
export type SchemeName = (typeof SCHEMES)[number];

const ALIASES: Record<string, SchemeName> = {
  file: 'file',
  s3: 's3',
  http: 'https',
  https: 'https',
  sftp: 'sftp',
  ftp: 'ftp',
  ftps: 'ftp',
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
};

/** The URI's scheme as written (lower case), or undefined for a plain path. */
export function rawScheme(uri: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri.trim())?.[1]?.toLowerCase();
}

/** Which module handles `uri`: a plain path is `file`; an unknown scheme is undefined. */
export function schemeOf(uri: string): SchemeName | undefined {
  const raw = rawScheme(uri);
  return raw === undefined ? 'file' : ALIASES[raw];
}

/** Schemes whose targets are addressed by URI (not a local path), e.g. for result locations. */
export function isRemote(uri: string): boolean {
  const s = schemeOf(uri);
  return s !== undefined && s !== 'file';
}

export function isDatabase(uri: string): boolean {
  const s = schemeOf(uri);
  return s === 'postgres' || s === 'mysql';
}

const SOURCE_HINT = 'use a file path, file://, s3://, https://, sftp://, ftp://, ftps://, postgres:// or mysql://';
const TARGET_SCHEMES: ReadonlySet<SchemeName> = new Set(['file', 's3', 'sftp', 'ftp']);

export interface TransportClients {
  /** A caller-owned S3 client (not destroyed by close). */
  s3?: S3Client | undefined;
}

export class Transports {
  private readonly sessions = new Map<SchemeName, Promise<SchemeSession>>();

  constructor(
    private readonly env: Env,
    private readonly clients: TransportClients = {},
  ) {}

  private open(name: SchemeName): Promise<SchemeSession> {
    let s = this.sessions.get(name);
    if (!s) {
      s = openScheme(name, this.env, this.clients);
      this.sessions.set(name, s);
    }
    return s;
  }

  /**
   * Stages one URI. Downloads land in a sibling temp directory renamed to `destDir` only when
   * every file arrived, so a failure part-way leaves nothing half-staged.
   */
  async stage(req: Omit<StageRequest, 'env' | 'concurrency'> & { concurrency?: number | undefined }): Promise<StagedFiles> {
    const concurrency = req.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const uri = req.uri.trim();
    const name = schemeOf(uri);
    if (!name) {
      throw new StageError(`${req.field}: unsupported URI scheme "${rawScheme(uri)}://" in "${uri}" (${SOURCE_HINT})`, req.field);
    }
    const session = await this.open(name);
    if (!session.stage) throw new StageError(`${req.field}: ${name} URIs cannot be read`, req.field);
    const destDir = path.resolve(req.destDir);
    const tmp = path.join(path.dirname(destDir), `.${path.basename(destDir)}.staging-${randomUUID().slice(0, 8)}`);
    await mkdir(tmp, { recursive: true });
    try {
      const staged = await session.stage({ ...req, uri, concurrency, destDir: tmp, env: this.env });
      await moveInto(tmp, destDir);
      const files = staged.files.map((f) => (f.startsWith(tmp + path.sep) ? destDir + f.slice(tmp.length) : f)).sort();
      return { ...staged, files };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Opens a publish target's steps (output/commit.ts runs them); the caller closes them. */
  async target(req: Omit<PublishTargetRequest, 'env'>): Promise<PublishSteps> {
    const name = schemeOf(req.targetUri);
    if (!name || !TARGET_SCHEMES.has(name)) {
      throw new Error('only local directories, file://, s3://, sftp://, ftp:// and ftps:// targets are supported');
    }
    const session = await this.open(name);
    if (!session.target) throw new Error(`${name} is not a valid target`);
    return session.target({ ...req, env: this.env });
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.close().catch(() => undefined);
  }
}

async function moveInto(tmp: string, destDir: string): Promise<void> {
  const entries = await readdir(tmp);
  if (entries.length === 0) return; // local files are used in place; nothing to move
  // An empty destDir (made by a caller) is replaced; a non-empty one is never merged into.
  await rmdir(destDir).catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  });
  await mkdir(path.dirname(destDir), { recursive: true });
  await rename(tmp, destDir);
}

async function openScheme(name: SchemeName, env: Env, clients: TransportClients): Promise<SchemeSession> {
  switch (name) {
    case 'file':
      return openFileScheme();
    case 'https':
      return openHttpsScheme();
    // Loaded on first use: `raas --help`, the operator (which imports schemeOf) and local runs
    // never load the AWS SDK, ssh2, the FTP client or the database drivers.
    case 's3':
      return (await import('./s3.ts')).openS3Scheme(env, clients.s3);
    case 'sftp':
      return (await import('./sftp.ts')).openSftpScheme();
    case 'ftp':
      return (await import('./ftp.ts')).openFtpScheme();
    case 'postgres':
    case 'mysql':
      return (await import('./database.ts')).openDatabaseScheme(name);
  }
}
