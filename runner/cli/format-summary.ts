// The readable report `raas run` prints: the counts a person reads first (datacompy-style),
// then where the full result is.
import { totalAtStake } from '../breaks/money.ts';
import type { AtStake, BreakLedger, Counts, RunSummary } from '../run/summary.ts';

export interface OutcomeView {
  counts: Counts;
  mismatchedByColumn?: Record<string, number>;
  diffTotals?: Record<string, string>;
  summaries?: Record<string, string | null>;
  atStake?: AtStake;
  breaks?: BreakLedger;
}

/** The count lines of a report; also what `kubectl recon results` prints from a ReconRun's status. */
export function outcomeLines(o: OutcomeView): string[] {
  const c = o.counts;
  const cols = Object.entries(o.mismatchedByColumn ?? {})
    .filter(([, n]) => n > 0)
    .map(([col, n]) => `${col} ${n}`)
    .join(', ');
  const lines = [
    `  rows          left ${c.left}, right ${c.right}`,
    `  matched       ${c.matched}`,
    `  mismatched    ${c.mismatched}${cols ? `  (${cols})` : ''}`,
    `  left only     ${c.leftOnly}`,
    `  right only    ${c.rightOnly}`,
    ...(c.matchedLate !== undefined && (c.matchedLate > 0 || (o.breaks?.persisting ?? 0) > 0 || (o.breaks?.resolved ?? 0) > 0) ? [`  matched late  ${c.matchedLate}`] : []),
    `  duplicate keys left ${c.duplicateKeysLeft}, right ${c.duplicateKeysRight}`,
    `  null keys     left ${c.nullKeysLeft}, right ${c.nullKeysRight}`,
  ];
  const totals = Object.entries(o.diffTotals ?? {});
  if (totals.length) lines.push(`  diff totals   ${totals.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const sums = Object.entries(o.summaries ?? {});
  if (sums.length) lines.push(`  summaries     ${sums.map(([k, v]) => `${k} ${v ?? 'NULL'}`).join(', ')}`);
  lines.push(...moneyLines(o.atStake), ...ledgerLines(o.breaks));
  return lines;
}

/** Money at stake, one line per currency: the total, then what it is made of. */
export function moneyLines(atStake: AtStake | undefined): string[] {
  if (!atStake) return [];
  const currencies = Object.keys(atStake).sort();
  if (currencies.length === 0) return ['  at stake      none'];
  return currencies.map((c, i) => {
    const v = atStake[c]!;
    return `  ${i === 0 ? 'at stake ' : '         '}     ${c} ${totalAtStake(v)}  (left only ${v.leftOnly}, right only ${v.rightOnly}, mismatched ${v.mismatched})`;
  });
}

/** The break ledger in one line. */
export function ledgerLines(b: BreakLedger | undefined): string[] {
  if (!b) return [];
  const oldest = b.oldestOpenSince ? `; oldest open since ${b.oldestOpenSince} (${b.oldestAgeDays ?? 0} day(s))` : '';
  const closed = b.closed ? `, closed ${b.closed}` : '';
  return [`  breaks        open ${b.open} (new ${b.new}, persisting ${b.persisting}), resolved ${b.resolved}${closed}${oldest}`];
}

export function formatSummary(s: RunSummary): string {
  const lines = [`${s.job}  ${s.window.start} .. ${s.window.end}  ${s.balanced ? 'BALANCED' : 'UNBALANCED'}`, ...outcomeLines(s)];
  for (const w of s.warnings ?? []) lines.push(`  warning       ${w}`);
  lines.push(`  results       ${s.results.files.join(', ')} (${s.results.mode})`);
  lines.push(`  summary       ${s.results.summaryUri}`);
  return `${lines.join('\n')}\n`;
}
