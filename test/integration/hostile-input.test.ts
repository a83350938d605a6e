// Hostile inputs: each once gave wrong counts with exit 0, some reported BALANCED.
// Each class gets the right answer or a clear refusal; real files, real DuckDB.
import { describe, expect, it } from 'vitest';
import { duckSql, makeTempDir, parquetOf, reconcile, statuses } from '../support/recon-fixture.ts';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const base = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] };

describe('generated names never meet user names', () => {
  it('user columns named like internal aliases (k0, v0, o0, __present, __in_left) are compared as themselves', async () => {
    const { summary, rows } = await reconcile(
      {
        'l.csv': csv('id,k0,v0,o0,__present,__in_left', '1,1,a,x,t,p', '2,2,b,y,t,q', '3,3,c,z,t,r'),
        'r.csv': csv('id,k0,v0,o0,__present,__in_left', '1,1,a,x,t,p', '2,9,b,y,t,q', '3,3,c,z,f,s'),
      },
      { ...base, compare: [{ column: 'k0' }, { column: 'v0' }, { column: 'o0', normalize: ['lower'] }, { column: '__present' }, { column: '__in_left' }] },
    );
    expect(summary.counts).toMatchObject({ matched: 1, mismatched: 2, leftOnly: 0, rightOnly: 0 });
    expect(summary.mismatchedByColumn).toEqual({ k0: 1, v0: 0, o0: 0, __present: 1, __in_left: 1 });
    expect(statuses(rows)).toEqual(['2:mismatch', '3:mismatch']);
  });

  it('a key named like the engine\'s join flags (__in_left) and columns named __eq0, __dup_side get the right statuses', async () => {
    const { summary, rows } = await reconcile(
      {
        'l.csv': csv('__in_left,__eq0,__dup_side', '1,10,a', '2,20,b', '3,30,c'),
        'r.csv': csv('__in_left,__eq0,__dup_side', '1,10,a', '2,21,b', '4,40,d'),
      },
      { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: '__in_left' }] },
    );
    expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 });
    expect(summary.mismatchedByColumn).toEqual({ __eq0: 1, __dup_side: 0 });
    expect(statuses(rows, '__in_left')).toEqual(['2:mismatch', '3:left_only', '4:right_only']);
  });

  it.each([
    ['a key named RECON_STATUS', csv('RECON_STATUS,amount', '1,1'), [{ column: 'RECON_STATUS' }], /result column "RECON_STATUS" would also be produced by raas/],
    ['a compare column whose _left clashes with a key in another case', csv('AMOUNT_LEFT,amount', '1,1'), [{ column: 'AMOUNT_LEFT' }], /result column "amount_left" would also be produced by spec\.keys\[0\]/],
    ['a column starting with __raas_', csv('id,__RAAS_eq0', '1,1'), [{ column: 'id' }], /starts with "__raas_"/],
  ])('refuses %s, naming the column', async (_name, file, keys, message) => {
    await expect(reconcile({ 'l.csv': file, 'r.csv': file }, { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys })).rejects.toThrow(message);
  });
});

describe('columns that differ only in letter case pair up', () => {
  const files = { 'l.csv': csv('id,amount,Status', '1,10.00,a', '2,20.00,b'), 'r.csv': csv('ID,AMOUNT,status', '1,10.00,a', '2,25.00,b') };

  it('with compare omitted: amount = AMOUNT, Status = status, id = ID', async () => {
    const { summary, columns } = await reconcile(files, base);
    expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
    expect(summary.balanced).toBe(false);
    expect(summary.mismatchedByColumn).toEqual({ amount: 1, Status: 0 });
    expect(columns).toEqual(['id', 'recon_status', 'recon_mismatched', 'amount_left', 'amount_right', 'amount_diff', 'Status_left', 'Status_right', 'recon_break_id', 'recon_break_version', 'recon_break_state', 'recon_first_seen', 'recon_origin_window', 'recon_age_days', 'recon_age_periods', 'recon_duplicate_side', 'recon_duplicate_rows_left', 'recon_duplicate_rows_right']);
  });

  it('with compare naming the left spelling', async () => {
    const { summary } = await reconcile(files, { ...base, compare: [{ column: 'amount' }] });
    expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
  });
});

