// The checks that need no data, over real DuckDB and the dialect parsers (no database,
// no files): each problem a run or the operator would meet later is found here first.
import { describe, expect, it } from 'vitest';
import { validateReconJob } from '../spec/load.ts';
import { explicitWindow } from '../window/window.ts';
import { problemsWithoutData } from './check-without-data.ts';

const job = (spec: Record<string, unknown>) =>
  validateReconJob({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'j', namespace: 'n' }, spec: { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], ...spec } }, 'test');
const window = explicitWindow('2024-01-01', '2024-01-02', 'UTC');

describe('problemsWithoutData', () => {
  it('finds nothing in a valid job with templates, a query, a database query and a summary', async () => {
    const problems = await problemsWithoutData(
      job({
        left: { uri: 'data/{{ window.startDate }}.csv', query: 'SELECT * FROM source WHERE d >= {{ window.startDate }}::DATE -- )' },
        right: { uri: 'postgres://$DB', query: 'SELECT id, amount FROM t WHERE ts >= {{ window.start }}::timestamptz' },
        summaries: [{ name: 's', sql: 'SELECT count(*) FROM result_table;' }],
        schedule: { cron: '0 2 * * *', timeZone: 'Europe/Berlin' },
      }),
      { window },
    );
    expect(problems).toEqual([]);
  });

  it.each([
    ['an unknown template variable', { left: { uri: 'l.csv', query: 'SELECT * FROM source WHERE d = {{ window.day }}' } }, /^spec\.left\.query: .*window\.day/],
    ['a cron hour of 25', { schedule: { cron: '0 25 * * *' } }, /^spec\.schedule\.cron "0 25 \* \* \*": hour "25" has 25, outside 0-23/],
    ['an unknown time zone', { schedule: { cron: '0 2 * * *', timeZone: 'Mars/Olympus' } }, /^spec\.schedule\.timeZone: /],
    ['a quoted template in SQL', { left: { uri: 'l.csv', query: "SELECT * FROM source WHERE d = '{{ window.startDate }}'" } }, /^spec\.left\.query: /],
    ['a summary that is not a SELECT', { summaries: [{ name: 's', sql: 'DELETE FROM recon' }] }, /^spec\.summaries\[0\]\.sql: must be one read-only SELECT/],
    ['the parenthesis trick in a query', { left: { uri: 'l.csv', query: 'SELECT * FROM source) ; CREATE OR REPLACE TEMP VIEW right_input AS SELECT * FROM left_input; SELECT * FROM (SELECT * FROM source' } }, /^spec\.left\.query: does not parse as one complete SELECT on its own/],
    ['the parenthesis trick in a summary', { summaries: [{ name: 's', sql: 'SELECT 1) ; DELETE FROM recon; SELECT * FROM (SELECT 1' }] }, /^spec\.summaries\[0\]\.sql: does not parse/],
    ['a query reading the other side', { left: { uri: 'l.csv', query: 'SELECT * FROM right_input' } }, /^spec\.left\.query: reads "right_input"/],
    ['a PostgreSQL query that is not a SELECT', { left: { uri: 'postgres://$DB', query: "COPY t TO PROGRAM 'id'" } }, /^spec\.left\.query: is a Copy statement, not a SELECT/],
    ['a MySQL query that drops a table', { right: { uri: 'mysql://$DB', query: 'DROP TABLE t' } }, /^spec\.right\.query: is a DROP statement/],
    ['a named input\'s database query', { left: { inputs: { a: { uri: 'mysql://$DB', query: 'CALL p()' } }, query: 'SELECT * FROM a' } }, /^spec\.left\.inputs\.a\.query: is a CALL statement/],
  ])('finds %s', async (_name, spec, problem) => {
    const problems = await problemsWithoutData(job(spec), { window });
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });

  it('lists every problem, not only the first', async () => {
    const problems = await problemsWithoutData(job({ schedule: { cron: '0 25 * * *', timeZone: 'Mars/Olympus' }, summaries: [{ name: 's', sql: 'DROP TABLE recon' }] }));
    expect(problems).toHaveLength(3);
  });

  describe('on engine: spark', () => {
    it('leaves Spark SQL to Spark\'s own parser (at run start) and still renders its templates', async () => {
      const spark = { engine: 'spark' };
      const sparkSql = { left: { uri: 'l.csv', query: "SELECT `id`, amount FROM source WHERE note RLIKE '^[0-9]+$' AND d >= {{ window.startDate }}" }, summaries: [{ name: 's', sql: 'SELECT `status`, count(1) FROM result_table GROUP BY `status`' }] };
      expect(await problemsWithoutData(job({ ...spark, ...sparkSql }), { window })).toEqual([]);
      // The same SQL on DuckDB is refused, and an engine override counts like the spec.
      expect(await problemsWithoutData(job(sparkSql), { window })).not.toEqual([]);
      expect(await problemsWithoutData(job(sparkSql), { window, engine: 'spark' })).toEqual([]);
      expect(await problemsWithoutData(job({ ...spark, left: { uri: 'l.csv', query: 'SELECT * FROM source WHERE d = {{ window.day }}' } }), { window })).toEqual([expect.stringMatching(/^spec\.left\.query: .*window\.day/)]);
    });

    it('refuses the CSV options Spark does not support, naming each field and the fix', async () => {
      const csv = { dateFormat: '%d/%m/%Y', timestampFormat: '%d/%m/%Y %H:%M', skipRows: 2 };
      const spec = { engine: 'spark', left: { uri: 'l.csv', csv }, right: { inputs: { bank: { uri: 'b.csv', csv: { skipRows: 1 } } }, query: 'SELECT * FROM bank' } };
      expect(await problemsWithoutData(job(spec), { window })).toEqual([
        expect.stringMatching(/^spec\.left\.csv\.dateFormat: a declared format \("%d\/%m\/%Y"\) is not supported on engine: spark yet; use engine: duckdb/),
        expect.stringMatching(/^spec\.left\.csv\.timestampFormat: .*use engine: duckdb/),
        expect.stringMatching(/^spec\.left\.csv\.skipRows: .*use engine: duckdb, or remove the preamble/),
        expect.stringMatching(/^spec\.right\.inputs\.bank\.csv\.skipRows: /),
      ]);
      // The same options on DuckDB are fine, and a header: false file without them is fine on Spark.
      expect(await problemsWithoutData(job({ ...spec, engine: 'duckdb' }), { window })).toEqual([]);
      expect(await problemsWithoutData(job({ engine: 'spark', left: { uri: 'l.csv', csv: { header: false, skipRows: 0, delimiter: ';' } } }), { window })).toEqual([]);
    });
  });
});
