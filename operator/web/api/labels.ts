// What a finance reader sees instead of engine names: columns and statuses in the sides'
// own names ("Ledger amount", "Only in PSP"), failed-run messages as a sentence. Pure;
// the API sends these labels with the data so the page and the CSV export say the same.

export interface Sides {
  left: string;
  right: string;
}

/** The sides' display names from a job spec (`left.name`, `right.name`), else "left"/"right". */
export function sidesOf(spec: Record<string, unknown> | undefined): Sides {
  const name = (side: unknown, dflt: string) => {
    const n = (side as { name?: unknown } | undefined)?.name;
    return typeof n === 'string' && n.trim() ? n.trim() : dflt;
  };
  return { left: name(spec?.left, 'left'), right: name(spec?.right, 'right') };
}

const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

const FIXED: Record<string, string> = {
  recon_status: 'Status',
  recon_mismatched: 'Columns that differ',
  recon_break_id: 'Break',
  recon_first_seen: 'First seen',
  recon_age_days: 'Age (days)',
  recon_age_periods: 'Age (periods)',
  recon_break_state: 'State',
  recon_origin_window: 'From window',
  recon_duplicate_side: 'Duplicated in',
};

/** A result column's header: `amount_left` -> "Ledger amount", `amount_diff` -> "amount difference (PSP − Ledger)". */
export function columnLabel(name: string, sides: Sides): string {
  const fixed = FIXED[name];
  if (fixed) return fixed;
  const own = /^recon_(duplicate_rows|amount|currency)_(left|right)$/.exec(name);
  if (own) {
    const side = cap(own[2] === 'left' ? sides.left : sides.right);
    return own[1] === 'duplicate_rows' ? `Rows in ${side}` : `${side} ${own[1] === 'amount' ? 'money' : 'currency'}`;
  }
  const m = /^(.+)_(left|right|diff)$/.exec(name);
  if (!m) return name;
  const [, col, part] = m;
  if (part === 'left') return `${cap(sides.left)} ${col}`;
  if (part === 'right') return `${cap(sides.right)} ${col}`;
  return `${cap(col!)} difference (${sides.right} − ${sides.left})`;
}

/** A recon_duplicate_side value (left, right, both) in the sides' names. */
export function duplicateSideLabel(side: string, sides: Sides): string {
  if (side === 'left') return sides.left;
  if (side === 'right') return sides.right;
  if (side === 'both') return `${sides.left} and ${sides.right}`;
  return side;
}

/** A recon_status value in words. */
export function statusLabel(status: string, sides: Sides): string {
  switch (status) {
    case 'left_only':
      return `Only in ${sides.left}`;
    case 'right_only':
      return `Only in ${sides.right}`;
    case 'mismatch':
      return 'Differs';
    case 'duplicate':
      return 'Duplicate key';
    case 'match':
      return 'Matches';
    case 'matched_late':
      return 'Matched late';
    default:
      return status;
  }
}

/** Counts per column with zero entries dropped: "Columns with differences" lists only real ones. */
export function columnsWithDifferences(byColumn: Record<string, number> | undefined): Array<[string, number]> {
  return Object.entries(byColumn ?? {})
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

const STAGES: Record<string, string> = {
  validate: 'The job definition was refused',
  render: 'Filling in the window dates failed',
  stage: 'Fetching the input files failed',
  load: 'Reading the input files failed',
  query: 'The job\'s SQL failed',
  keys: 'Checking the key columns failed',
  compare: 'The comparison failed',
  summaries: 'The summaries failed',
  write: 'Writing the results failed',
  upload: 'Uploading the results failed',
  catalog: 'Writing to the results catalog failed',
  carry: 'Reading the previous window\'s open items failed',
  pod: 'The run\'s pod failed',
};

/**
 * A failed run's message as a sentence: `stage "stage" failed: x` -> "Fetching the input
 * files failed: x". The engine's wording stays available in `message`.
 */
export function failureText(failedStage: string | undefined, message: string | undefined): string | undefined {
  if (!failedStage && !message) return undefined;
  const detail = (message ?? '').replace(/^stage "[^"]*" failed:\s*/, '').trim();
  const head = failedStage ? (STAGES[failedStage] ?? `The ${failedStage} step failed`) : 'The run failed';
  return detail ? `${head}: ${detail}` : head;
}
