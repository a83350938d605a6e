// The break ledger's figures for summary.json, folded from one statement's rows: the ledger
// grouped by the window a break was first seen in (compare/ledger-sql.ts ledgerStatsSql).
// One grouped statement answers the counts, the open items' count and the oldest open
// window at once, where separate statements would each be a job on Spark.
import { countOf } from '../run/summary.ts';
import type { BreakLedger } from '../run/termination-report.ts';

/** One row of ledgerStatsSql: the ledger's rows first seen in one window. */
export type LedgerStatsRow = Record<string, unknown>;

export interface LedgerFigures {
  breaks: BreakLedger;
  /** Rows of the open items file: every break but the resolved ones (closed ones included). */
  openItems: number;
}

/** One of a row's counts (countOf: never 0 for a count that could not be read). */
function countIn(row: LedgerStatsRow, column: string): number {
  return countOf(row[column], `the ledger's ${column}`);
}

export function ledgerFigures(rows: readonly LedgerStatsRow[]): LedgerFigures {
  let fresh = 0;
  let persisting = 0;
  let resolved = 0;
  let closed = 0;
  let openItems = 0;
  let oldestAgeDays = 0;
  let oldest: { text: string; at: number } | undefined;
  for (const row of rows) {
    const rowNew = countIn(row, 'new_breaks');
    const rowPersisting = countIn(row, 'persisting');
    fresh += rowNew;
    persisting += rowPersisting;
    resolved += countIn(row, 'resolved');
    closed += countIn(row, 'closed');
    openItems += countIn(row, 'open_items');
    oldestAgeDays = Math.max(oldestAgeDays, countIn(row, 'oldest_days'));
    if (rowNew + rowPersisting === 0) continue;
    // First-seen values are window starts with their offset: compared as instants, not as text.
    const text = String(row.first_seen);
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new Error(`internal: the ledger's first-seen window ${text} is not an instant`);
    if (!oldest || at < oldest.at) oldest = { text, at };
  }
  return {
    breaks: {
      open: fresh + persisting,
      new: fresh,
      persisting,
      resolved,
      closed,
      ...(oldest ? { oldestOpenSince: oldest.text } : {}),
      oldestAgeDays,
    },
    openItems,
  };
}
