// Reading a run's results where the runner wrote them: s3:// through the runner's S3
// client (the standard AWS_* settings), or local paths under the directories the web
// server is told to trust (a status is data; a path in it must not open /etc/passwd).
// Rows are read with DuckDB from a local copy of each result file.
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { quoteIdent, quoteLiteral } from '../../../runner/compare/sql-text.ts';
import { createS3Client, parseS3Uri, type Env } from '../../../runner/stage/s3-client.ts';
import { mismatchedListSql } from './mismatched.ts';
import { breakListSql, breakRowSql, type BreakQuery, type BreakSource, type ResultColumn } from './break-query.ts';
import type { BreakWork } from './breaks.ts';

export class ResultError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ResultsOptions {
  /** Environment for the S3 client (AWS_*); default process.env. */
  s3Env?: Env;
  /** Local directories whose files may be served (RAAS_WEB_LOCAL_ROOTS); default none. */
  localRoots?: string[];
  /** Where S3 result files are copied for DuckDB; default a fresh temp directory. */
  cacheDir?: string;
  /** At most this many cached copies are kept (oldest removed first). Default 16. */
  maxCached?: number;
}

export const RECON_STATUSES = ['match', 'mismatch', 'left_only', 'right_only', 'duplicate'] as const;
export type ReconStatus = (typeof RECON_STATUSES)[number];

export interface RowQuery {
  statuses?: ReconStatus[];
  column?: string;
  limit: number;
  offset: number;
}

export interface RowPage {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, string | string[] | null>>;
  total: number;
}

export interface SummaryFile {
  uri: string;
  summary: Record<string, unknown>;
}

export interface Results {
  /** The bytes of one result file, streamed. */
  open(uri: string): Promise<{ body: Readable; size?: number }>;
  readJson(uri: string): Promise<Record<string, unknown>>;
  rows(uris: string[], q: RowQuery): Promise<RowPage>;
  /** The run's breaks, filtered, sorted and paged (break-query.ts), every value as text. */
  breaks(uris: string[], source: (columns: ResultColumn[]) => BreakSource, work: readonly BreakWork[], q: BreakQuery): Promise<RowPage>;
  /** The fingerprint of one break in the run, or undefined when the run has no such break. */
  breakFingerprint(uris: string[], source: (columns: ResultColumn[]) => BreakSource, id: string): Promise<string | undefined>;
  /** Every summary.json under a prefix (newest key last), at most `max`. */
  summaries(prefix: string, max: number): Promise<SummaryFile[]>;
  close(): Promise<void>;
}

const isS3 = (uri: string) => /^s3:\/\//i.test(uri);


