// The user-SQL decision over DuckDB's real parse trees (json_serialize_sql in a scratch
// in-memory DuckDB), so the tests see exactly what the runner sees.
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEmbedded, checkUserSelect } from './user-sql.ts';
import { quoteLiteral } from './sql-text.ts';

let inst: DuckDBInstance;
beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
});
afterAll(() => inst.closeSync());

async function tree(sql: string): Promise<unknown> {
  const c = await inst.connect();
  try {
    const r = await c.runAndReadAll(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS t`);
    return JSON.parse(String(r.getRowObjectsJson()[0]!.t));
  } finally {
    c.closeSync();
  }
}

describe('checkUserSelect', () => {
  it.each([
    'SELECT * FROM source',
    'SELECT id, regexp_extract(ref, \'[0-9]+\') AS n FROM Source WHERE day >= \'2024-01-01\'::DATE;',
    'WITH a AS (SELECT * FROM source), b AS (SELECT * FROM a) SELECT * FROM b',
    'SELECT * FROM source, range(3) r(i)',
    'SELECT (SELECT max(id) FROM source) AS m',
    'FROM source',
    'SELECT 1 UNION ALL SELECT id FROM source',
  ])('accepts %s', async (sql) => {
    checkUserSelect(await tree(sql), 'spec.left.query', ['source']);
  });

  it.each([
    ['SELECT 1; SELECT 2', /exactly one SELECT statement, found 2/],
    ['SELECT * FROM source; DELETE FROM recon', /one read-only SELECT statement/],
    ['DELETE FROM recon', /one read-only SELECT statement/],
    ['CREATE TABLE x AS SELECT 1', /one read-only SELECT statement/],
    ['COPY source TO \'/tmp/x.csv\'', /one read-only SELECT statement/],
    ['SELECT * FROM right_input', /reads "right_input"/],
    ['SELECT * FROM source JOIN RIGHT_ROWS USING (id)', /reads "RIGHT_ROWS"/],
    ['SELECT * FROM memory.main.source', /reads "memory\.main\.source"/],
    ['SELECT * FROM source WHERE id IN (SELECT id FROM recon)', /reads "recon"/],
    ['WITH right_input AS (SELECT * FROM right_input) SELECT * FROM right_input', /reads "right_input"/],
    ['WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a', /reads "b"/],
    ["SELECT * FROM query_table('right_input')", /table function query_table/],
    ["SELECT * FROM query('SELECT * FROM right_input')", /table function query/],
    ["SELECT * FROM read_csv('/etc/passwd')", /table function read_csv/],
  ])('refuses %s', async (sql, message) => {
    const t = await tree(sql);
    expect(() => checkUserSelect(t, 'spec.left.query', ['source'])).toThrow(message);
    expect(() => checkUserSelect(t, 'spec.left.query', ['source'])).toThrow(/^spec\.left\.query: /);
  });

  it('refuses text that does not parse on its own, with the parser\'s message and position', () => {
    expect(() => checkUserSelect({ error: true, error_type: 'parser', error_message: 'syntax error at or near "SELEC"', position: '0' }, 'f', ['source'])).toThrow(
      /^f: does not parse as one complete SELECT on its own: syntax error at or near "SELEC" \(character 1\)/,
    );
  });

  it.each(['SELECT * FROM source) ; DROP VIEW x; SELECT (1', 'SELECT 1 /* (', "SELECT ')", 'SELECT $$(', ''])('refuses %j', async (sql) => {
    expect(() => checkUserSelect(sql === '' ? { error: false, statements: [] } : { error: true, error_type: 'parser' }, 'f', ['source'])).toThrow(/^f: /);
    await expect(tree(sql).then((t) => checkUserSelect(t, 'f', ['source']))).rejects.toThrow(/^f: /);
  });
});

describe('checkEmbedded', () => {
  const wrap = (sql: string) => `WITH source AS (SELECT * FROM left_input) SELECT * FROM (\n${sql}\n)`;

  it('accepts the user\'s SELECT unchanged inside the runner\'s statement', async () => {
    const sql = "SELECT id, ')' AS p FROM source -- )";
    expect(() => checkEmbedded(null, null, 1, 'f')).toThrow(/^f: /);
    const user = await tree(sql);
    checkEmbedded(user, await tree(wrap(sql)), 1, 'f');
  });

  it('refuses more than one statement in the text that runs', async () => {
    const sql = 'SELECT * FROM source';
    expect(() => checkEmbedded(0, 0, 2, 'f')).toThrow(/would make the statement raas runs into 2 statements/);
    await expect(tree(sql).then(async (u) => checkEmbedded(u, await tree(wrap(sql)), 2, 'f'))).rejects.toThrow(/2 statements/);
  });

  it('refuses a statement in which the user\'s SELECT means something else', async () => {
    // Parses alone as one SELECT, but the statement around it was built from other text.
    const user = await tree('SELECT * FROM source');
    await expect(tree(wrap('SELECT * FROM source WHERE true')).then((run) => checkEmbedded(user, run, 1, 'f'))).rejects.toThrow(/means something else/);
  });
});
