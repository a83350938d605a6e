import { describe, expect, it } from 'vitest';
import { compactFailure, compactSummary, expectationsFrom, isBalanced, type Counts, type RunSummary } from './summary.ts';
import { resultLocations } from './locations.ts';

const zero: Counts = { left: 0, right: 0, matched: 0, mismatched: 0, leftOnly: 0, rightOnly: 0, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 };

describe('isBalanced', () => {
  it.each([
    [{}, {}, true],
    [{ mismatched: 1 }, {}, false],
    [{ mismatched: 1 }, { maxMismatched: 1 }, true],
    [{ leftOnly: 2 }, { maxLeftOnly: 1 }, false],
    [{ rightOnly: 1 }, { maxLeftOnly: 5 }, false],
    [{ duplicateKeysLeft: 1, duplicateKeysRight: 1 }, { maxDuplicateKeys: 1 }, false],
    [{ duplicateKeysLeft: 1, duplicateKeysRight: 1 }, { maxDuplicateKeys: 2 }, true],
    [{ nullKeysRight: 1 }, {}, false],
    [{ matched: 1000, left: 1000, right: 1000 }, {}, true],
  ])('%j within %j -> %s', (counts, expect_, balanced) => {
    expect(isBalanced({ ...zero, ...counts }, expectationsFrom(expect_))).toBe(balanced);
  });
});

describe('termination message', () => {
  const summary = (columns: number): RunSummary => ({
    job: 'j',
    run: 'r',
    window: { start: 'a', end: 'b' },
    balanced: false,
    counts: { ...zero, mismatched: 3 },
    mismatchedByColumn: Object.fromEntries(Array.from({ length: columns }, (_, i) => [`column_${i}`, i])),
    diffTotals: Object.fromEntries(Array.from({ length: columns }, (_, i) => [`column_${i}`, `${i}.00`])),
    summaries: {},
    results: { uri: 's3://b/p/', files: ['s3://b/p/result.parquet'], summaryUri: 's3://b/p/summary.json', mode: 'AllDiffs', format: 'parquet' },
    timings: { stageMs: 1, compareMs: 2, writeMs: 3 },
  });
  it('keeps everything when it fits', () => {
    const m = JSON.parse(compactSummary(summary(3)));
    expect(m).toMatchObject({ phase: 'Succeeded', counts: { mismatched: 3 }, mismatchedByColumn: { column_2: 2 } });
    expect(m.truncated).toBeUndefined();
  });
  it('drops detail, never counts, to stay under 4 KiB', () => {
    const text = compactSummary(summary(500));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4000);
    const m = JSON.parse(text);
    expect(m).toMatchObject({ truncated: true, counts: { mismatched: 3 }, results: { summaryUri: 's3://b/p/summary.json' } });
  });
  it('failures carry the stage and a bounded message', () => {
    const m = JSON.parse(compactFailure('stage', 'x'.repeat(10_000)));
    expect(m.phase).toBe('Failed');
    expect(m.stage).toBe('stage');
    expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThan(4096);
  });
});

describe('resultLocations', () => {
  it('s3 and local targets', () => {
    expect(resultLocations('s3://b/p', ['result.parquet'], 'summary.json')).toEqual({ uri: 's3://b/p/', files: ['s3://b/p/result.parquet'], summaryUri: 's3://b/p/summary.json' });
    expect(resultLocations('/tmp/x/', ['result.csv'], 'summary.json')).toEqual({ uri: '/tmp/x', files: ['/tmp/x/result.csv'], summaryUri: '/tmp/x/summary.json' });
  });
});
