// spec.output.columns: extra columns from both sides travel into the
// result table as <c>_left / <c>_right in every output mode, never compared, never counted,
// on both engines.
import { beforeEach, describe, expect, it } from 'vitest';
import { statuses } from '../support/recon-fixture.ts';
import { ENGINES, engineReady, reconcileOn, SPARK_TIMEOUT_MS } from '../support/engines.ts';
import { validateReconJob } from '../../runner/spec/load.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const files = {
  'l.csv': csv('id,amount,merchant', '1,10.00,Acme', '2,20.00,Bolt', '3,30.00,Cora', '5,50.00,Dup', '5,51.00,Dup'),
  'r.csv': csv('id,amount,merchant_name,ts', '1,10.00,ACME Ltd,2024-01-01T10:00:00Z', '2,21.00,Bolt Inc,2024-01-01T11:00:00Z', '4,40.00,Eve,2024-01-01T12:00:00Z'),
};
const spec = (mode: string, extra: Record<string, unknown> = {}) => ({
  left: { uri: 'l.csv' },
  right: { uri: 'r.csv' },
  keys: [{ column: 'id' }],
  compare: [{ column: 'amount' }],
  output: { mode, columns: [{ column: 'merchant', right: 'merchant_name' }], ...extra },
});

describe.each(ENGINES)('carried columns, %s', (engine) => {
  const rc = reconcileOn(engine);
  beforeEach(async (ctx) => {
  await engineReady(engine, ctx);
  });

  it('adds <c>_left and <c>_right after the compared columns, with the values of each side, and changes no count', async () => {
    const { summary, rows, columns } = await rc(files, spec('Full'));
    expect(columns).toEqual(['id', 'recon_status', 'recon_mismatched', 'amount_left', 'amount_right', 'amount_diff', 'merchant_left', 'merchant_right', 'recon_break_id', 'recon_break_version', 'recon_break_state', 'recon_first_seen', 'recon_origin_window', 'recon_age_days', 'recon_age_periods', 'recon_duplicate_side', 'recon_duplicate_rows_left', 'recon_duplicate_rows_right']);
    // Different merchant names on 1 do not make it a mismatch: carried columns are not compared.
    expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1, duplicateKeysLeft: 1 });
    expect(summary.mismatchedByColumn).toEqual({ amount: 1 });
    expect(statuses(rows)).toEqual(['1:match', '2:mismatch', '3:left_only', '4:right_only', '5:duplicate']);
    const by = (id: number) => rows.find((r) => Number(r.id) === id)!;
    expect(by(1)).toMatchObject({ merchant_left: 'Acme', merchant_right: 'ACME Ltd' });
    expect(by(2)).toMatchObject({ merchant_left: 'Bolt', merchant_right: 'Bolt Inc' });
    expect(by(3)).toMatchObject({ merchant_left: 'Cora', merchant_right: null });
    expect(by(4)).toMatchObject({ merchant_left: null, merchant_right: 'Eve' });
    // A duplicate key's values are ambiguous by definition: none is carried.
    expect(by(5)).toMatchObject({ merchant_left: null, merchant_right: null });
  });

  it.each(['AllDiffs', 'LeftDiffs', 'RightDiffs'])('are carried in %s', async (mode) => {
    const { rows, columns } = await rc(files, spec(mode));
    expect(columns).toContain('merchant_left');
    expect(columns).toContain('merchant_right');
    const two = rows.find((r) => Number(r.id) === 2)!;
    expect(two).toMatchObject({ recon_status: 'mismatch', merchant_left: 'Bolt', merchant_right: 'Bolt Inc' });
  });

  it('match column names ignoring case on each side', async () => {
    const { rows } = await rc(files, { ...spec('AllDiffs'), output: { mode: 'AllDiffs', columns: [{ column: 'MERCHANT', right: 'Merchant_Name' }] } });
    expect(rows.find((r) => Number(r.id) === 2)).toMatchObject({ MERCHANT_left: 'Bolt', MERCHANT_right: 'Bolt Inc' });
  });

  it.each([
    ['a column missing on the right', { columns: [{ column: 'merchant' }] }, /spec\.output\.columns\[0\]\.column: column "merchant" not found on the right side/],
    ['a carried column clashing with a compared one', { columns: [{ column: 'amount' }] }, /result column "amount_left" would also be produced by spec\.compare\[0\]/],
  ])('refuses %s, naming the field', async (_name, output, error) => {
    await expect(rc(files, { ...spec('AllDiffs'), output: { mode: 'AllDiffs', ...output } })).rejects.toThrow(error);
  });
}, SPARK_TIMEOUT_MS);

describe('carried columns', () => {
  it('is refused with aggregate, in the schema', () => {
    expect(() =>
      validateReconJob(
        { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'x' }, spec: { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], aggregate: { measures: [{ fn: 'count', as: 'rows' }] }, output: { columns: [{ column: 'merchant' }] } } },
        'test',
      ),
    ).toThrow(/spec\.output\.columns: cannot be used with aggregate/);
  });
});
