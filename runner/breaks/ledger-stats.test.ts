import { describe, expect, it } from 'vitest';
import { ledgerFigures, type LedgerStatsRow } from './ledger-stats.ts';

const row = (first_seen: string, c: Partial<Record<'new_breaks' | 'persisting' | 'resolved' | 'closed' | 'open_items' | 'oldest_days', number | bigint | string>>): LedgerStatsRow => ({
  first_seen,
  new_breaks: 0,
  persisting: 0,
  resolved: 0,
  closed: 0,
  open_items: 0,
  oldest_days: 0,
  ...c,
});

describe('the break ledger folded from its rows per first-seen window', () => {
  it('an empty ledger has nothing open and no oldest window', () => {
    expect(ledgerFigures([])).toEqual({ breaks: { open: 0, new: 0, persisting: 0, resolved: 0, closed: 0, oldestAgeDays: 0 }, openItems: 0 });
  });

  it('sums every window, and names the oldest window that still has an open break', () => {
    const f = ledgerFigures([
      row('2024-03-03T00:00:00+00:00', { new_breaks: 5, closed: 1, open_items: 6 }),
      // Only resolved and closed breaks: not open, so not the oldest open window.
      row('2024-03-01T00:00:00+00:00', { resolved: 2, closed: 3, open_items: 3, oldest_days: 0 }),
      row('2024-03-02T00:00:00+00:00', { persisting: 4n, resolved: 1n, open_items: 4n, oldest_days: 1n }),
    ]);
    expect(f).toEqual({
      breaks: { open: 9, new: 5, persisting: 4, resolved: 3, closed: 4, oldestOpenSince: '2024-03-02T00:00:00+00:00', oldestAgeDays: 1 },
      openItems: 13,
    });
  });

  it('orders windows as instants, not as text (offsets differ across a DST change)', () => {
    // 2024-03-31T00:30+01:00 is 2024-03-30T23:30Z, earlier than 23:45Z; as text it sorts last.
    const f = ledgerFigures([
      row('2024-03-30T23:45:00+00:00', { persisting: 1, open_items: 1 }),
      row('2024-03-31T00:30:00+01:00', { persisting: 1, open_items: 1 }),
    ]);
    expect(f.breaks.oldestOpenSince).toBe('2024-03-31T00:30:00+01:00');
  });

  it.each([
    ['missing', undefined],
    ['negative', -1],
    ['fractional', 1.5],
    ['text that is no count', 'n/a'],
    ['NULL', null],
  ])('refuses a count that is %s rather than reading it as 0', (_, bad) => {
    expect(() => ledgerFigures([row('2024-03-01T00:00:00+00:00', { new_breaks: bad as number })])).toThrow(/internal: the ledger's new_breaks/);
  });

  it('refuses a first-seen window that is not an instant', () => {
    expect(() => ledgerFigures([row('yesterday', { new_breaks: 1, open_items: 1 })])).toThrow(/not an instant/);
  });
});
