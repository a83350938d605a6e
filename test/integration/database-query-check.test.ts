// Database source queries are exactly one SELECT that only reads, checked with a parser
// made for the dialect before they reach the server; behind that check, a statement
// without a result set ends the run with one line, never a hang. Real PostgreSQL and
// MariaDB, connected as users that could change the database if the checks let them.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageCheckedQuery } from '../../runner/stage/database.ts';
import { StageError, stageSource, type StageOptions } from '../../runner/stage/stage-source.ts';
import { startMariadb } from '../support/mariadb.ts';
import { startPostgres } from '../support/postgres.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'raas-db-check-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
let n = 0;
const dest = () => path.join(scratch, `d${n++}`);
const FIELD = 'spec.left.query';
const q = (sql: string) => ({ sql, params: [] as string[], field: FIELD });

async function refusal(p: Promise<unknown>): Promise<string> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StageError);
  const msg = (err as Error).message;
  expect(msg.startsWith(`${FIELD}: `)).toBe(true);
  expect(msg).not.toContain('\n');
  return msg;
}

describe('postgres:// queries (superuser connection)', { timeout: 120_000 }, () => {
  const server = sharedService(
    'PostgreSQL',
    async () => {
      const pg = await startPostgres();
      await pg.sql(`CREATE TABLE t (id int, amount numeric(10,2)); INSERT INTO t VALUES (1, 1.50), (2, 2.00)`);
      await pg.sql(`CREATE PROCEDURE wipe() LANGUAGE SQL AS $$ DELETE FROM t $$`);
      return pg;
    },
    (pg) => pg.stop(),
  );
  const opts = (url: string, sql: string): StageOptions => ({ field: 'spec.left.uri', uri: 'postgres://$DB', baseDir: scratch, destDir: dest(), env: { DB: url }, query: q(sql) });
  const marker = () => path.join(scratch, `copied-${n}`);

  it.each([
    ['COPY … TO PROGRAM', (m: string) => `COPY (SELECT 1) TO PROGRAM 'touch ${m}'`, /is a Copy statement, not a SELECT/],
    ['DROP', () => 'DROP TABLE t', /is a Drop statement/],
    ['TRUNCATE', () => 'TRUNCATE t', /is a Truncate statement/],
    ['CALL', () => 'CALL wipe()', /is a Call statement/],
    ['two statements', () => 'SELECT * FROM t; DELETE FROM t', /holds 2 statements/],
    ['a data-changing WITH', () => 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', /contains a DELETE/],
    ['SELECT INTO', () => 'SELECT * INTO t2 FROM t', /SELECT INTO/],
    ['FOR UPDATE', () => 'SELECT * FROM t FOR UPDATE', /row locks/],
    ['FOR SHARE in a subquery', () => 'SELECT * FROM (SELECT * FROM t FOR SHARE) s', /row locks/],
    ['a server file read', () => "SELECT pg_read_file('/etc/hostname')", /calls pg_read_file\(\)/],
    ['SQL run from text', () => "SELECT query_to_xml('DELETE FROM t', true, true, '')", /calls query_to_xml\(\)/],
    ['text that does not parse', () => 'SELECT (1', /does not parse as PostgreSQL: syntax error at end of input at character 10/],
  ])('refuses %s before it reaches the server', async (_name, sql, message, ctx?: SkipContext) => {
    const pg = await server(ctx as SkipContext);
    const m = marker();
    expect(await refusal(stageSource(opts(pg.adminUrl, sql(m))))).toMatch(message);
    await expect(access(m)).rejects.toThrow();
    expect(await pg.sql('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 2 }]);
  });

  it('runs a SELECT with bind parameters, casts and comments', async (ctx: SkipContext) => {
    const pg = await server(ctx);
    const staged = await stageSource({ ...opts(pg.adminUrl, 'SELECT id, amount -- the money\nFROM t WHERE id >= $1::int /* ) ; */'), query: { sql: 'SELECT id, amount -- the money\nFROM t WHERE id >= $1::int /* ) ; */', params: ['1'], field: FIELD } });
    expect(staged.files).toHaveLength(1);
  });

  it('behind the check: a statement without a result set fails with one line, no hang', async (ctx: SkipContext) => {
    const pg = await server(ctx);
    const o = opts(pg.adminUrl, 'SET LOCAL statement_timeout = 0');
    const msg = await refusal(stageCheckedQuery('postgres', { ...o, env: o.env ?? {}, concurrency: 1 }));
    expect(msg).toMatch(/returned no result set/);
  });
});

describe('mysql:// queries on MariaDB (a user with every privilege)', { timeout: 120_000 }, () => {
  const server = sharedService(
    'MariaDB',
    async () => {
      const db = await startMariadb();
      await db.sql(`CREATE DATABASE shop; CREATE TABLE shop.t (id INT, amount DECIMAL(10,2)); INSERT INTO shop.t VALUES (1, 1.50), (2, 2.00)`);
      await db.sql(`CREATE PROCEDURE shop.wipe() BEGIN COMMIT; DELETE FROM shop.t; END`);
      await db.sql(`CREATE USER 'owner'@'%' IDENTIFIED BY 'owner-pw-123'; GRANT ALL ON *.* TO 'owner'@'%'`);
      return { db, url: `mysql://owner:owner-pw-123@127.0.0.1:${db.port}/shop` };
    },
    ({ db }) => db.stop(),
  );
  const opts = (url: string, sql: string): StageOptions => ({ field: 'spec.left.uri', uri: 'mysql://$DB', baseDir: scratch, destDir: dest(), env: { DB: url }, query: q(sql) });
  const rows = async (db: { sql(t: string): Promise<unknown> }) => ((await db.sql('SELECT count(*) AS n FROM shop.t')) as Array<{ n: number | string }>).map((r) => Number(r.n));

  it.each([
    ['DROP', 'DROP TABLE t', /is a DROP statement/],
    ['TRUNCATE', 'TRUNCATE TABLE t', /TRUNCATE|does not parse/],
    ['RENAME', 'RENAME TABLE t TO t_old', /RENAME|does not parse/],
    ['CALL of a procedure that commits then deletes', 'CALL wipe()', /is a CALL statement/],
    ['two statements', 'SELECT * FROM t; DELETE FROM t', /holds 2 statements/],
    ['SELECT … INTO OUTFILE', "SELECT * FROM t INTO OUTFILE '/tmp/raas-outfile'", /SELECT … INTO/],
    ['SELECT … INTO a variable', 'SELECT id INTO @x FROM t LIMIT 1', /SELECT … INTO/],
    ['FOR UPDATE', 'SELECT * FROM t FOR UPDATE', /row locks/],
    ['LOCK IN SHARE MODE', 'SELECT * FROM t LOCK IN SHARE MODE', /row locks|does not parse/],
    ['an executable comment', 'SELECT * FROM t /*! FOR UPDATE */', /run as SQL/],
    ['"--" that is not a comment to MySQL', "SELECT id --1 INTO OUTFILE '/tmp/raas-x'\nFROM t", /two minus signs/],
    ['a backslash the server may read differently', "SELECT 'a\\' INTO OUTFILE ' FROM t", /backslash/],
    ['SLEEP', 'SELECT SLEEP(30)', /calls SLEEP\(\)/],
  ])('refuses %s before it reaches the server', async (_name, sql, message, ctx?: SkipContext) => {
    const { db, url } = await server(ctx as SkipContext);
    expect(await refusal(stageSource(opts(url, sql)))).toMatch(message);
    expect(await rows(db)).toEqual([2]);
  });

  it('runs a SELECT with bind parameters, joins and comments', async (ctx: SkipContext) => {
    const { url } = await server(ctx);
    const sql = 'SELECT a.id, a.amount -- the money\nFROM t a JOIN t b USING (id) WHERE a.id >= ? # end';
    const staged = await stageSource({ ...opts(url, sql), query: { sql, params: ['1'], field: FIELD } });
    expect(staged.files).toHaveLength(1);
  });

  it('behind the check: a statement without a result set fails with one line, no hang', async (ctx: SkipContext) => {
    const { db, url } = await server(ctx);
    const o = opts(url, 'DO 1');
    const msg = await refusal(stageCheckedQuery('mysql', { ...o, env: o.env ?? {}, concurrency: 1 }));
    expect(msg).toMatch(/returned no result set/);
    expect(await rows(db)).toEqual([2]);
  });
});
