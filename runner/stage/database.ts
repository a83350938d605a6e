// postgres:// and mysql:// sources (docs/design.md, Sources and sinks). The URI names the environment variable
// that holds the connection URL (postgres://$LEDGER_DB_URL), so the URL and its password
// live only in a Secret. The side's query runs in the database inside a read-only
// transaction, with the window values as bind parameters; rows are fetched in batches
// (a cursor for PostgreSQL, a paused result stream for MySQL/MariaDB) and written to
// newline-delimited JSON as text, then DuckDB casts each column to its exact type
// (NUMERIC/DECIMAL as DECIMAL, timestamps with a zone as TIMESTAMPTZ) and writes Parquet.
// Memory stays bounded by the batch size; DuckDB spills the conversion if it must.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from '../compare/sql-text.ts';
import { formatBytes } from './bytes.ts';
import { errorText } from './publish-text.ts';
import { StageError, type DatabaseOptions, type Env, type SchemeSession, type StageRequest, type StagedFiles } from './types.ts';

export type DatabaseKind = 'postgres' | 'mysql';

export function openDatabaseScheme(kind: DatabaseKind): SchemeSession {
  return { stage: (req) => stageDatabase(kind, req), close: async () => {} };
}

const DEFAULT_FETCH = 10_000;

/** A column as the database described it, and how DuckDB should read its text. */
interface Column {
  name: string;
  /** A DuckDB type, or 'DECIMAL?' when the precision must be measured from the data. */
  type: string;
  /** Turns the driver's value into text (or null) for the NDJSON file. */
  text: (v: unknown) => string | null;
}

interface RowSource {
  columns: Column[];
  /** The next batch of rows as arrays, or undefined at the end. */
  next(): Promise<unknown[][] | undefined>;
}

const asText = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  return String(v);
};

export interface DatabaseRef {
  envName: string;
  /** postgres://$NAME as written, safe to show. */
  shown: string;
}

export function parseDatabaseUri(uri: string, field: string): DatabaseRef {
  const m = /^(postgres|postgresql|mysql|mariadb):\/\/\$([A-Za-z_][A-Za-z0-9_]*)\/?$/i.exec(uri.trim());
  if (!m) {
    throw new StageError(
      `${field}: a database URI names the environment variable holding the connection URL, e.g. ${/^mysql|^mariadb/i.test(uri) ? 'mysql' : 'postgres'}://$LEDGER_DB_URL; the URL itself (with its password) belongs in a Secret listed in spec.runner.envFrom`,
      field,
    );
  }
  return { envName: m[2]!, shown: `${m[1]!.toLowerCase()}://$${m[2]!}` };
}

/** Removes the URL and its password from a message, whatever the driver put in it. */
function scrubber(url: string): (msg: string) => string {
  const secrets = [url];
  try {
    const u = new URL(url);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // An unparsable URL is refused by the driver; scrubbing the whole string still applies.
  }
  return (msg) => secrets.filter((s) => s.length >= 3).reduce((m, s) => m.split(s).join('***'), msg);
}

function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

async function stageDatabase(kind: DatabaseKind, req: StageRequest): Promise<StagedFiles> {
  const { field } = req;
  const ref = parseDatabaseUri(req.uri, field);
  const url = req.env[ref.envName];
  if (!url) {
    throw new StageError(`${field}: environment variable ${ref.envName} is not set; put the connection URL in a Secret listed in spec.runner.envFrom`, field);
  }
  const queryField = req.query?.field ?? field.replace(/\.uri$/, '.query');
  if (!req.query) throw new StageError(`${queryField}: required for a database source: the SELECT to run in the database`, queryField);
  const scrub = scrubber(url);
  const dbField = field.replace(/\.uri$/, '.database');
  const fail = (f: string, msg: string, cause?: unknown): StageError => new StageError(scrub(`${f}: ${msg}`), f, { cause: undefined === cause ? undefined : new Error(scrub(errorText(cause))) });

  const ndjson = path.join(req.destDir, 'rows.ndjson');
  const parquet = path.join(req.destDir, 'rows.parquet');
  const fetch = req.database?.fetchSize ?? DEFAULT_FETCH;
  let rows = 0;
  let columns: Column[];
  const open = kind === 'postgres' ? openPostgres : openMysql;
  let source: { rows: RowSource; close: () => Promise<void> };
  try {
    source = await open(url, req.query.sql, req.query.params, req.database, req.env, fetch, dbField);
  } catch (err) {
    if (err instanceof StageError) throw fail(err.field, err.message.slice(err.field.length + 2));
    const c = classify(kind, err);
    if (c.kind === 'query') throw fail(queryField, `the database refused the query: ${c.text}`, err);
    throw fail(field, `${c.text} (${ref.shown} -> ${where(url)})`, err);
  }
  try {
    columns = source.rows.columns;
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c.name)) throw fail(queryField, `returns two columns named "${c.name}"; give them distinct aliases (AS ...)`);
      seen.add(c.name);
    }
    const out = createWriteStream(ndjson);
    try {
      for (;;) {
        const batch = await source.rows.next();
        if (!batch) break;
        for (const r of batch) {
          const obj: Record<string, string | null> = {};
          columns.forEach((c, i) => (obj[`c${i}`] = c.text(r[i])));
          if (!out.write(`${JSON.stringify(obj)}\n`)) await once(out, 'drain');
        }
        rows += batch.length;
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
  } catch (err) {
    if (err instanceof StageError) throw err;
    const c = classify(kind, err);
    throw fail(c.kind === 'query' ? queryField : field, c.kind === 'query' ? `the database refused the query: ${c.text}` : c.text, err);
  } finally {
    await source.close().catch(() => undefined);
  }

  await toParquet(ndjson, parquet, columns, req, queryField);
  // The text copy has served its purpose; only the Parquet file is staged.
  await rm(ndjson, { force: true });
  await rm(path.join(req.destDir, 'spill'), { recursive: true, force: true });
  const bytes = (await stat(parquet)).size;
  req.onProgress?.(`staged ${rows} row(s) (${formatBytes(bytes)} Parquet) from ${ref.shown} (${where(url)})`);
  return { files: [parquet], bytes, format: 'parquet' };
}

