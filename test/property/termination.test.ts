// The termination message is valid JSON of at most 4096 bytes whatever
// the input (CJK and quote-heavy names, long URIs, long errors), and keeps the phase and
// the counts the operator needs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactFailure, compactSummary, type RunSummary } from '../../runner/run/summary.ts';

// size 'max': long texts are the point, fast-check's default size keeps strings short.
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 3000, size: 'max' }), fc.string({ unit: fc.constantFrom('"', '\\', '\n', '払', '🙂', '\u0001'), maxLength: 4000, size: 'max' }));
const names = fc.array(text, { maxLength: 40 });
const counts = { left: 1, right: 2, matched: 3, mismatched: 4, leftOnly: 5, rightOnly: 6, duplicateKeysLeft: 7, duplicateKeysRight: 8, nullKeysLeft: 9, nullKeysRight: 10 };
const SEED = 20261201;

describe('termination messages', () => {
  it('a success report fits 4096 bytes as valid JSON and keeps the counts', () => {
    fc.assert(
      fc.property(text, text, text, names, (job, run, uri, cols) => {
        const summary: RunSummary = {
          job, run, window: { start: '2024-01-01T00:00:00+09:00', end: '2024-01-02T00:00:00+09:00' }, balanced: false, counts,
          mismatchedByColumn: Object.fromEntries(cols.map((c, i) => [c, i])),
          diffTotals: Object.fromEntries(cols.map((c) => [c, '-123456789012345678.12'])),
          summaries: Object.fromEntries(cols.map((c) => [c, c])),
          results: { uri, files: cols.map((c) => `${uri}/${c}`), summaryUri: `${uri}/summary.json`, mode: 'AllDiffs', format: 'parquet' },
          timings: { stageMs: 1, compareMs: 2, writeMs: 3 },
          warnings: cols.slice(0, 2),
        };
        const out = compactSummary(summary);
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(4096);
        const parsed = JSON.parse(out) as { phase: string; counts: unknown; balanced: boolean };
        expect(parsed.phase).toBe('Succeeded');
        expect(parsed.counts).toEqual(counts);
        expect(parsed.balanced).toBe(false);
      }),
      { seed: SEED, numRuns: 100, endOnFailure: true },
    );
  });

  it('a failure report fits 4096 bytes as valid JSON and keeps the stage', () => {
    fc.assert(
      fc.property(text, text, text, (message, job, run) => {
        const out = compactFailure('compare', `${message}${message}${message}`, { job, run });
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(4096);
        expect(JSON.parse(out)).toMatchObject({ phase: 'Failed', stage: 'compare' });
      }),
      { seed: SEED, numRuns: 100, endOnFailure: true },
    );
  });
});
