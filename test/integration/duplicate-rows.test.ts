// A duplicated key's row in the result: which side repeats it, how many rows each side has,
// the compared values each side's rows agree on, and (spec.amount) each side's money over
// those rows, in Parquet and CSV alike (docs/adr/0165-duplicate-rows-carry-sides-counts-and-money.md),
// on both engines.
import { beforeEach, describe, expect, it } from 'vitest';
import { ENGINES, engineReady, reconcileOn, SPARK_TIMEOUT_MS } from '../support/engines.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const files = {
  'ledger.csv': csv(
    'id,amount,currency,status',
    '1,10.00,EUR,paid',
    '2,20.00,EUR,paid', // booked twice, same values
    '2,20.00,EUR,paid',
    '3,30.00,EUR,paid', // twice with different amounts
    '3,31.00,EUR,open',
    '5,5.00,EUR,paid', // twice in two currencies: no money total
    '5,5.00,USD,paid',
  ),
  'psp.csv': csv('id,amount,currency,status', '1,10.00,EUR,paid', '2,20.00,EUR,paid', '4,40.00,GBP,paid', '4,40.00,GBP,paid', '4,40.00,GBP,paid'),
};
const spec = (format: 'parquet' | 'csv') => ({
  left: { name: 'ledger', uri: 'ledger.csv' },
  right: { name: 'psp', uri: 'psp.csv' },
  keys: [{ column: 'id' }],
  compare: [{ column: 'amount' }, { column: 'status' }],
  amount: { column: 'amount', currency: 'currency' },
  output: { mode: 'AllDiffs', format },
});

describe.each(ENGINES)('duplicate rows in the result (%s)', (engine) => {
  const reconcile = reconcileOn(engine);
  beforeEach(async (ctx) => {
    await engineReady(engine, ctx);
  });

  it.each(['parquet', 'csv'] as const)('carry side, rows per side, agreed values and money (%s)', async (format) => {
    const { summary, rows, columns } = await reconcile(files, spec(format));
    expect(summary.counts).toMatchObject({ matched: 1, duplicateKeysLeft: 3, duplicateKeysRight: 1 });
    expect(columns.slice(-3)).toEqual(['recon_duplicate_side', 'recon_duplicate_rows_left', 'recon_duplicate_rows_right']);
    // CSV is text: compare everything as text.
    const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
    const dup = rows
      .filter((r) => r.recon_status === 'duplicate')
      .map((r) => Object.fromEntries(['id', 'recon_duplicate_side', 'recon_duplicate_rows_left', 'recon_duplicate_rows_right', 'amount_left', 'amount_right', 'amount_diff', 'status_left', 'status_right', 'recon_amount_left', 'recon_currency_left', 'recon_amount_right', 'recon_currency_right'].map((c) => [c, text(r[c])])));
    expect(dup).toEqual([
      // Left twice, once on the right: both sides' rows agree, so both values show; the money is each side's total.
      { id: '2', recon_duplicate_side: 'left', recon_duplicate_rows_left: '2', recon_duplicate_rows_right: '1', amount_left: '20.00', amount_right: '20.00', amount_diff: null, status_left: 'paid', status_right: 'paid', recon_amount_left: '40.00', recon_currency_left: 'EUR', recon_amount_right: '20.00', recon_currency_right: 'EUR' },
      // The two left rows disagree on amount and status: no single value; the money is still their EUR total.
      { id: '3', recon_duplicate_side: 'left', recon_duplicate_rows_left: '2', recon_duplicate_rows_right: '0', amount_left: null, amount_right: null, amount_diff: null, status_left: null, status_right: null, recon_amount_left: '61.00', recon_currency_left: 'EUR', recon_amount_right: null, recon_currency_right: null },
      // Three times on the right only.
      { id: '4', recon_duplicate_side: 'right', recon_duplicate_rows_left: '0', recon_duplicate_rows_right: '3', amount_left: null, amount_right: '40.00', amount_diff: null, status_left: null, status_right: 'paid', recon_amount_left: null, recon_currency_left: null, recon_amount_right: '120.00', recon_currency_right: 'GBP' },
      // EUR and USD: never added up; the amounts agree, so the compared value shows.
      { id: '5', recon_duplicate_side: 'left', recon_duplicate_rows_left: '2', recon_duplicate_rows_right: '0', amount_left: '5.00', amount_right: null, amount_diff: null, status_left: 'paid', status_right: null, recon_amount_left: null, recon_currency_left: null, recon_amount_right: null, recon_currency_right: null },
    ]);
    // Other rows carry NULL in the duplicate columns, and duplicates are not money at stake.
    for (const r of rows.filter((x) => x.recon_status !== 'duplicate')) expect([r.recon_duplicate_side, r.recon_duplicate_rows_left, r.recon_duplicate_rows_right].map(text)).toEqual([null, null, null]);
    expect(summary.atStake).toEqual({});
  });

  it('keeps a duplicate on both sides as one row naming both', async () => {
    const both = { 'ledger.csv': csv('id,amount,currency,status', '7,1.00,EUR,paid', '7,1.00,EUR,paid'), 'psp.csv': csv('id,amount,currency,status', '7,1.00,EUR,paid', '7,2.00,EUR,paid') };
    const { rows, summary } = await reconcile(both, spec('parquet'));
    expect(summary.counts).toMatchObject({ duplicateKeysLeft: 1, duplicateKeysRight: 1 });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: '7', recon_status: 'duplicate', recon_duplicate_side: 'both', amount_left: '1.00', amount_right: null, recon_amount_left: '2.00', recon_amount_right: '3.00' });
    expect(Number(rows[0]!.recon_duplicate_rows_left)).toBe(2);
    expect(Number(rows[0]!.recon_duplicate_rows_right)).toBe(2);
  });
}, SPARK_TIMEOUT_MS);
