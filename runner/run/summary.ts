// The run summary: what summary.json holds and `raas run --json` prints (DESIGN §3).
// Counts are integers; decimal values are strings, never floats.

export interface Counts {
  left: number;
  right: number;
  matched: number;
  mismatched: number;
  leftOnly: number;
  rightOnly: number;
  duplicateKeysLeft: number;
  duplicateKeysRight: number;
  nullKeysLeft: number;
  nullKeysRight: number;
}

export interface Expectations {
  maxMismatched: number;
  maxLeftOnly: number;
  maxRightOnly: number;
  maxDuplicateKeys: number;
  maxNullKeys: number;
}

export interface RunSummary {
  job: string;
  namespace?: string;
  run: string;
  window: { start: string; end: string };
  balanced: boolean;
  counts: Counts;
  mismatchedByColumn: Record<string, number>;
  diffTotals: Record<string, string>;
  summaries: Record<string, string | null>;
  results: { uri: string; files: string[]; summaryUri: string; mode: string; format: string };
  timings: Timings;
}

/**
 * Milliseconds per stage. `compareMs` covers everything between staging and writing; `steps`
 * splits it (issue 11: where the time of a run goes): reading the inputs and the per-side
 * queries, planning (describe, numeric probes), the NULL/duplicate key checks, the compare
 * join itself, and the summaries.
 */
export interface Timings {
  stageMs: number;
  compareMs: number;
  writeMs: number;
  steps?: { loadMs: number; planMs: number; keysMs: number; joinMs: number; summariesMs: number };
}

/** Every count within its limit (DESIGN §5); duplicate and null limits cover both sides together. */
export function isBalanced(c: Counts, e: Expectations): boolean {
  return (
    c.mismatched <= e.maxMismatched &&
    c.leftOnly <= e.maxLeftOnly &&
    c.rightOnly <= e.maxRightOnly &&
    c.duplicateKeysLeft + c.duplicateKeysRight <= e.maxDuplicateKeys &&
    c.nullKeysLeft + c.nullKeysRight <= e.maxNullKeys
  );
}

export function expectationsFrom(expect: Partial<Expectations> | undefined): Expectations {
  return {
    maxMismatched: expect?.maxMismatched ?? 0,
    maxLeftOnly: expect?.maxLeftOnly ?? 0,
    maxRightOnly: expect?.maxRightOnly ?? 0,
    maxDuplicateKeys: expect?.maxDuplicateKeys ?? 0,
    maxNullKeys: expect?.maxNullKeys ?? 0,
  };
}

const TERMINATION_LIMIT = 4000;

/**
 * The summary squeezed under the 4 KiB a Kubernetes termination message holds: detail
 * maps are dropped (largest first) until it fits; summary.json keeps everything.
 */
export function compactSummary(s: RunSummary): string {
  const base: Record<string, unknown> = {
    phase: 'Succeeded',
    job: s.job,
    run: s.run,
    window: s.window,
    balanced: s.balanced,
    counts: s.counts,
    mismatchedByColumn: s.mismatchedByColumn,
    diffTotals: s.diffTotals,
    summaries: s.summaries,
    results: { uri: s.results.uri, summaryUri: s.results.summaryUri, files: s.results.files },
    timings: s.timings,
  };
  const droppable = ['results.files', 'summaries', 'mismatchedByColumn', 'diffTotals', 'timings'];
  let text = JSON.stringify(base);
  for (const key of droppable) {
    if (Buffer.byteLength(text) <= TERMINATION_LIMIT) break;
    if (key === 'results.files') base.results = { uri: s.results.uri, summaryUri: s.results.summaryUri };
    else delete base[key];
    base.truncated = true;
    text = JSON.stringify(base);
  }
  return text;
}

export function compactFailure(stage: string, message: string, extra: { job?: string; run?: string } = {}): string {
  const limit = TERMINATION_LIMIT - 200;
  const msg = Buffer.byteLength(message) > limit ? `${message.slice(0, limit)}…` : message;
  return JSON.stringify({ phase: 'Failed', stage, message: msg, ...extra });
}