async function toParquet(ndjson: string, parquet: string, columns: Column[], req: StageRequest, queryField: string): Promise<void> {
  const config: Record<string, string> = { temp_directory: path.join(req.destDir, 'spill'), autoinstall_known_extensions: 'false', autoload_known_extensions: 'false', threads: '2' };
  if (req.memoryLimit) config.memory_limit = req.memoryLimit;
  const db = await DuckDBInstance.create(':memory:', config);
  const conn = await db.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    const reader = `read_json(${quoteLiteral(ndjson)}, format = 'newline_delimited', columns = {${columns.map((_, i) => `${quoteLiteral(`c${i}`)}: 'VARCHAR'`).join(', ') || "'c0': 'VARCHAR'"}})`;
    const types: string[] = [];
    for (const [i, c] of columns.entries()) {
      if (c.type !== 'DECIMAL?') {
        types.push(c.type);
        continue;
      }
      // Unconstrained NUMERIC: measure the digits so the DECIMAL holds every value exactly.
      const col = quoteIdent(`c${i}`);
      const r = await conn.runAndReadAll(
        `SELECT coalesce(max(length(split_part(ltrim(${col}, '-'), '.', 1))), 1) AS i, coalesce(max(length(split_part(${col}, '.', 2))), 0) AS s FROM ${reader}`,
      );
      const [intDigits, scale] = (r.getRows()[0] ?? [1, 0]).map((v) => Number(v)) as [number, number];
      if (intDigits + scale > 38) {
        throw new StageError(`${queryField}: column "${c.name}" has numbers with ${intDigits + scale} digits; at most 38 are kept exactly: round or cast it in the query`, queryField);
      }
      types.push(`DECIMAL(${Math.max(intDigits + scale, 1)},${scale})`);
    }
    const select = columns.length ? columns.map((c, i) => `CAST(${quoteIdent(`c${i}`)} AS ${types[i]}) AS ${quoteIdent(c.name)}`).join(', ') : '*';
    try {
      await conn.run(`COPY (SELECT ${select} FROM ${reader}) TO ${quoteLiteral(parquet)} (FORMAT parquet)`);
    } catch (err) {
      throw new StageError(`${queryField}: a value could not be converted exactly: ${errorText(err).split('\n')[0]}; cast the column to text or a plain type in the query`, queryField);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

interface Classified {
  kind: 'connect' | 'query';
  text: string;
}

function classify(kind: DatabaseKind, err: unknown): Classified {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown; sqlMessage?: unknown; position?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const msg = typeof e.sqlMessage === 'string' ? e.sqlMessage : err instanceof Error ? err.message : String(err);
  if (code === 'ECONNREFUSED') return { kind: 'connect', text: 'cannot reach the database: connection refused; check the host and port in the connection URL' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'connect', text: 'cannot reach the database: the host name does not resolve' };
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return { kind: 'connect', text: `cannot reach the database: ${code}` };
  if (code === '28P01' || code === '28000' || code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
    return { kind: 'connect', text: `authentication refused by the database (${code}); check the user and password in the connection URL's Secret` };
  }
  if (code === '3D000' || code === 'ER_BAD_DB_ERROR') return { kind: 'connect', text: `the database named in the connection URL does not exist (${code})` };
  if (/SSL|TLS|certificate/i.test(msg) && !(kind === 'postgres' && code && /^[0-9A-Z]{5}$/.test(code))) {
    return { kind: 'connect', text: `TLS failed: ${msg}; check database.tls (mode, caEnv)` };
  }
  if (kind === 'postgres' && code && /^[0-9A-Z]{5}$/.test(code)) {
    const pos = typeof e.position === 'string' ? ` at character ${e.position}` : '';
    return { kind: 'query', text: `${msg}${pos} (SQLSTATE ${code})` };
  }
  if (kind === 'mysql' && code?.startsWith('ER_')) return { kind: 'query', text: `${msg} (${code})` };
  return { kind: 'connect', text: `cannot read from the database: ${msg}` };
}

function envValue(env: Env, name: string | undefined, field: string): string | undefined {
  if (!name) return undefined;
  const v = env[name];
  if (!v) throw new StageError(`${field}: environment variable ${name} is not set; add it to a Secret listed in spec.runner.envFrom`, field);
  return v;
}

/** node:tls options for the chosen mode; undefined keeps what the URL says (sslmode=..., ssl=...). */
function tlsOptions(o: DatabaseOptions | undefined, env: Env, dbField: string): false | { rejectUnauthorized: boolean; ca?: string } | undefined {
  const mode = o?.tls?.mode;
  const ca = envValue(env, o?.tls?.caEnv, `${dbField}.tls.caEnv`);
  if (mode === undefined) return ca ? { rejectUnauthorized: true, ca } : undefined;
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
}

// ---------------------------------------------------------------------------------------
// PostgreSQL (pg + pg-cursor)

const PG_TYPES: Record<number, string> = {
  16: 'BOOLEAN',
  20: 'BIGINT',
  21: 'SMALLINT',
  23: 'INTEGER',
  26: 'BIGINT',
  700: 'REAL',
  701: 'DOUBLE',
  1082: 'DATE',
  1083: 'TIME',
  1114: 'TIMESTAMP',
  1184: 'TIMESTAMPTZ',
  2950: 'UUID',
};

function pgColumn(f: { name: string; dataTypeID: number; dataTypeModifier: number }): Column {
  if (f.dataTypeID === 1700) {
    const mod = f.dataTypeModifier;
    if (mod >= 4) {
      const precision = ((mod - 4) >> 16) & 0xffff;
      const scale = (mod - 4) & 0xffff;
      if (precision <= 38) return { name: f.name, type: `DECIMAL(${precision},${scale})`, text: asText };
    }
    return { name: f.name, type: 'DECIMAL?', text: asText };
  }
  if (f.dataTypeID === 16) return { name: f.name, type: 'BOOLEAN', text: (v) => (v === null || v === undefined ? null : v === 't' ? 'true' : 'false') };
  return { name: f.name, type: PG_TYPES[f.dataTypeID] ?? 'VARCHAR', text: asText };
}

async function openPostgres(url: string, sql: string, params: string[], o: DatabaseOptions | undefined, env: Env, fetch: number, dbField: string): Promise<{ rows: RowSource; close: () => Promise<void> }> {
  const [{ default: pg }, { default: Cursor }] = await Promise.all([import('pg'), import('pg-cursor')]);
  const ssl = tlsOptions(o, env, dbField);
  // Every value arrives as the server's text: exact for NUMERIC, with the offset for timestamptz.
  const client = new pg.Client({ connectionString: url, ...(ssl !== undefined ? { ssl } : {}), types: { getTypeParser: () => (v: string) => v } });
  client.on('error', () => undefined); // a dropped connection surfaces through the pending read
  await client.connect().catch(async (err: unknown) => {
    await client.end().catch(() => undefined);
    throw err;
  });
  try {
    await client.query(`SET TimeZone = 'UTC'`);
    await client.query(`SET DateStyle = 'ISO, YMD'`);
    await client.query('BEGIN TRANSACTION READ ONLY');
    const cursor = client.query(new Cursor(sql, params, { rowMode: 'array' }));
    let failed = false;
    const read = () =>
      new Promise<{ rows: unknown[][]; fields: Array<{ name: string; dataTypeID: number; dataTypeModifier: number }> }>((resolve, reject) => {
        // The callback gets no result once the cursor is done; the fields are known by then
        // (pg-cursor's private _result, pinned by test/unit/library-privates.test.ts).
        cursor.read(fetch, (err, rows, result) => {
          if (err) {
            failed = true;
            reject(err);
          } else resolve({ rows: rows as unknown[][], fields: (result ?? (cursor as unknown as { _result: typeof result })._result)?.fields ?? [] });
        });
      });
    const first = await read();
    let pending: unknown[][] | undefined = first.rows;
    const rows: RowSource = {
      columns: first.fields.map(pgColumn),
      next: async () => {
        if (pending) {
          const b = pending;
          pending = undefined;
          return b.length ? b : undefined;
        }
        const r = await read();
        return r.rows.length ? r.rows : undefined;
      },
    };
    return {
      rows,
      close: async () => {
        // After a query error the cursor is finished: its close() can wait forever for a
        // server answer that already came, so only the connection is ended (the server
        // rolls the read-only transaction back when it goes).
        if (!failed) {
          await cursor.close().catch(() => undefined);
          await client.query('ROLLBACK').catch(() => undefined);
        }
        await client.end();
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// MySQL / MariaDB (mysql2, binary protocol: a server-side prepared statement)

// mysql2 column type codes (the protocol's MYSQL_TYPE_*).
const MY = { DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, TIMESTAMP: 7, LONGLONG: 8, INT24: 9, DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, NEWDECIMAL: 246 } as const;
const UNSIGNED_FLAG = 32;

function mysqlColumn(f: { name: string; columnType?: number; columnLength?: number; decimals: number; flags: number | string[] }): Column {
  const unsigned = typeof f.flags === 'number' ? (f.flags & UNSIGNED_FLAG) !== 0 : f.flags.includes('UNSIGNED');
  const t = f.columnType;
  const name = f.name;
  switch (t) {
    case MY.DECIMAL:
    case MY.NEWDECIMAL: {
      // The display length bounds the precision (it adds room for sign and point).
      const len = f.columnLength ?? 65;
      return { name, type: len <= 38 ? `DECIMAL(${Math.max(len, f.decimals + 1)},${f.decimals})` : 'DECIMAL?', text: asText };
    }
    case MY.TINY:
      return { name, type: unsigned ? 'UTINYINT' : 'TINYINT', text: asText };
    case MY.SHORT:
    case MY.YEAR:
      return { name, type: unsigned ? 'USMALLINT' : 'SMALLINT', text: asText };
    case MY.LONG:
    case MY.INT24:
      return { name, type: unsigned ? 'UINTEGER' : 'INTEGER', text: asText };
    case MY.LONGLONG:
      return { name, type: unsigned ? 'UBIGINT' : 'BIGINT', text: asText };
    case MY.FLOAT:
      return { name, type: 'REAL', text: asText };
    case MY.DOUBLE:
      return { name, type: 'DOUBLE', text: asText };
    case MY.DATE:
      return { name, type: 'DATE', text: asText };
    case MY.DATETIME:
      return { name, type: 'TIMESTAMP', text: asText };
    // TIMESTAMP columns hold instants; the session runs in UTC, so the text is UTC.
    case MY.TIMESTAMP:
      return { name, type: 'TIMESTAMPTZ', text: (v) => (v === null || v === undefined ? null : `${String(v)}+00`) };
    default:
      return { name, type: 'VARCHAR', text: asText };
  }
}

async function openMysql(url: string, sql: string, params: string[], o: DatabaseOptions | undefined, env: Env, fetch: number, dbField: string): Promise<{ rows: RowSource; close: () => Promise<void> }> {
  const { default: mysql } = await import('mysql2');
  const ssl = tlsOptions(o, env, dbField);
  const conn = mysql.createConnection({
    uri: url,
    ...(ssl ? { ssl } : {}),
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    decimalNumbers: false,
  });
  conn.on('error', () => undefined);
  const q = (text: string) => new Promise<void>((resolve, reject) => conn.query(text, (err) => (err ? reject(err) : resolve())));
  try {
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    await q(`SET time_zone = '+00:00'`);
    await q('START TRANSACTION READ ONLY');
  } catch (err) {
    conn.destroy();
    throw err;
  }
  const stream = conn.execute({ sql, values: params, rowsAsArray: true }).stream({ highWaterMark: fetch });
  const fields = await new Promise<Parameters<typeof mysqlColumn>[0][]>((resolve, reject) => {
    stream.once('fields', (f: Parameters<typeof mysqlColumn>[0][]) => resolve(f));
    stream.once('error', reject);
    stream.once('end', () => resolve([]));
  }).catch((err: unknown) => {
    conn.destroy();
    throw err;
  });
  const it = stream[Symbol.asyncIterator]();
  const rows: RowSource = {
    columns: fields.map(mysqlColumn),
    next: async () => {
      const batch: unknown[][] = [];
      while (batch.length < fetch) {
        const r = await it.next();
        if (r.done) break;
        batch.push(r.value as unknown[]);
      }
      return batch.length ? batch : undefined;
    },
  };
  return {
    rows,
    close: async () => {
      stream.destroy();
      conn.destroy();
    },
  };
}