describe('a run that compares no column', () => {
  const files = { 'l.csv': csv('id,a', '1,x', '2,y'), 'r.csv': csv('id,b', '1,p', '2,q') };

  it('says so and is not balanced', async () => {
    const { summary } = await reconcile(files, base);
    expect(summary.counts).toMatchObject({ matched: 2, mismatched: 0, leftOnly: 0, rightOnly: 0 });
    expect(summary.balanced).toBe(false);
    expect(summary.warnings?.[0]).toMatch(/no column was compared.*compare: \[\] to compare keys only/);
  });

  it('is balanced when the spec asks for keys only with compare: []', async () => {
    const { summary } = await reconcile(files, { ...base, compare: [] });
    expect(summary.balanced).toBe(true);
    expect(summary).not.toHaveProperty('warnings');
  });
});

describe('a window where neither side has a row', () => {
  const spec = { ...base, compare: [{ column: 'v' }] };

  it.each([
    ['header-only files', { 'l.csv': csv('id,v'), 'r.csv': csv('id,v') }, spec],
    ['queries that keep no row', { 'l.csv': csv('id,v', '1,x'), 'r.csv': csv('id,v', '1,x') }, { ...spec, left: { uri: 'l.csv', query: "SELECT * FROM source WHERE v = 'none'" }, right: { uri: 'r.csv', query: "SELECT * FROM source WHERE v = 'none'" } }],
  ])('%s: compared nothing, so it is not balanced, and says why and the fix', async (_name, files, s) => {
    const { summary } = await reconcile(files, s);
    expect(summary.counts).toMatchObject({ left: 0, right: 0, matched: 0, mismatched: 0, leftOnly: 0, rightOnly: 0 });
    expect(summary.balanced).toBe(false);
    expect(summary.warnings).toEqual([expect.stringMatching(/^no row was compared: both sides are empty for this window .*set expect\.allowEmpty: true/)]);
  });

  it('is balanced when the spec expects empty windows (expect.allowEmpty)', async () => {
    const { summary } = await reconcile({ 'l.csv': csv('id,v'), 'r.csv': csv('id,v') }, { ...spec, expect: { allowEmpty: true } });
    expect(summary.balanced).toBe(true);
    expect(summary).not.toHaveProperty('warnings');
  });

  it('one empty side is not this case: its rows are one-sided breaks', async () => {
    const { summary } = await reconcile({ 'l.csv': csv('id,v'), 'r.csv': csv('id,v', '1,x') }, spec);
    expect(summary.counts).toMatchObject({ left: 0, right: 1, rightOnly: 1 });
    expect(summary.balanced).toBe(false);
    expect(summary).not.toHaveProperty('warnings');
  });
});

describe('a warning that explains counts does not unbalance a run its expect allows', () => {
  it('an empty field against empty text, within expect.maxMismatched', async () => {
    const { summary } = await reconcile(
      { 'l.csv': csv('id,v', '1,', '2,a'), 'r.parquet': await parquetOf("SELECT * FROM (VALUES ('1', ''), ('2', 'a')) t(id, v)") },
      { ...base, right: { uri: 'r.parquet' }, compare: [{ column: 'v' }], expect: { maxMismatched: 1 } },
    );
    expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
    expect(summary.warnings).toEqual([expect.stringMatching(/empty field read as NULL/)]);
    expect(summary.balanced).toBe(true);
  });
});

