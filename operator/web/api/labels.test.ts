import { describe, expect, it } from 'vitest';
import { columnLabel, columnsWithDifferences, duplicateSideLabel, failureText, sidesOf, statusLabel } from './labels.ts';

const sides = sidesOf({ left: { name: 'ledger' }, right: { name: 'PSP' } });

describe('labels in the sides\' names', () => {
  it.each([
    ['amount_left', 'Ledger amount'],
    ['amount_right', 'PSP amount'],
    ['amount_diff', 'Amount difference (PSP − ledger)'],
    ['recon_status', 'Status'],
    ['recon_mismatched', 'Columns that differ'],
    ['recon_age_days', 'Age (days)'],
    ['id', 'id'],
    ['order_id_left', 'Ledger order_id'],
    ['recon_duplicate_side', 'Duplicated in'],
    ['recon_duplicate_rows_left', 'Rows in Ledger'],
    ['recon_duplicate_rows_right', 'Rows in PSP'],
    ['recon_amount_left', 'Ledger money'],
    ['recon_currency_right', 'PSP currency'],
  ])('%s -> %s', (name, label) => expect(columnLabel(name, sides)).toBe(label));

  it.each([
    ['left_only', 'Only in ledger'],
    ['right_only', 'Only in PSP'],
    ['mismatch', 'Differs'],
    ['matched_late', 'Matched late'],
    ['something_new', 'something_new'],
  ])('status %s -> %s', (s, label) => expect(statusLabel(s, sides)).toBe(label));

  it.each([
    ['left', 'ledger'],
    ['right', 'PSP'],
    ['both', 'ledger and PSP'],
  ])('duplicated in %s -> %s', (v, label) => expect(duplicateSideLabel(v, sides)).toBe(label));

  it('falls back to left and right without names', () => {
    expect(sidesOf(undefined)).toEqual({ left: 'left', right: 'right' });
    expect(sidesOf({ left: { name: '  ' }, right: {} })).toEqual({ left: 'left', right: 'right' });
    expect(columnLabel('amount_left', sidesOf({}))).toBe('Left amount');
  });

  it('lists only columns that really differ, most first', () => {
    expect(columnsWithDifferences({ status: 0, amount: 1, fee: 3 })).toEqual([['fee', 3], ['amount', 1]]);
    expect(columnsWithDifferences(undefined)).toEqual([]);
  });

  it.each([
    ['stage', 'stage "stage" failed: s3://ledger/2024-01-02.csv: no such object', 'Fetching the input files failed: s3://ledger/2024-01-02.csv: no such object'],
    ['catalog', 'stage "catalog" failed: cannot reach the catalog database', 'Writing to the results catalog failed: cannot reach the catalog database'],
    ['pod', 'the runner pod was OOMKilled', 'The run\'s pod failed: the runner pod was OOMKilled'],
    ['newstage', undefined, 'The newstage step failed'],
    [undefined, 'gone', 'The run failed: gone'],
  ])('failure %s', (stage, message, text) => expect(failureText(stage, message)).toBe(text));
});
