// The break list SQL run on the real embedded DuckDB over a result file shaped like the
// runner's (break ledger columns included).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral } from '../../../runner/compare/sql-text.ts';
import { breakListSql, breakRowSql, parseBreakQuery, type BreakQuery, type BreakSource } from './break-query.ts';
import type { BreakWork } from './breaks.ts';
import { ParamError } from './listing.ts';

const CSV = [
  'id,recon_status,recon_mismatched,amount_left,amount_right,amount_diff,currency_left,currency_right,recon_break_id,recon_first_seen,recon_age_days,recon_break_state',
  '1,mismatch,[amount],20.00,20.50,0.50,EUR,EUR,b1,2024-01-03,0,new',
  '2,left_only,[],337.55,,,USD,,b2,2024-01-01,2,persisting',
  '3,right_only,[],,42.00,,,EUR,b3,2024-01-03,0,new',
  '4,matched_late,[],10.00,10.00,0.00,GBP,GBP,b4,2024-01-02,1,resolved',
  '5,match,[],5.00,5.00,0.00,GBP,GBP,,,,',
  '6,left_only,[],-1500.00,,,USD,,b6,2023-12-01,33,persisting',
].join('\n');

let dir: string;
let inst: DuckDBInstance;
let conn: DuckDBConnection;
let source: string;
let src: BreakSource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raas-bq-'));
  await writeFile(join(dir, 'r.csv'), CSV);
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
  source = `read_csv([${quoteLiteral(join(dir, 'r.csv'))}], all_varchar = true, header = true)`;
  const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson() as Array<{ column_name: string; column_type: string }>;
  src = { columns: cols.map((c) => ({ name: c.column_name, type: c.column_type })), keys: ['id'], amount: { column: 'amount', currency: 'currency' } };
});
afterAll(async () => {
  conn.closeSync();
  inst.closeSync();
  await rm(dir, { recursive: true, force: true });
});

const q = (text: string): BreakQuery => parseBreakQuery(new URLSearchParams(text));
async function list(text: string, work: BreakWork[] = []): Promise<{ ids: string[]; rows: Array<Record<string, unknown>>; total: number }> {
  const { select, count } = breakListSql(source, src, work, q(text));
  const rows = (await conn.runAndReadAll(select)).getRowObjectsJson() as Array<Record<string, unknown>>;
  const total = Number(((await conn.runAndReadAll(count)).getRowObjectsJson()[0] as { n: string }).n);
  return { ids: rows.map((r) => String(r.b_id)), rows, total };
}
async function fp(id: string): Promise<string> {
  return String(((await conn.runAndReadAll(breakRowSql(source, src, id))).getRowObjectsJson()[0] as { b_fp: string }).b_fp);
}