describe('numbers exactly as written', () => {
  it('JSON: 18-digit decimals stay distinct, integer keys beyond 64 bits stay distinct, 1e2 equals 100', async () => {
    const { summary, rows } = await reconcile(
      {
        'l.json': '[{"id": 123456789012345678901234567890, "a": 0.123456789012345678}, {"id": 123456789012345678901234567891, "a": 0.123456789012345678}, {"id": 5, "a": 1e2}]',
        'r.ndjson': '{"id": 123456789012345678901234567890, "a": 0.123456789012345677}\n{"id": 123456789012345678901234567891, "a": 0.123456789012345678}\n{"id": 5, "a": 100.00}\n',
      },
      { left: { uri: 'l.json' }, right: { uri: 'r.ndjson' }, keys: [{ column: 'id' }] },
    );
    expect(summary.counts).toMatchObject({ left: 3, right: 3, matched: 2, mismatched: 1, duplicateKeysLeft: 0, duplicateKeysRight: 0 });
    expect(summary.diffTotals).toEqual({ a: '-0.000000000000000001' });
    expect(rows.map((r) => String(r.id))).toEqual(['123456789012345678901234567890']);
  });

  it('JSON integers wider than DECIMAL stay distinct as text', async () => {
    const big = '1234567890123456789012345678901234567890';
    const { summary } = await reconcile(
      { 'l.ndjson': `{"id": ${big}1, "v": 1}\n{"id": ${big}2, "v": 2}\n`, 'r.ndjson': `{"id": ${big}1, "v": 1}\n{"id": ${big}2, "v": 3}\n` },
      { left: { uri: 'l.ndjson' }, right: { uri: 'r.ndjson' }, keys: [{ column: 'id' }] },
    );
    expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1, duplicateKeysLeft: 0 });
  });

  it('CSV timestamps with nanoseconds keep them (the sniffer alone would cut them to microseconds)', async () => {
    const { summary } = await reconcile(
      {
        'l.csv': csv('id,ts', '1,2024-01-01 10:00:00.123456789', '2,2024-01-01 10:00:00.123456789', '3,2024-01-01 10:00:00.5'),
        'r.csv': csv('id,ts', '1,2024-01-01 10:00:00.123456789', '2,2024-01-01 10:00:00.123456788', '3,2024-01-01T19:00:00.500000000+09:00'),
      },
      base,
    );
    expect(summary.counts).toMatchObject({ matched: 2, mismatched: 1 });
  });

  it('Parquet TIMESTAMP_NS vs TIMESTAMP compares at nanoseconds', async () => {
    const dir = await makeTempDir();
    try {
      const l = join(dir, 'l.parquet');
      const r = join(dir, 'r.parquet');
      await duckSql(
        `COPY (SELECT * FROM (VALUES (1, '2024-01-01 10:00:00.123456789'::TIMESTAMP_NS), (2, '2024-01-01 10:00:00.123456000'::TIMESTAMP_NS)) t(id, ts)) TO '${l}' (FORMAT parquet)`,
      );
      await duckSql(`COPY (SELECT * FROM (VALUES (1, '2024-01-01 10:00:00.123456'::TIMESTAMP), (2, '2024-01-01 10:00:00.123456'::TIMESTAMP)) t(id, ts)) TO '${r}' (FORMAT parquet)`);
      const { summary } = await reconcile({}, { left: { uri: l }, right: { uri: r }, keys: [{ column: 'id' }] });
      expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
      expect(summary.mismatchedByColumn).toEqual({ ts: 1 });
      // Text with an offset next to nanoseconds: read as the same instant, at nanoseconds.
      const text = await reconcile(
        { 'r.csv': 'id,ts\n1,2024-01-01T19:00:00.123456789+09:00\n2,2024-01-01T10:00:00.123456001Z\n' },
        { left: { uri: l }, right: { uri: 'r.csv' }, keys: [{ column: 'id', type: 'numeric' }] },
      );
      expect(text.summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('user SQL is one read-only SELECT over its own input', () => {
  it.each([
    ['a second statement that replaces the other side', { left: { uri: 'l.csv', query: 'SELECT * FROM source; CREATE OR REPLACE TEMP VIEW right_input AS SELECT * FROM left_input' } }, /spec\.left\.query: must be one read-only SELECT/],
    ['a query reading the other side', { left: { uri: 'l.csv', query: 'SELECT * FROM right_input' } }, /spec\.left\.query: reads "right_input"/],
    ['a summary deleting result rows', { summaries: [{ name: 'x', sql: "DELETE FROM recon WHERE recon_status = 'mismatch'" }] }, /spec\.summaries\[0\]\.sql: must be one read-only SELECT/],
    ['a summary reading the engine table', { summaries: [{ name: 'x', sql: 'SELECT count(*) FROM recon' }] }, /spec\.summaries\[0\]\.sql: reads "recon"/],
  ])('refuses %s', async (_name, extra, message) => {
    await expect(reconcile({ 'l.csv': csv('id,v', '1,1'), 'r.csv': csv('id,v', '1,2') }, { ...base, ...extra })).rejects.toThrow(message);
  });
});
