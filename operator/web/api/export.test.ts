import { describe, expect, it } from 'vitest';
import { breakItems, breaksCsv, columnList, csvCell } from './export.ts';
import { sidesOf } from './labels.ts';

const sides = sidesOf({ left: { name: 'ledger' }, right: { name: 'psp' } });

describe('CSV export Excel opens', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['-12.50', '-12.50'],
    ['+1', "'+1"],
    [' lead', '" lead"'],
    [null, ''],
  ])('cell %j', (v, out) => expect(csvCell(v)).toBe(out));

  it.each([
    ['["amount","status"]', ['amount', 'status']],
    ['["a, b"]', ['a, b']],
    ['[amount, status]', ['amount', 'status']],
    ['[]', []],
  ])('differing columns %s', (text, list) => expect(columnList(text)).toEqual(list));

  it('starts with a UTF-8 BOM, uses CRLF, labels columns in the sides\' names and keeps the differing columns in one cell', () => {
    const columns = [
      { name: 'id', type: 'VARCHAR' },
      { name: 'recon_status', type: 'VARCHAR' },
      { name: 'recon_mismatched', type: 'VARCHAR[]' },
      { name: 'amount_left', type: 'VARCHAR' },
      { name: 'amount_right', type: 'VARCHAR' },
    ];
    const rows = [
      { id: '2', recon_status: 'mismatch', recon_mismatched: ['amount', 'status'], amount_left: '20.00', amount_right: '20.50', b_id: 'b2', b_state: 'new', b_changed: false, b_amount: '0.50', b_currency: 'EUR', b_age_days: 0, b_comments: 1, b_owner: 'bob', b_last_comment: 'Zoë, "check"' },
      { id: '3', recon_status: 'left_only', recon_mismatched: [], amount_left: '337.55', amount_right: null, b_id: 'b3', b_state: 'closed', b_changed: false, b_amount: '337.55', b_currency: 'USD', b_age_days: 3, b_comments: 0, b_closed_reason: 'written-off' },
    ];
    const items = breakItems(rows, columns, sides);
    expect(items[0]).toMatchObject({ id: 'b2', statusLabel: 'Differs', amount: '0.50', owner: 'bob', ageDays: 0, comments: 1, row: { recon_mismatched: ['amount', 'status'] } });
    const labelled = columns.map((c) => ({ name: c.name, label: { id: 'id', recon_mismatched: 'Columns that differ', amount_left: 'Ledger amount', amount_right: 'Psp amount', recon_status: 'Status' }[c.name]! }));
    const csv = breaksCsv(items, labelled, sides);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('Break,State,Status,Amount at stake,Currency,Age (days),First seen,Owner,Comments,Last comment,Closed as,id,Columns that differ,Ledger amount,Psp amount');
    expect(lines[1]).toBe('b2,new,Differs,0.50,EUR,0,,bob,1,"Zoë, ""check""",,2,"amount, status",20.00,20.50');
    expect(lines[2]).toBe('b3,closed,Only in ledger,337.55,USD,3,,,0,,written-off,3,,337.55,');
    expect(lines[3]).toBe('');
  });
});
