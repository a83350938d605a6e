import { describe, expect, it } from 'vitest';
import { defaultOutputFolder, overwriteGuard } from './overwrite-guard.ts';

const day = { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00', startDate: '2024-01-01', endDate: '2024-01-02' };
const committed = (w: { start: string; end: string }, who: { job?: unknown; namespace?: unknown } = { job: 'j', namespace: 'finance' }) => JSON.stringify({ ...who, window: w, counts: {} });

describe('overwriteGuard', () => {
  const guard = overwriteGuard(day, 's3://r/j/2024-01-01/', { job: 'j', namespace: 'finance' });
  it('allows an empty location and a rerun of the same window (also written with another offset)', () => {
    expect(() => guard(undefined)).not.toThrow();
    expect(() => guard(committed(day))).not.toThrow();
    expect(() => guard(committed({ start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00.000Z' }))).not.toThrow();
  });
  it('refuses another window, naming both and the fix', () => {
    expect(() => guard(committed({ start: '2024-01-01T00:00:00+00:00', end: '2024-01-01T12:00:00+00:00' }))).toThrow(
      /^s3:\/\/r\/j\/2024-01-01\/ already holds the committed results of window 2024-01-01T00:00:00\+00:00 \.\. 2024-01-01T12:00:00\+00:00; this run \(2024-01-01T00:00:00\+00:00 \.\. 2024-01-02T00:00:00\+00:00\) would replace them\. Put \{\{ window\.endDate \}\} or \{\{ run\.name \}\} in the output location/,
    );
  });
  it.each([
    ['another job, same namespace and window', { job: 'k', namespace: 'finance' }, /holds the committed results of job "k" in namespace "finance"; this run of job "j" in namespace "finance" does not replace/],
    ['the same job name in another namespace', { job: 'j', namespace: 'payments' }, /of job "j" in namespace "payments"; this run of job "j" in namespace "finance"/],
    ['a job without a namespace (a local run)', { job: 'j' }, /of job "j" \(no namespace\); this run/],
    ['no job at all', {}, /of job undefined \(no namespace\)/],
    ['a namespace of the wrong type', { job: 'j', namespace: 7 }, /in namespace 7;/],
  ])('refuses the committed results of %s, naming both and the fix', (_n, who, message) => {
    expect(() => guard(committed(day, who))).toThrow(message);
    expect(() => guard(committed(day, who))).toThrow(/Put \{\{ job\.namespace \}\}\/\{\{ job\.name \}\} in the output location$/);
  });
  it('a local run (no namespace) replaces its own results of the same window', () => {
    expect(() => overwriteGuard(day, '/out/', { job: 'j' })(committed(day, { job: 'j' }))).not.toThrow();
  });
  it.each([['not JSON', '{oops'], ['JSON without a window', '{"counts":{}}'], ['a window of the wrong type', '{"window":"2024"}']])('refuses a summary.json raas did not write: %s', (_n, text) => {
    expect(() => guard(text)).toThrow(/holds a summary\.json that raas did not write/);
  });
});

describe('defaultOutputFolder', () => {
  it.each([
    ['one whole day', day, '2024-01-01'],
    ['a month of whole days', { start: '2024-01-01T00:00:00+09:00', end: '2024-02-01T00:00:00+09:00', startDate: '2024-01-01', endDate: '2024-02-01' }, '2024-01-01_2024-02-01'],
    ['half a day', { start: '2024-01-01T00:00:00+00:00', end: '2024-01-01T12:00:00+00:00', startDate: '2024-01-01', endDate: '2024-01-01' }, '20240101T000000p0000_20240101T120000p0000'],
    ['another half day, so another folder', { start: '2024-01-01T12:00:00-05:00', end: '2024-01-02T00:00:00-05:00', startDate: '2024-01-01', endDate: '2024-01-02' }, '20240101T120000m0500_20240102T000000m0500'],
  ])('%s', (_n, w, folder) => {
    expect(defaultOutputFolder(w)).toBe(folder);
  });
});
