// postgres:// and mysql:// sources against real PostgreSQL and MariaDB servers started
// here: a million-row table streamed to Parquet, exact decimals, timestamps as instants,
// window values as bind parameters, a read-only transaction, and errors that name the
// field without echoing the connection URL or its password.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageCheckedQuery } from '../../runner/stage/database.ts';
import { StageError, stageSource, type StageOptions } from '../../runner/stage/stage-source.ts';
import { renderSqlBound, templateVars } from '../../runner/template/render.ts';
import { freePort } from '../support/net.ts';
import { startMariadb } from '../support/mariadb.ts';
import { startPostgres } from '../support/postgres.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';

const vars = templateVars({
  window: { start: '2024-01-01T00:00:00+09:00', end: '2024-01-02T00:00:00+09:00', startDate: '2024-01-01', endDate: '2024-01-02' } as never,
  jobName: "o'brien'); DROP TABLE ledger; --",
  jobNamespace: 'finance',
  runName: 'r1',
});

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'raas-db-src-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
let n = 0;
const dest = () => path.join(scratch, `d${n++}`);

async function duck<T>(fn: (q: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run(`SET TimeZone = 'UTC'`);
    return await fn(async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

async function stageErr(opts: StageOptions): Promise<StageError> {
  const err: unknown = await stageSource(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StageError);
  const e = err as StageError;
  expect(e.message.startsWith(`${e.field}: `)).toBe(true);
  expect(e.message).not.toContain('\n');
  return e;
}

const QUERY_FIELD = 'spec.left.query';
const bound = (sql: string, style: 'dollar' | 'question') => ({ ...renderSqlBound(sql, vars, QUERY_FIELD, style), field: QUERY_FIELD });

describe('postgres:// source', { timeout: 300_000 }, () => {
  const server = sharedService(
    'PostgreSQL',
    async () => {
      const pg = await startPostgres({ tls: true });
      try {
        await pg.sql(`CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric(14,2), ratio numeric, ts timestamptz, local_ts timestamp, status text, ok boolean)`);
        // A million rows, 4 a minute from 2023-12-31 15:00 UTC (= 2024-01-01 00:00+09:00) on.
        await pg.sql(`INSERT INTO ledger SELECT g, (g % 100000) * 0.01 + 0.01, g / 7.0, timestamptz '2023-12-31 15:00:00+00' + (g - 1) * interval '15 seconds', timestamp '2024-01-01 00:00:00' + g * interval '1 second', CASE WHEN g % 10 = 0 THEN 'VOID' ELSE 'ok' END, g % 2 = 0 FROM generate_series(1, 1000000) g`);
        await pg.sql(`CREATE TABLE secret_stuff (x int)`);
        const reader = await pg.createUser('reader');
        await pg.sql(`REVOKE ALL ON secret_stuff FROM reader`);
        return { pg, reader };
      } catch (err) {
        // A fixture that fails after the server started must not leave it running.
        await pg.stop();
        throw err;
      }
    },
    ({ pg }) => pg.stop(),
  );
  const base = (url: string): Pick<StageOptions, 'field' | 'baseDir' | 'env' | 'uri'> => ({ field: 'spec.left.uri', baseDir: scratch, env: { LEDGER_DB: url }, uri: 'postgres://$LEDGER_DB' });

  it('streams a million rows to Parquet with exact decimals and zoned timestamps', async (ctx: SkipContext) => {
    const { reader } = await server(ctx);
    const staged = await stageSource({
      ...base(reader.url),
      destDir: dest(),
      database: { tls: { mode: 'disable' }, fetchSize: 5000 },
      query: bound('SELECT id, amount, ratio, ts, local_ts, status, ok FROM ledger WHERE ts >= {{ window.start }}::timestamptz - interval \'1 day\' ORDER BY id', 'dollar'),
    });
    expect(staged.format).toBe('parquet');
    expect(staged.files).toHaveLength(1);
    const file = staged.files[0]!;
    await duck(async (q) => {
      const types = Object.fromEntries((await q(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [r.column_name, r.column_type]));
      expect(types).toMatchObject({ id: 'BIGINT', amount: 'DECIMAL(14,2)', ts: 'TIMESTAMP WITH TIME ZONE', local_ts: 'TIMESTAMP', status: 'VARCHAR', ok: 'BOOLEAN' });
      expect(String(types.ratio)).toMatch(/^DECIMAL\(\d+,\d+\)$/);
      const [r] = await q(`SELECT count(*)::VARCHAR AS n, sum(amount)::VARCHAR AS total, min(ts)::VARCHAR AS first, max(id)::VARCHAR AS last, count(*) FILTER (WHERE ok)::VARCHAR AS oks FROM read_parquet('${file}')`);
      // sum over g of ((g % 100000) * 0.01 + 0.01) for g = 1..1e6: exact, no float drift.
      expect(r).toEqual({ n: '1000000', total: '500005000.00', first: '2023-12-31 15:00:00+00', last: '1000000', oks: '500000' });
      const [one] = await q(`SELECT ratio::VARCHAR AS ratio FROM read_parquet('${file}') WHERE id = 7`);
      expect(one!.ratio).toMatch(/^1\.0+$/);
    });
  });

  it('passes window values as bind parameters, never as SQL text', async (ctx: SkipContext) => {
    const { reader } = await server(ctx);
    const staged = await stageSource({
      ...base(reader.url),
      destDir: dest(),
      query: bound('SELECT {{ job.name }}::text AS j, count(*) AS n FROM ledger WHERE ts >= {{ window.start }}::timestamptz AND ts < {{ window.end }}::timestamptz', 'dollar'),
    });
    await duck(async (q) => {
      const [r] = await q(`SELECT j, n::VARCHAR AS n FROM read_parquet('${staged.files[0]}')`);
      // 2024-01-01 in +09:00 is 86400 s = 5760 rows at 15 s.
      expect(r).toEqual({ j: "o'brien'); DROP TABLE ledger; --", n: '5760' });
    });
  });

  it('a query failing part-way through the rows leaves nothing staged', async (ctx: SkipContext) => {
    const { reader } = await server(ctx);
    const d = dest();
    // The division fails at row 600000, after several batches were fetched and written.
    const e = await stageErr({ ...base(reader.url), destDir: d, database: { fetchSize: 1000 }, query: bound('SELECT id, 1 / (id - 600000) AS x FROM ledger ORDER BY id', 'dollar') });
    expect(e.field).toBe(QUERY_FIELD);
    expect(e.message).toMatch(/division by zero \(SQLSTATE 22012\)/);
    expect(await readdir(scratch)).not.toContain(path.basename(d));
    expect((await readdir(scratch)).filter((f) => f.includes('staging'))).toEqual([]);
  });

  it('runs the query read-only', async (ctx: SkipContext) => {
    const { pg } = await server(ctx);
    // The parser check refuses a DELETE before it reaches the server; the read-only
    // transaction behind it is the next wall.
    const req = { ...base(pg.adminUrl), env: { LEDGER_DB: pg.adminUrl }, destDir: dest(), concurrency: 1, query: bound('DELETE FROM ledger WHERE id = 1 RETURNING id', 'dollar') };
    expect((await stageErr(req)).message).toMatch(/is a Delete statement, not a SELECT/);
    const e: StageError = await stageCheckedQuery('postgres', req).then(
      () => {
        throw new Error('the DELETE ran');
      },
      (err: unknown) => err as StageError,
    );
    expect(e.field).toBe(QUERY_FIELD);
    expect(e.message).toMatch(/read-only transaction/);
    expect((await pg.sql('SELECT count(*)::int AS n FROM ledger WHERE id = 1'))[0]).toEqual({ n: 1 });
  });

  it('verifies TLS against the given CA', async (ctx: SkipContext) => {
    const { pg, reader } = await server(ctx);
    const ok = await stageSource({ ...base(reader.url), env: { LEDGER_DB: reader.url, DB_CA: pg.caPem ?? '' }, destDir: dest(), database: { tls: { mode: 'verify-full', caEnv: 'DB_CA' } }, query: bound('SELECT 1 AS x', 'dollar') });
    expect(ok.files).toHaveLength(1);
    const e = await stageErr({ ...base(reader.url), destDir: dest(), database: { tls: { mode: 'verify-full' } }, query: bound('SELECT 1 AS x', 'dollar') });
    expect(e.message).toMatch(/TLS|certificate/i);
  });

  it('names the field and never echoes the URL or password', async (ctx: SkipContext) => {
    const { pg, reader } = await server(ctx);
    const badUrl = reader.url.replace(reader.password, 'Wrong-Secret-Pw-1');
    const cases: Array<[StageOptions, string, RegExp]> = [
      [{ ...base(badUrl), destDir: dest(), query: bound('SELECT 1', 'dollar') }, 'spec.left.uri', /authentication refused/],
      [{ ...base(reader.url), destDir: dest(), query: bound('SELEC 1', 'dollar') }, QUERY_FIELD, /does not parse as PostgreSQL: syntax error at or near "SELEC"/],
      [{ ...base(reader.url), destDir: dest(), query: bound('SELECT * FROM secret_stuff', 'dollar') }, QUERY_FIELD, /permission denied for table secret_stuff/],
      [{ ...base(reader.url), destDir: dest(), query: bound('SELECT * FROM nope', 'dollar') }, QUERY_FIELD, /relation "nope" does not exist/],
      [{ ...base(reader.url.replace(`:${pg.port}/`, `:${await freePort()}/`)), destDir: dest(), query: bound('SELECT 1', 'dollar') }, 'spec.left.uri', /connection refused/],
      [{ ...base(reader.url), env: {}, destDir: dest(), query: bound('SELECT 1', 'dollar') }, 'spec.left.uri', /LEDGER_DB is not set/],
      [{ ...base(reader.url), uri: 'postgres://reader:pw@host/db', destDir: dest(), query: bound('SELECT 1', 'dollar') }, 'spec.left.uri', /names the environment variable/],
    ];
    for (const [opts, field, re] of cases) {
      const e = await stageErr(opts);
      expect(e.field).toBe(field);
      expect(e.message).toMatch(re);
      for (const secret of [reader.password, 'Wrong-Secret-Pw-1', reader.url, 'reader:pw']) expect(e.message).not.toContain(secret);
    }
  });
});

describe('mysql:// source (MariaDB)', { timeout: 300_000 }, () => {
  const server = sharedService(
    'MariaDB',
    async () => {
      const db = await startMariadb({ tls: true });
      try {
        await db.sql(`CREATE DATABASE shop; CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, amount DECIMAL(14,2), big DECIMAL(30,10), ts TIMESTAMP(0) NULL, local_ts DATETIME, status VARCHAR(10), n INT UNSIGNED)`);
        await db.sql(`SET time_zone = '+00:00'; INSERT INTO shop.orders SELECT seq, (seq % 100000) * 0.01 + 0.01, seq / 7, TIMESTAMP '2023-12-31 15:00:00' + INTERVAL (seq - 1) * 15 SECOND, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, IF(seq % 10 = 0, 'VOID', 'ok'), seq FROM shop.seq_1_to_1000000`);
        const reader = await db.createUser('reader', 'shop');
        return { db, reader };
      } catch (err) {
        await db.stop();
        throw err;
      }
    },
    ({ db }) => db.stop(),
  );
  const base = (url: string): Pick<StageOptions, 'field' | 'baseDir' | 'env' | 'uri'> => ({ field: 'spec.left.uri', baseDir: scratch, env: { SHOP_DB: url }, uri: 'mysql://$SHOP_DB' });

  it('streams a million rows to Parquet with exact decimals and UTC instants', async (ctx: SkipContext) => {
    const { reader } = await server(ctx);
    const staged = await stageSource({ ...base(reader.url), destDir: dest(), database: { fetchSize: 5000 }, query: bound('SELECT id, amount, big, ts, local_ts, status, n FROM orders', 'question') });
    const file = staged.files[0]!;
    await duck(async (q) => {
      const types = Object.fromEntries((await q(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [r.column_name, r.column_type]));
      expect(types).toMatchObject({ id: 'BIGINT', ts: 'TIMESTAMP WITH TIME ZONE', local_ts: 'TIMESTAMP', status: 'VARCHAR', n: 'UINTEGER' });
      expect(String(types.amount)).toMatch(/^DECIMAL\(\d+,2\)$/);
      const [r] = await q(`SELECT count(*)::VARCHAR AS n, sum(amount)::VARCHAR AS total, min(ts)::VARCHAR AS first FROM read_parquet('${file}')`);
      expect(r).toEqual({ n: '1000000', total: '500005000.00', first: '2023-12-31 15:00:00+00' });
      const [one] = await q(`SELECT big::VARCHAR AS big FROM read_parquet('${file}') WHERE id = 7`);
      expect(one!.big).toBe('1.0000000000');
    });
  });

  it('verifies TLS against the given CA', async (ctx: SkipContext) => {
    const { db, reader } = await server(ctx);
    const ok = await stageSource({ ...base(reader.url), env: { SHOP_DB: reader.url, DB_CA: db.caPem ?? '' }, destDir: dest(), database: { tls: { mode: 'verify-full', caEnv: 'DB_CA' } }, query: bound('SELECT 1 AS x', 'question') });
    expect(ok.files).toHaveLength(1);
    const e = await stageErr({ ...base(reader.url), destDir: dest(), database: { tls: { mode: 'verify-full' } }, query: bound('SELECT 1 AS x', 'question') });
    expect(e.field).toBe('spec.left.uri');
    expect(e.message).toMatch(/TLS|certificate/i);
    expect(e.message).not.toContain(reader.password);
  });

  it('passes window values as bind parameters', async (ctx: SkipContext) => {
    const { reader } = await server(ctx);
    const staged = await stageSource({
      ...base(reader.url),
      destDir: dest(),
      query: bound("SELECT CAST({{ job.name }} AS CHAR) AS j, count(*) AS n FROM orders WHERE ts >= CONVERT_TZ({{ window.startDate }}, '+09:00', '+00:00') AND ts < CONVERT_TZ({{ window.endDate }}, '+09:00', '+00:00')", 'question'),
    });
    await duck(async (q) => {
      const [r] = await q(`SELECT j, n::VARCHAR AS n FROM read_parquet('${staged.files[0]}')`);
      expect(r).toEqual({ j: "o'brien'); DROP TABLE ledger; --", n: '5760' });
    });
  });

  it('a query failing part-way through the rows leaves nothing staged', async (ctx: SkipContext) => {
    const { reader } = await server(ctx);
    const d = dest();
    const e = await stageErr({ ...base(reader.url), destDir: d, database: { fetchSize: 1000 }, query: bound('SELECT id, IF(id = 600000, (SELECT 1 UNION SELECT 2), id) AS x FROM orders ORDER BY id', 'question') });
    expect(e.field).toBe(QUERY_FIELD);
    expect(e.message).toMatch(/more than 1 row/);
    expect(await readdir(scratch)).not.toContain(path.basename(d));
    expect((await readdir(scratch)).filter((f) => f.includes('staging'))).toEqual([]);
  });

  it('names the field and never echoes the URL or password', async (ctx: SkipContext) => {
    const { db, reader } = await server(ctx);
    const badUrl = reader.url.replace(reader.password, 'Wrong-Secret-Pw-2');
    const cases: Array<[StageOptions, string, RegExp]> = [
      [{ ...base(badUrl), destDir: dest(), query: bound('SELECT 1', 'question') }, 'spec.left.uri', /authentication refused/],
      [{ ...base(reader.url), destDir: dest(), query: bound('SELEC 1', 'question') }, QUERY_FIELD, /does not parse as a MySQL\/MariaDB SELECT/],
      [{ ...base(reader.url), destDir: dest(), query: bound('SELECT * FROM mysql.user', 'question') }, QUERY_FIELD, /denied/],
      [{ ...base(reader.url.replace(`:${db.port}/`, `:${await freePort()}/`)), destDir: dest(), query: bound('SELECT 1', 'question') }, 'spec.left.uri', /connection refused/],
    ];
    for (const [opts, field, re] of cases) {
      const e = await stageErr(opts);
      expect(e.field).toBe(field);
      expect(e.message).toMatch(re);
      for (const secret of [reader.password, 'Wrong-Secret-Pw-2', reader.url]) expect(e.message).not.toContain(secret);
    }
  });
});
