// The names the break ledger adds to result rows and open-items files: one list, read by
// the runner's SQL, the results API and the page (docs/user-guide/breaks.md).

/** `recon_status` of a this-window key that matched an open item of an earlier window. */
export const MATCHED_LATE = 'matched_late';

/** The file each run writes next to summary.json: the breaks still open after it. */
export const OPEN_ITEMS_FILE = 'open-items.parquet';

export const BREAK_STATES = ['new', 'persisting', 'resolved', 'closed'] as const;
export type BreakState = (typeof BREAK_STATES)[number];

/** Ledger columns, after the job's own result columns, in this order. */
export const LEDGER_COLUMNS = [
  'recon_break_id',
  'recon_break_version',
  'recon_break_state',
  'recon_first_seen',
  'recon_origin_window',
  'recon_age_days',
  'recon_age_periods',
] as const;

/** With spec.amount: each side's money and currency. */
export const MONEY_COLUMNS = ['recon_amount_left', 'recon_amount_right', 'recon_currency_left', 'recon_currency_right'] as const;

/**
 * On `duplicate` rows (NULL on every other row): the side(s) that repeat the key (`left`,
 * `right`, `both`) and how many rows of each side have it.
 */
export const DUPLICATE_COLUMNS = ['recon_duplicate_side', 'recon_duplicate_rows_left', 'recon_duplicate_rows_right'] as const;

/** The catalog table the page writes break state to and the runner reads closures from. */
export const DEFAULT_BREAKS_TABLE = 'raas_breaks';

/** How many periods before a missing previous window are looked at to tell a gap from a first window. */
export const FIRST_WINDOW_LOOKBACK = 62;