describe('break list over a result file', () => {
  it('lists every break (not matches), largest amount at stake first, money as written', async () => {
    const r = await list('');
    expect(r.ids).toEqual(['b6', 'b2', 'b3', 'b1', 'b4']);
    expect(r.total).toBe(5);
    expect(r.rows.map((x) => [x.b_amount, x.b_currency])).toEqual([['1500.00', 'USD'], ['337.55', 'USD'], ['42.00', 'EUR'], ['0.50', 'EUR'], [null, 'GBP']]);
  });

  it.each([
    ['state=new', ['b3', 'b1']],
    ['state=persisting,resolved', ['b6', 'b2', 'b4']],
    ['state=open', ['b6', 'b2', 'b3', 'b1']],
    ['minAge=1&maxAge=30', ['b2', 'b4']],
    ['minAge=31', ['b6']],
    ['minAmount=40&maxAmount=400', ['b2', 'b3']],
    ['minAmount=0.5&maxAmount=0.5', ['b1']],
    ['q=3', ['b3']],
    ['q=B6', ['b6']],
    ['sort=id&order=asc', ['b1', 'b2', 'b3', 'b4', 'b6']],
    ['sort=age&order=asc', ['b1', 'b3', 'b4', 'b2', 'b6']],
    ['sort=amount_left&order=asc', ['b6', 'b4', 'b1', 'b2', 'b3']],
    ['sort=currency&order=desc', ['b2', 'b6', 'b4', 'b1', 'b3']],
  ])('%s', async (text, ids) => expect((await list(text)).ids).toEqual(ids));

  it('pages without overlap and counts all filtered breaks', async () => {
    const a = await list('limit=2');
    expect(a.ids).toEqual(['b6', 'b2']);
    expect(a.total).toBe(5);
    const { select } = breakListSql(source, src, [], { ...q('limit=2'), offset: 2 });
    expect(((await conn.runAndReadAll(select)).getRowObjectsJson() as Array<{ b_id: string }>).map((r) => r.b_id)).toEqual(['b3', 'b1']);
  });

  it('joins people\'s work: owner, comments, and a closure only while the data is unchanged', async () => {
    const fp2 = await fp('b2');
    const work: BreakWork[] = [
      { breakId: 'b2', owner: 'alice', comments: 2, lastComment: { by: 'alice', at: 'x', text: 'it\'s late' }, closed: { reason: 'written-off', by: 'alice', at: 'x', run: 'r', fingerprint: fp2 } },
      { breakId: 'b3', comments: 0, closed: { reason: 'explained', by: 'bob', at: 'x', run: 'r', fingerprint: 'stale' } },
    ];
    const r = await list('sort=id', work);
    const by = Object.fromEntries(r.rows.map((x) => [x.b_id, x]));
    expect(by.b2).toMatchObject({ b_state: 'closed', b_owner: 'alice', b_comments: 2, b_last_comment: "it's late", b_closed_reason: 'written-off', b_changed: false });
    expect(by.b3).toMatchObject({ b_state: 'new', b_closed_reason: null, b_changed: true });
    expect((await list('state=closed', work)).ids).toEqual(['b2']);
    expect((await list('state=open', work)).ids).toEqual(['b6', 'b3', 'b1']);
    expect((await list('sort=owner&order=asc', work)).ids[0]).toBe('b2');
  });

  it('fingerprints a break by its data: the same row the same hash, another row another', async () => {
    expect(await fp('b1')).toMatch(/^[0-9a-f]{32}$/);
    expect(await fp('b1')).toBe(await fp('b1'));
    expect(await fp('b1')).not.toBe(await fp('b3'));
    expect((await conn.runAndReadAll(breakRowSql(source, src, 'nope'))).getRowObjectsJson()).toEqual([]);
  });

  it('a job without a break ledger: ids from the keys, state open, and age filters refused by name', async () => {
    const plain = { ...src, columns: src.columns.filter((c) => !['recon_break_id', 'recon_age_days', 'recon_break_state', 'recon_first_seen'].includes(c.name)) };
    const { select } = breakListSql(source, plain, [], q('sort=status'));
    const rows = (await conn.runAndReadAll(select)).getRowObjectsJson() as Array<{ b_id: string; b_state: string }>;
    expect(rows.every((r) => /^k-[0-9a-f]{24}$/.test(r.b_id))).toBe(true);
    expect(rows.map((r) => r.b_state).sort()).toEqual(['open', 'open', 'open', 'open', 'resolved']);
    expect(() => breakListSql(source, plain, [], q('minAge=3'))).toThrow(/minAge|no break ages/);
    expect(() => breakListSql(source, { ...src, amount: undefined } as BreakSource, [], q('minAmount=3'))).toThrow(/spec\.amount/);
  });

  it.each([
    ['state=done', 'state'],
    ['minAge=-1', 'minAge'],
    ['minAge=5&maxAge=1', 'maxAge'],
    ['minAmount=1,000', 'minAmount'],
    ['maxAmount=1e9', 'maxAmount'],
    ['order=up', 'order'],
    ['format=xls', 'format'],
    ['limit=0', 'limit'],
    ['evil=1', 'evil'],
    ['q=' + 'x'.repeat(201), 'q'],
    ['continue=eyJ2IjoxLCJrIjpbIjIiLCJ4Il19', 'continue'],
  ])('refuses %s naming %s', (text, param) => {
    try {
      parseBreakQuery(new URLSearchParams(text));
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ParamError);
      expect((err as ParamError).param).toBe(param);
    }
  });

  it('reads the runner\'s ledger columns: version as the fingerprint, recon_amount_* as money, a run-time closure reopened since', async () => {
    const file = join(dir, 'ledger.csv');
    await writeFile(file, [
      'id,recon_status,amount_left,amount_right,recon_break_id,recon_break_version,recon_break_state,recon_amount_left,recon_amount_right,recon_currency_left,recon_currency_right',
      '7,mismatch,,,x7,v7,closed,100.10,100.05,EUR,EUR',
      '8,left_only,,,x8,v8,new,-25.5,,USD,',
    ].join('\n'));
    const source2 = `read_csv([${quoteLiteral(file)}], all_varchar = true, header = true)`;
    const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source2}`)).getRowObjectsJson() as Array<{ column_name: string; column_type: string }>;
    const src2: BreakSource = { columns: cols.map((c) => ({ name: c.column_name, type: c.column_type })), keys: ['id'], amount: { column: 'amount' } };
    const run = async (work: BreakWork[]) => {
      const rows = (await conn.runAndReadAll(breakListSql(source2, src2, work, q('sort=id')).select)).getRowObjectsJson() as Array<Record<string, unknown>>;
      return rows.map((r) => [r.b_id, r.b_state, r.b_amount, r.b_currency]);
    };
    expect(await run([])).toEqual([['x7', 'closed', '0.05', 'EUR'], ['x8', 'new', '25.5', 'USD']]);
    // Reopened on the page after the run: open now; closed again for this version: closed.
    expect((await run([{ breakId: 'x7', comments: 0 }]))[0]![1]).toBe('open');
    expect((await run([{ breakId: 'x7', comments: 0, closed: { reason: 'explained', by: 'a', at: 'x', run: 'r', fingerprint: 'v7' } }]))[0]![1]).toBe('closed');
    expect(((await conn.runAndReadAll(breakRowSql(source2, src2, 'x8'))).getRowObjectsJson()[0] as { b_fp: string }).b_fp).toBe('v8');
  });

  it('refuses a sort by a column the result does not have, and quotes hostile names and searches', async () => {
    expect(() => breakListSql(source, src, [], q('sort=nope'))).toThrow(ParamError);
    const r = await list(`q=${encodeURIComponent("'; DROP TABLE x; --")}`);
    expect(r.ids).toEqual([]);
  });
});
