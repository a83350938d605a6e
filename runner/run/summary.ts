// The run summary: what summary.json holds and `raas run --json` prints (docs/design.md, summary.json and the result table).
// Counts are integers; decimal values are strings, never floats.

// Counts and the termination report's shape are declared once, as zod, in
// termination-report.ts (the operator parses the same schema).
import type { AtStake, AtStakeByAge, BreakLedger, Counts } from './termination-report.ts';
export type { AtStake, AtStakeByAge, BreakLedger, Counts };

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
  /** Money at stake per currency over the open breaks (spec.amount); absent without it. */
  atStake?: AtStake;
  /** The same money by the age of its break in days; absent without spec.amount. */
  atStakeByAge?: AtStakeByAge;
  /** The break ledger after this run: every run has one (without carryForward, all breaks are new). */
  breaks?: BreakLedger;
  /** Where the open breaks after this run are, for the next window and the results page. */
  openItems?: { uri: string; count: number };
  results: { uri: string; files: string[]; summaryUri: string; mode: string; format: string };
  timings: Timings;
  /** Why a completed run is not balanced although its counts are (e.g. nothing was compared). */
  warnings?: string[];
}

/**
 * Milliseconds per stage. `compareMs` covers everything between staging and writing; `steps`
 * splits it (where the time of a run goes): reading the inputs and the per-side
 * queries, planning (describe, numeric probes), the NULL/duplicate key checks, the compare
 * join itself, and the summaries.
 */
export interface Timings {
  stageMs: number;
  compareMs: number;
  writeMs: number;
  steps?: { loadMs: number; planMs: number; keysMs: number; joinMs: number; ledgerMs?: number; summariesMs: number };
}

/** Every count within its limit (docs/design.md, Compare semantics); duplicate and null limits cover both sides together. */
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

/**
 * Kubernetes keeps at most 4096 bytes of a termination message and cuts the rest, which
 * would leave invalid JSON; the reports stay below that in UTF-8 bytes of the JSON text
 * (quotes and control characters grow when escaped, CJK letters take 3 bytes each).
 */
export const TERMINATION_LIMIT = 4000;

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v));
}

/**
 * The longest prefix of `text` whose JSON string encoding takes at most `maxBytes`
 * (with "…" appended when cut). Never splits a surrogate pair.
 */
export function fitString(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(`${chars.slice(0, mid).join('')}…`) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : `${chars.slice(0, lo).join('')}…`;
}

/**
 * The summary squeezed under the limit: detail maps are dropped (in this order) until it
 * fits; then long texts (job, run, URIs) are shortened. summary.json keeps everything.
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
    ...(s.atStake ? { atStake: s.atStake } : {}),
    ...(s.atStakeByAge ? { atStakeByAge: s.atStakeByAge } : {}),
    ...(s.breaks ? { breaks: s.breaks } : {}),
    results: { uri: s.results.uri, summaryUri: s.results.summaryUri, files: s.results.files },
    ...(s.warnings?.length ? { warnings: s.warnings } : {}),
    timings: s.timings,
  };
  // Money at stake and the ledger go last but one: the status shows them in the jobs list.
  const droppable = ['results.files', 'summaries', 'mismatchedByColumn', 'diffTotals', 'timings', 'atStakeByAge', 'warnings', 'atStake'];
  for (const key of droppable) {
    if (jsonBytes(base) <= TERMINATION_LIMIT) break;
    if (key === 'results.files') base.results = { uri: s.results.uri, summaryUri: s.results.summaryUri };
    else delete base[key];
    base.truncated = true;
  }
  if (jsonBytes(base) > TERMINATION_LIMIT) {
    // What is left is counts, the window and texts of unbounded length: give each text an
    // equal share of the room the fixed part leaves. The counts always fit.
    base.truncated = true;
    const texts = { job: s.job, run: s.run, uri: s.results.uri, summaryUri: s.results.summaryUri };
    const fixed = jsonBytes({ ...base, job: '', run: '', results: { uri: '', summaryUri: '' } });
    const share = Math.max(0, Math.floor((TERMINATION_LIMIT - fixed) / 4));
    base.job = fitString(texts.job, share);
    base.run = fitString(texts.run, share);
    base.results = { uri: fitString(texts.uri, share), summaryUri: fitString(texts.summaryUri, share) };
  }
  return JSON.stringify(base);
}

export function compactFailure(stage: string, message: string, extra: { job?: string; run?: string } = {}): string {
  const ids = { ...(extra.job !== undefined ? { job: fitString(extra.job, 300) } : {}), ...(extra.run !== undefined ? { run: fitString(extra.run, 300) } : {}) };
  const shell = { phase: 'Failed', stage: fitString(stage, 100), message: '', ...ids };
  const msg = fitString(message, TERMINATION_LIMIT - jsonBytes(shell));
  return JSON.stringify({ ...shell, message: msg });
}

/**
 * A count as an engine returned it (a number, or a BIGINT as bigint). Anything but a whole,
 * non-negative, exactly representable number is an internal error naming `what`: a count
 * that could not be read is never taken as 0, as run/context.ts numberOf would.
 */
export function countOf(v: unknown, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error(`internal: ${what} reported ${String(v)}, not a count`);
  return n;
}
