// The readable report `raas run` prints: the counts a person reads first (datacompy-style),
// then where the full result is.
import type { Counts, RunSummary } from '../run/summary.ts';

export interface OutcomeView {
  counts: Counts;
  mismatchedByColumn?: Record<string, number>;
  diffTotals?: Record<string, string>;
  summaries?: Record<string, string | null>;
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
    `  duplicate keys left ${c.duplicateKeysLeft}, right ${c.duplicateKeysRight}`,
    `  null keys     left ${c.nullKeysLeft}, right ${c.nullKeysRight}`,
  ];
  const totals = Object.entries(o.diffTotals ?? {});
  if (totals.length) lines.push(`  diff totals   ${totals.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const sums = Object.entries(o.summaries ?? {});
  if (sums.length) lines.push(`  summaries     ${sums.map(([k, v]) => `${k} ${v ?? 'NULL'}`).join(', ')}`);
  return lines;
}

export function formatSummary(s: RunSummary): string {
  const lines = [`${s.job}  ${s.window.start} .. ${s.window.end}  ${s.balanced ? 'BALANCED' : 'UNBALANCED'}`, ...outcomeLines(s)];
  for (const w of s.warnings ?? []) lines.push(`  warning       ${w}`);
  lines.push(`  results       ${s.results.files.join(', ')} (${s.results.mode})`);
  lines.push(`  summary       ${s.results.summaryUri}`);
  return `${lines.join('\n')}\n`;
}