export function openResults(o: ResultsOptions = {}): Results {
  let s3: S3Client | undefined;
  const client = () => (s3 ??= createS3Client(o.s3Env ?? process.env));
  const roots = (o.localRoots ?? []).map((r) => resolve(r));
  let cacheDir: Promise<string> | undefined;
  const cache = () => (cacheDir ??= o.cacheDir ? mkdir(o.cacheDir, { recursive: true }).then(() => o.cacheDir!) : mkdtemp(join(tmpdir(), 'raas-web-')));
  const maxCached = o.maxCached ?? 16;
  let duck: Promise<DuckDBInstance> | undefined;
  const instance = () =>
    (duck ??= DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' }));
  /**
   * The rows of each statement, each on a connection of its own: a DuckDB connection runs
   * one query at a time, and concurrent requests (or a page and its count) sharing one
   * connection can read each other's half-fetched results.
   */
  async function query(...sql: string[]): Promise<Array<Array<Record<string, unknown>>>> {
    const inst = await instance();
    return Promise.all(
      sql.map(async (text) => {
        const conn = await inst.connect();
        try {
          return (await conn.runAndReadAll(text)).getRowObjectsJson() as Array<Record<string, unknown>>;
        } finally {
          conn.closeSync();
        }
      }),
    );
  }

  /** A local path inside a trusted root (symlinks resolved), or a 403/404. */
  async function localPath(uri: string): Promise<string> {
    const p = uri.replace(/^file:\/\//, '');
    if (!isAbsolute(p)) throw new ResultError(403, `the result location ${uri} is not an absolute path or s3:// URI; the web server does not serve it`);
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      throw new ResultError(404, 'the result file is gone (removed by a lifecycle rule or moved)');
    }
    const inside = roots.some((root) => {
      const rel = relative(root, real);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
    });
    if (!inside) throw new ResultError(403, 'the result location is outside the directories this web server serves (RAAS_WEB_LOCAL_ROOTS)');
    return real;
  }

  function s3Error(err: unknown): never {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) throw new ResultError(404, 'the result file is gone (removed by a lifecycle rule or moved)');
    throw new ResultError(502, `the object store refused the read: ${(err as Error).message}`);
  }

  /** Cached copies of S3 objects: the file, and how many reads have it open now. */
  const copies = new Map<string, { file: Promise<string>; readers: number }>();

  /**
   * A local file DuckDB can read: the path itself, or a cached copy keyed by URI and ETag,
   * held until `release` so that evicting it for a newer copy never pulls it from under a
   * query that still reads it.
   */
  async function local(uri: string): Promise<{ file: string; release: () => void }> {
    if (!isS3(uri)) return { file: await localPath(uri), release: () => undefined };
    const { bucket, key } = parseS3Uri(uri);
    const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(s3Error);
    // A rerun of the same window writes the same keys again: the ETag tells the copies apart.
    const id = createHash('sha256').update(`${uri}\u0000${head.ETag ?? ''}`).digest('hex').slice(0, 32);
    let entry = copies.get(id);
    if (!entry) {
      const file = (async () => {
        const dir = await cache();
        const ext = /\.csv(\.gz)?$/i.exec(key)?.[0] ?? (/\.parquet$/i.test(key) ? '.parquet' : '');
        const dest = join(dir, `${id}${ext.toLowerCase()}`);
        const res = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(s3Error);
        await pipeline(res.Body as Readable, createWriteStream(`${dest}.part`));
        await rename(`${dest}.part`, dest);
        return dest;
      })();
      entry = { file, readers: 0 };
      copies.set(id, entry);
      file.catch(() => copies.delete(id));
    }
    const held = entry;
    held.readers++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.readers--;
      evict();
    };
    try {
      const file = await held.file;
      evict();
      return { file, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Drops the oldest copies nobody reads beyond maxCached (a copy in use waits for its release). */
  function evict(): void {
    for (const [id, entry] of copies) {
      if (copies.size <= maxCached) return;
      if (entry.readers > 0) continue;
      copies.delete(id);
      void entry.file.then((f) => rm(f, { force: true })).catch(() => undefined);
    }
  }

  interface Table {
    source: string;
    columns: ResultColumn[];
    csv: boolean;
  }

  /**
   * Runs `use` over a DuckDB table expression of the result files and their columns; the
   * files (cached S3 copies) stay on disk until it returns.
   */
  async function withTable<T>(uris: string[], use: (t: Table) => Promise<T>): Promise<T> {
    const held = await Promise.allSettled(uris.map(local));
    const release = () => held.forEach((h) => h.status === 'fulfilled' && h.value.release());
    try {
      const failed = held.find((h): h is PromiseRejectedResult => h.status === 'rejected');
      if (failed) throw failed.reason;
      const files = held.map((h) => (h as PromiseFulfilledResult<{ file: string }>).value.file);
      const csv = files.every((f) => /\.csv(\.gz)?$/i.test(f));
      const list = `[${files.map(quoteLiteral).join(', ')}]`;
      // CSV stays text (all_varchar): a decimal is returned exactly as the runner wrote it.
      const source = csv ? `read_csv(${list}, all_varchar = true, header = true)` : `read_parquet(${list})`;
      const [describe] = (await query(`DESCRIBE SELECT * FROM ${source}`)) as [Array<{ column_name: string; column_type: string }>];
      return await use({ source, csv, columns: describe.map((d) => ({ name: String(d.column_name), type: String(d.column_type) })) });
    } finally {
      release();
    }
  }

  return {
    async breaks(uris, make, work, q) {
      if (!uris.length) return { columns: [], rows: [], total: 0 };
      return withTable(uris, async ({ source, columns, csv }) => {
        const { select, count } = breakListSql(source, make(columns), work, q);
        const [page, n] = await query(select, count);
        return {
          columns: columns.map((c) => ({ name: c.name, type: csv ? 'VARCHAR' : c.type })),
          rows: page as Array<Record<string, string | string[] | null>>,
          total: Number((n![0] as { n: string }).n),
        };
      });
    },

    async breakFingerprint(uris, make, id) {
      if (!uris.length) return undefined;
      return withTable(uris, async ({ source, columns }) => {
        const [rows] = (await query(breakRowSql(source, make(columns), id))) as [Array<{ b_fp: string }>];
        return rows[0]?.b_fp;
      });
    },

    async open(uri) {
      if (isS3(uri)) {
        const { bucket, key } = parseS3Uri(uri);
        const res = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(s3Error);
        return { body: res.Body as Readable, ...(res.ContentLength !== undefined ? { size: res.ContentLength } : {}) };
      }
      const p = await localPath(uri);
      return { body: createReadStream(p), size: (await stat(p)).size };
    },

    async readJson(uri) {
      const { body } = await this.open(uri);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of body) {
        size += (c as Buffer).length;
        if (size > 16 * 1024 * 1024) throw new ResultError(502, `${uri} is larger than 16 MiB; not a summary.json`);
        chunks.push(c as Buffer);
      }
      try {
        return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new ResultError(502, `${uri} is not valid JSON`);
      }
    },

    async rows(uris, q) {
      if (!uris.length) return { columns: [], rows: [], total: 0 };
      return withTable(uris, async ({ source, columns, csv }) => {
        const names = new Set(columns.map((c) => c.name));
        const mismatched = mismatchedListSql(columns.find((c) => c.name === 'recon_mismatched')?.type);
        const where: string[] = [];
        if (q.statuses?.length) where.push(`recon_status IN (${q.statuses.map(quoteLiteral).join(', ')})`);
        if (q.column !== undefined) {
          if (!names.has(`${q.column}_left`)) throw new ResultError(400, `column "${q.column}" is not a compared column of this run; use one of: ${columns.filter((c) => c.name.endsWith('_left')).map((c) => c.name.slice(0, -5)).join(', ') || '(none)'}`);
          where.push(`list_contains(${mismatched}, ${quoteLiteral(q.column)})`);
        }
        const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
        // Every value as text (lists as lists of text): money never passes through a float.
        const select = columns
          .map((c) => (c.name === 'recon_mismatched' ? `${mismatched} AS recon_mismatched` : c.type.endsWith('[]') ? `CAST(${quoteIdent(c.name)} AS VARCHAR[]) AS ${quoteIdent(c.name)}` : `CAST(${quoteIdent(c.name)} AS VARCHAR) AS ${quoteIdent(c.name)}`))
          .join(', ');
        const [page, count] = await query(`SELECT ${select} FROM ${source} ${filter} LIMIT ${q.limit} OFFSET ${q.offset}`, `SELECT count(*)::VARCHAR AS n FROM ${source} ${filter}`);
        const rows = page as Array<Record<string, string | string[] | null>>;
        const total = Number((count![0] as { n: string }).n);
        return { columns: columns.map((c) => ({ name: c.name, type: c.name === 'recon_mismatched' ? 'VARCHAR[]' : csv ? 'VARCHAR' : c.type })), rows, total };
      });
    },

    async summaries(prefix, max) {
      const found: string[] = [];
      if (isS3(prefix)) {
        const { bucket, key } = parseS3Uri(prefix);
        let token: string | undefined;
        for (let page = 0; page < 20; page++) {
          const res = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ...(token ? { ContinuationToken: token } : {}) })).catch(s3Error);
          for (const o of res.Contents ?? []) if (o.Key?.endsWith('/summary.json') || o.Key === 'summary.json') found.push(`s3://${bucket}/${o.Key}`);
          if (!res.IsTruncated || !res.NextContinuationToken) break;
          token = res.NextContinuationToken;
        }
      } else {
        let root: string;
        try {
          root = await localPath(prefix);
        } catch {
          return [];
        }
        for (const rel of (await readdir(root, { recursive: true })).map(String)) if (rel.endsWith('summary.json')) found.push(join(root, rel));
      }
      found.sort();
      const picked = found.slice(-max);
      const out: SummaryFile[] = [];
      // A few at a time: one listing may hold hundreds of windows.
      for (let i = 0; i < picked.length; i += 8) {
        const batch = await Promise.all(picked.slice(i, i + 8).map(async (uri) => ({ uri, summary: await this.readJson(uri).catch(() => undefined) })));
        for (const b of batch) if (b.summary) out.push({ uri: b.uri, summary: b.summary });
      }
      return out;
    },

    async close() {
      s3?.destroy();
      if (duck) (await duck).closeSync();
      if (cacheDir && !o.cacheDir) await rm(await cacheDir, { recursive: true, force: true });
    },
  };
}
