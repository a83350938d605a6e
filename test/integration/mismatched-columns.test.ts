// recon_mismatched names the compared columns that differed. In a CSV result it is a JSON
// array of strings, so names that need quoting in CSV (`Amount (EUR)`, `fee, net`, `say "hi"`)
// come back whole; the web's rows API lists and filters by them exactly, for CSV and Parquet
// results written by the real runner on both engines and read by the web's own reader (real
// DuckDB).
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINES, engineReady, reconcileOn, SPARK_TIMEOUT_MS } from '../support/engines.ts';
import { openResults } from '../../operator/web/api/results.ts';
import type { FixtureRun } from '../support/recon-fixture.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
// 1: only Amount (EUR) differs; 2: only "fee, net"; 3: only `say "hi"`; 4: all three; 5: matches.
const files = {
  'l.csv': csv('id,"Amount (EUR)","fee, net","say ""hi""",Amount', '1,10.00,1,a,1', '2,20.00,2,b,2', '3,30.00,3,c,3', '4,40.00,4,d,4', '5,50.00,5,e,5'),
  'r.csv': csv('id,"Amount (EUR)","fee, net","say ""hi""",Amount', '1,11.00,1,a,1', '2,20.00,9,b,2', '3,30.00,3,z,3', '4,41.00,9,z,4', '5,50.00,5,e,5'),
};
const spec = (format: 'csv' | 'parquet') => ({
  left: { uri: 'l.csv' },
  right: { uri: 'r.csv' },
  keys: [{ column: 'id' }],
  compare: [{ column: 'Amount (EUR)' }, { column: 'fee, net' }, { column: 'say "hi"' }, { column: 'Amount' }],
  output: { mode: 'AllDiffs', format },
});

const runs: FixtureRun[] = [];
afterAll(async () => {
  for (const r of runs) await rm(r.dir, { recursive: true, force: true });
});

const cases = ENGINES.flatMap((engine) => (['csv', 'parquet'] as const).map((format) => [engine, format] as const));

describe.each(cases)('differing-column names that need quoting, %s, %s results', (engine, format) => {
  it('are stored as a list that reads back whole, and the column filter finds exactly the rows where each differed', async (ctx) => {
    await engineReady(engine, ctx);
    const run = await reconcileOn(engine)(files, spec(format), { keep: true });
    runs.push(run);
    expect(run.summary.mismatchedByColumn).toEqual({ 'Amount (EUR)': 2, 'fee, net': 2, 'say "hi"': 2, Amount: 0 });
    if (format === 'csv') {
      // The file itself: a JSON array, never DuckDB's unquoted [a, b] text.
      const four = run.rows.find((r) => String(r.id) === '4')!;
      expect(JSON.parse(String(four.recon_mismatched))).toEqual(['Amount (EUR)', 'fee, net', 'say "hi"']);
    }
    const results = openResults({ localRoots: [run.dir] });
    try {
      const file = run.summary.results.files;
      const ids = async (column: string) => (await results.rows(file, { column, limit: 100, offset: 0 })).rows.map((r) => r.id).sort();
      expect(await ids('Amount (EUR)')).toEqual(['1', '4']);
      expect(await ids('fee, net')).toEqual(['2', '4']);
      expect(await ids('say "hi"')).toEqual(['3', '4']);
      // A name that is a prefix or a part of another name matches nothing by accident.
      expect(await ids('Amount')).toEqual([]);
      const page = await results.rows(file, { statuses: ['mismatch'], limit: 100, offset: 0 });
      expect(page.columns.find((c) => c.name === 'recon_mismatched')?.type).toBe('VARCHAR[]');
      expect(page.rows.find((r) => r.id === '4')?.recon_mismatched).toEqual(['Amount (EUR)', 'fee, net', 'say "hi"']);
    } finally {
      await results.close();
    }
  }, SPARK_TIMEOUT_MS);
});
