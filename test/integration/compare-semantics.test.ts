// Compare semantics (docs/design.md) end to end: real files, the real runner, results read
// back, on both engines (DuckDB, and Spark local with one driver per test process): every
// case must give the same answer on each.
import { beforeEach, describe, expect, it } from 'vitest';
import { duckSql, makeTempDir, statuses } from '../support/recon-fixture.ts';
import { join } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import { ENGINES, engineReady, reconcileOn, SPARK_TIMEOUT_MS } from '../support/engines.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

describe.each(ENGINES)('%s', (engine) => {
  const rc = reconcileOn(engine);
  beforeEach(async (ctx) => {
    await engineReady(engine, ctx);
  });

  describe('counts and statuses', () => {
    it('classifies every key exactly once and writes the documented columns', async () => {
      const { summary, rows, columns } = await rc(
        {
          'l.csv': csv('id,amount,status', '1,10.00,A', '2,20.00,B', '3,30.00,C', '4,40.00,D'),
          'r.csv': csv('id,amount,status', '1,10.00,A', '2,21.00,B', '3,30.00,X', '5,50.00,E'),
        },
        { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] },
      );
      expect(summary.counts).toEqual({
        left: 4, right: 4, matched: 1, mismatched: 2, leftOnly: 1, rightOnly: 1,
        duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0,
      });
      expect(summary.balanced).toBe(false);
      expect(summary.mismatchedByColumn).toEqual({ amount: 1, status: 1 });
      expect(summary.diffTotals).toEqual({ amount: '1.00' });
      expect(columns).toEqual(['id', 'recon_status', 'recon_mismatched', 'amount_left', 'amount_right', 'amount_diff', 'status_left', 'status_right', 'recon_break_id', 'recon_break_version', 'recon_break_state', 'recon_first_seen', 'recon_origin_window', 'recon_age_days', 'recon_age_periods', 'recon_duplicate_side', 'recon_duplicate_rows_left', 'recon_duplicate_rows_right']);
      expect(statuses(rows)).toEqual(['2:mismatch', '3:mismatch', '4:left_only', '5:right_only']);
      const two = rows.find((r) => r.id === '2' || r.id === 2)!;
      expect(two.recon_mismatched).toEqual(['amount']);
      expect(two.amount_diff).toBe('1.00');
    });

    it('balanced when every count is within expect', async () => {
      const files = { 'l.csv': csv('id,v', '1,1', '2,2', '3,3'), 'r.csv': csv('id,v', '1,1', '2,9', '4,4') };
      const base = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] };
      expect((await rc(files, base)).summary.balanced).toBe(false);
      expect((await rc(files, { ...base, expect: { maxMismatched: 1, maxLeftOnly: 1, maxRightOnly: 1 } })).summary.balanced).toBe(true);
      expect((await rc(files, { ...base, expect: { maxMismatched: 1, maxLeftOnly: 1, maxRightOnly: 0 } })).summary.balanced).toBe(false);
    });

    it('composite keys with different names per side', async () => {
      const { summary, rows } = await rc(
        {
          'l.csv': csv('merchant,day,total', 'm1,2024-01-01,5', 'm1,2024-01-02,6', 'm2,2024-01-01,7'),
          'r.csv': csv('shop,date,total', 'm1,2024-01-01,5', 'm1,2024-01-02,8', 'm2,2024-01-02,7'),
        },
        { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'merchant', right: 'shop' }, { column: 'day', right: 'date' }] },
      );
      expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 });
      expect(rows.map((r) => `${String(r.merchant)}/${String(r.day)}:${String(r.recon_status)}`).sort()).toEqual([
        'm1/2024-01-02:mismatch',
        'm2/2024-01-01:left_only',
        'm2/2024-01-02:right_only',
      ]);
    });

    it('NULL keys are counted per row and set aside', async () => {
      const { summary, rows } = await rc(
        {
          'l.csv': csv('a,b,v', '1,x,1', ',x,2', '1,,3', ',,4'),
          'r.csv': csv('a,b,v', '1,x,1', ',y,2'),
        },
        { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'a' }, { column: 'b' }], expect: { maxNullKeys: 4 } },
      );
      expect(summary.counts).toMatchObject({ left: 4, right: 2, matched: 1, mismatched: 0, leftOnly: 0, rightOnly: 0, nullKeysLeft: 3, nullKeysRight: 1 });
      expect(summary.balanced).toBe(true);
      expect(rows).toEqual([]);
    });
  });

  describe('duplicate keys', () => {
    const spec = (mode: string) => ({ left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], output: { mode } });
    const files = {
      // 1: dup left only (also once on right); 2: dup both sides; 3: dup right, absent left;
      // 4: dup right, once left; 5: plain match; 6: dup left, absent right.
      'l.csv': csv('id,v', '1,a', '1,a', '2,b', '2,b', '4,d', '5,e', '6,f', '6,g'),
      'r.csv': csv('id,v', '1,a', '2,b', '2,b', '3,c', '3,c', '4,d', '4,d', '5,e'),
    };

    it('counts each duplicated key once per side and never multiplies the join', async () => {
      const { summary, rows } = await rc(files, spec('AllDiffs'));
      expect(summary.counts).toEqual({
        left: 8, right: 8, matched: 1, mismatched: 0, leftOnly: 0, rightOnly: 0,
        duplicateKeysLeft: 3, duplicateKeysRight: 3, nullKeysLeft: 0, nullKeysRight: 0,
      });
      expect(statuses(rows)).toEqual(['1:duplicate', '2:duplicate', '3:duplicate', '4:duplicate', '6:duplicate']);
    });

    it('LeftDiffs keeps left-side duplicates, RightDiffs right-side ones, Full adds matches', async () => {
      expect(statuses((await rc(files, spec('LeftDiffs'))).rows)).toEqual(['1:duplicate', '2:duplicate', '6:duplicate']);
      expect(statuses((await rc(files, spec('RightDiffs'))).rows)).toEqual(['2:duplicate', '3:duplicate', '4:duplicate']);
      const full = await rc(files, spec('Full'));
      expect(statuses(full.rows)).toEqual(['1:duplicate', '2:duplicate', '3:duplicate', '4:duplicate', '5:match', '6:duplicate']);
      expect(full.summary.counts.matched).toBe(1);
    });
  });

  describe('output modes', () => {
    const files = {
      'l.csv': csv('id,v', '1,1', '2,2', '3,3'),
      'r.csv': csv('id,v', '1,1', '2,5', '4,4'),
    };
    const spec = (mode: string) => ({ left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], output: { mode } });
    it.each([
      ['Full', ['1:match', '2:mismatch', '3:left_only', '4:right_only']],
      ['AllDiffs', ['2:mismatch', '3:left_only', '4:right_only']],
      ['LeftDiffs', ['2:mismatch', '3:left_only']],
      ['RightDiffs', ['2:mismatch', '4:right_only']],
    ])('%s', async (mode, expected) => {
      const { rows, summary } = await rc(files, spec(mode));
      expect(statuses(rows)).toEqual(expected);
      // Counts never depend on the output mode.
      expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 });
    });
  });

  describe('values: tolerance, NULLs, normalisation, coercion', () => {
    it('tolerance is exact decimal arithmetic: 0.30 vs 0.31 with absolute 0.01 matches', async () => {
      const { summary, rows } = await rc(
        {
          'l.csv': csv('id,amount', '1,0.30', '2,0.30', '3,100', '4,100', '5,', '6,', '7,0.1'),
          'r.csv': csv('id,amount', '1,0.31', '2,0.32', '3,100.50', '4,100.51', '5,', '6,0', '7,0.11'),
        },
        { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], compare: [{ column: 'amount', tolerance: { absolute: 0.01, relative: 0.005 } }], output: { mode: 'Full' } },
      );
      // |d| <= 0.01 + 0.005*|left|: 1 (0.01 <= 0.0115) match; 2 (0.02 > 0.0115) mismatch;
      // 3 (0.50 <= 0.51) match; 4 (0.51 <= 0.51) match; 5 NULL=NULL match; 6 NULL vs 0 mismatch; 7 match.
      expect(statuses(rows)).toEqual(['1:match', '2:mismatch', '3:match', '4:match', '5:match', '6:mismatch', '7:match']);
      // Differences inside the tolerance are still totalled; NULL differences are not.
      expect(summary.diffTotals.amount).toBe('1.05');
    });

    it('no tolerance means exact equality, and 0.1 + 0.2 style float noise never appears', async () => {
      const { rows } = await rc(
        { 'l.json': JSON.stringify([{ id: 1, a: 0.3 }, { id: 2, a: 0.1 }]), 'r.csv': csv('id,a', '1,0.30', '2,0.1000001') },
        { left: { uri: 'l.json' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], output: { mode: 'Full' } },
      );
      expect(statuses(rows)).toEqual(['1:match', '2:mismatch']);
      expect(rows.find((r) => String(r.id) === '2')!.a_diff).toBe('0.0000001');
    });

    it('normalisation: trim, lower, collapseWhitespace', async () => {
      const { rows } = await rc(
        {
          'l.csv': csv('id,name', '1,ACME  Corp', '2,Beta', '3,Gamma'),
          'r.csv': csv('id,name', '1, acme corp ', '2,beta', '3,Gamma Ltd'),
        },
        { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], compare: [{ column: 'name', normalize: ['trim', 'lower', 'collapseWhitespace'] }], output: { mode: 'Full' } },
      );
      expect(statuses(rows)).toEqual(['1:match', '2:match', '3:mismatch']);
      // The result shows the values as the sources hold them.
      expect(rows.find((r) => String(r.id) === '1')!.name_right).toBe(' acme corp ');
    });

    it('text vs numeric, integer vs decimal, timestamps with zones', async () => {
      await duckSql(`SELECT 1`);
      const { rows, summary } = await rc(
        {
          'l.csv': csv('id,amount,qty,at', '1,12.50,3,2024-01-01T10:00:00+09:00', '2,7,4,2024-01-01T00:00:00Z'),
          'r.json': JSON.stringify([
            { id: '1', amount: '12.5', qty: 3.0, at: '2024-01-01 01:00:00+00' },
            { id: '2', amount: '7.00', qty: 4.5, at: '2024-01-01T01:00:00+01:00' },
          ]),
        },
        { left: { uri: 'l.csv' }, right: { uri: 'r.json' }, keys: [{ column: 'id' }], output: { mode: 'Full' } },
      );
      expect(statuses(rows)).toEqual(['1:match', '2:mismatch']);
      expect(rows.find((r) => String(r.id) === '2')!.recon_mismatched).toEqual(['qty']);
      expect(summary.diffTotals).toEqual({ amount: '0.00', qty: '0.5' });
    });

    it('numbers too wide for doubles stay exact through CSV', async () => {
      const { rows } = await rc(
        { 'l.csv': csv('id,a', '1,12345678901234567.89', '2,98765432109876543.21'), 'r.csv': csv('id,a', '1,12345678901234567.89', '2,98765432109876543.22') },
        { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] },
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.a_diff).toBe('0.01');
    });

    it('a non-numeric value in a numerically compared column fails the run and names it', async () => {
      await expect(
        rc(
          { 'l.csv': csv('id,a', '1,1.5'), 'r.csv': csv('id,a', '1,n/a') },
          { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], compare: [{ column: 'a', tolerance: { absolute: 0.1 } }] },
        ),
      ).rejects.toThrow(/"a" on the right side .* not numbers, e\.g\. "n\/a"/);
    });

    it('compare omitted compares every common non-key column', async () => {
      const { summary } = await rc(
        { 'l.csv': csv('id,a,b,only_left', '1,1,x,q'), 'r.csv': csv('ref,a,b,only_right', '1,1,y,z') },
        { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id', right: 'ref' }] },
      );
      expect(Object.keys(summary.mismatchedByColumn)).toEqual(['a', 'b']);
      expect(summary.mismatchedByColumn).toEqual({ a: 0, b: 1 });
    });
  });

  describe('queries, aggregates and summaries', () => {
    // DuckDB SQL in the queries (`::DATE` on a window literal, `'\d'` unescaped, VARCHAR):
    // user SQL is the engine's own dialect, and spark-engine.test.ts runs Spark SQL queries.
    it.runIf(engine === 'duckdb')('per-side query with regexp_extract and window templates as SQL literals', async () => {
      const { summary, rows } = await rc(
        {
          'l.csv': csv('ref,amount,day', 'INV-001/x,5,2024-01-01', 'INV-002/y,6,2024-01-01', 'INV-003/z,7,2024-01-02'),
          'r.csv': csv('id,amount', '001,5', '002,6'),
        },
        {
          left: { uri: 'l.csv', query: "SELECT regexp_extract(ref, 'INV-(\\d+)', 1) AS id, amount FROM source WHERE day >= {{ window.startDate }}::DATE AND day < {{ window.endDate }}::DATE" },
          right: { uri: 'r.csv', query: 'SELECT lpad(CAST(id AS VARCHAR), 3, \'0\') AS id, amount FROM source' },
          keys: [{ column: 'id' }],
        },
      );
      expect(summary.counts).toMatchObject({ left: 2, right: 2, matched: 2 });
      expect(rows).toEqual([]);
    });

    it('summary reconciliation groups both sides by the keys first', async () => {
      const { summary, rows } = await rc(
        {
          'l.csv': csv('merchant,month,amount', 'm1,2024-01,10.00', 'm1,2024-01,5.00', 'm2,2024-01,1.00', 'm3,2024-01,2.00'),
          'r.csv': csv('shop,month,amt', 'm1,2024-01,15.00', 'm2,2024-01,0.50', 'm2,2024-01,0.40', 'm4,2024-01,1.00'),
        },
        {
          left: { uri: 'l.csv' },
          right: { uri: 'r.csv' },
          keys: [{ column: 'merchant', right: 'shop' }, { column: 'month' }],
          aggregate: { measures: [{ column: 'amount', right: 'amt', fn: 'sum', as: 'amount' }, { fn: 'count', as: 'n' }] },
          output: { mode: 'Full' },
        },
      );
      expect(summary.counts).toMatchObject({ left: 3, right: 3, matched: 0, mismatched: 2, leftOnly: 1, rightOnly: 1 });
      expect(summary.mismatchedByColumn).toEqual({ amount: 1, n: 2 });
      expect(rows.map((r) => `${String(r.merchant)}:${String(r.recon_status)}`).sort()).toEqual(['m1:mismatch', 'm2:mismatch', 'm3:left_only', 'm4:right_only']);
      expect(summary.diffTotals.amount).toBe('-0.10');
    });

    it('summaries run over result_table and return decimal strings', async () => {
      const { summary } = await rc(
        { 'l.csv': csv('id,amount', '1,10.10', '2,20.20', '3,1'), 'r.csv': csv('id,amount', '1,10.15', '2,20.00', '3,1') },
        {
          left: { uri: 'l.csv' },
          right: { uri: 'r.csv' },
          keys: [{ column: 'id' }],
          summaries: [
            { name: 'mismatch_amount', sql: 'SELECT sum(amount_diff) FROM result_table' },
            { name: 'mismatch_count', sql: "SELECT count(*) FROM result_table WHERE recon_status = 'mismatch'" },
            { name: 'nothing', sql: 'SELECT NULL' },
          ],
        },
      );
      expect(summary.summaries).toEqual({ mismatch_amount: '-0.15', mismatch_count: '2', nothing: null });
    });

    it('a summary returning several rows fails and says so', async () => {
      await expect(
        rc({ 'l.csv': csv('id', '1'), 'r.csv': csv('id', '1') }, { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], summaries: [{ name: 's', sql: 'SELECT * FROM range(3)' }] }),
      ).rejects.toThrow(/spec\.summaries\[0\]\.sql: must return exactly one row with one column; got 2 row/);
    });

    // read_csv is DuckDB's; spark-engine.test.ts refuses Spark's own ways to read a file.
    it.runIf(engine === 'duckdb')('user SQL cannot read other files once inputs are staged', async () => {
      await expect(
        rc({ 'l.csv': csv('id', '1'), 'r.csv': csv('id', '1') }, { left: { uri: 'l.csv', query: "SELECT * FROM read_csv('/etc/passwd')" }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] }),
      ).rejects.toThrow(/spec\.left\.query.*(Permission|disabled|table function read_csv)/);
    });
  });

  describe('formats', () => {
    it('reads parquet, ndjson, headerless csv with a delimiter, and gzip', async () => {
      const dir = await makeTempDir();
      try {
        const pq = join(dir, 'l.parquet');
        await duckSql(`COPY (SELECT i AS id, CAST(i * 1.25 AS DECIMAL(10,2)) AS v FROM range(1, 4) t(i)) TO '${pq}' (FORMAT parquet)`);
        const gz = join(dir, 'r.csv.gz');
        await duckSql(`COPY (SELECT * FROM (VALUES (1, '1.25'), (2, '2.50'), (3, '3.70')) t(a, b)) TO '${gz}' (FORMAT csv, HEADER false, DELIMITER '|')`);
        const pqBytes = await readFile(pq);
        const gzBytes = await readFile(gz);
        const { summary } = await rc(
          { 'l.parquet': pqBytes, 'r.csv.gz': gzBytes },
          {
            left: { uri: 'l.parquet' },
            right: { uri: 'r.csv.gz', csv: { header: false, delimiter: '|' }, query: 'SELECT column0 AS id, column1 AS v FROM source' },
            // A key the query makes from a headerless CSV column: its type must be declared.
            keys: [{ column: 'id', type: 'numeric' }],
          },
        );
        expect(summary.counts).toMatchObject({ matched: 2, mismatched: 1 });
        expect(summary.diffTotals.v).toBe('-0.05');
        const nd = await rc(
          { 'l.ndjson': '{"id":1,"v":"a"}\n{"id":2,"v":"b"}\n', 'r.json': '[{"id":1,"v":"a"},{"id":2,"v":"c"}]' },
          { left: { uri: 'l.ndjson' }, right: { uri: 'r.json' }, keys: [{ column: 'id' }] },
        );
        expect(nd.summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}, SPARK_TIMEOUT_MS);
