// The readable report `raas run` prints: the counts a person reads first (datacompy-style),
// then where the full result is.
import type { RunSummary } from '../run/summary.ts';

export function formatSummary(s: RunSummary): string {
  const c = s.counts;
  const cols = Object.entries(s.mismatchedByColumn)
    .filter(([, n]) => n > 0)
    .map(([col, n]) => `${col} ${n}`)
    .join(', ');
  const lines = [
    `${s.job}  ${s.window.start} .. ${s.window.end}  ${s.balanced ? 'BALANCED' : 'UNBALANCED'}`,
    `  rows          left ${c.left}, right ${c.right}`,
    `  matched       ${c.matched}`,
    `  mismatched    ${c.mismatched}${cols ? `  (${cols})` : ''}`,
    `  left only     ${c.leftOnly}`,
    `  right only    ${c.rightOnly}`,
    `  duplicate keys left ${c.duplicateKeysLeft}, right ${c.duplicateKeysRight}`,
    `  null keys     left ${c.nullKeysLeft}, right ${c.nullKeysRight}`,
  ];
  const totals = Object.entries(s.diffTotals);
  if (totals.length) lines.push(`  diff totals   ${totals.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const sums = Object.entries(s.summaries);
  if (sums.length) lines.push(`  summaries     ${sums.map(([k, v]) => `${k} ${v ?? 'NULL'}`).join(', ')}`);
  lines.push(`  results       ${s.results.files.join(', ')} (${s.results.mode})`);
  lines.push(`  summary       ${s.results.summaryUri}`);
  return `${lines.join('\n')}\n`;
}
