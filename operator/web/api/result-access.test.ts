import { describe, expect, it } from 'vitest';
import { AccessRefused, checkCommittedSummary, isUnder, runOutputLocation, servableFiles } from './result-access.ts';

const run = { namespace: 'team-a', name: 'orders-20240102', job: 'orders', window: { start: '2024-01-01T15:00:00Z', end: '2024-01-02T15:00:00Z' } };
const job = (uri: string | undefined, timeZone = 'Asia/Tokyo') => ({ output: { uri }, timeZone });

describe('runOutputLocation', () => {
  it.each([
    ['per-window S3 prefix, rendered in the job\'s time zone', 's3://results/{{ job.namespace }}/{{ job.name }}/{{ window.startDate }}/', 's3://results/team-a/orders/2024-01-02/'],
    ['without the trailing slash', 's3://results/{{ job.name }}/{{ window.startDate }}', 's3://results/orders/2024-01-02/'],
    ['the run name', 'sftp://u@h/out/{{ run.name }}', 'sftp://u@h/out/orders-20240102/'],
    ['an absolute local path', '/srv/results/{{ job.name }}/{{ window.endDate }}', '/srv/results/orders/2024-01-03/'],
    ['a file:// URL', 'file:///srv/results/{{ job.name }}/', '/srv/results/orders/'],
  ])('%s', (_n, uri, want) => {
    expect(runOutputLocation(run, job(uri))).toBe(want);
  });
  it.each([
    ['the ReconJob is gone', undefined, /ReconJob orders no longer exists/],
    ['the job has no output.uri', job(undefined), /has no spec\.output\.uri/],
    ['the job writes to a relative path', job('out/{{ job.name }}'), /relative path/],
    ['the template names an unknown variable', job('s3://r/{{ job.owner }}/'), /cannot be worked out/],
  ])('refuses when %s', (_n, j, message) => {
    expect(() => runOutputLocation(run, j)).toThrow(message);
    expect(() => runOutputLocation(run, j)).toThrow(AccessRefused);
  });
});

describe('isUnder', () => {
  const loc = 's3://results/team-a/orders/2024-01-02/';
  it.each([
    ['a file in the location', `${loc}result.csv`, true],
    ['a file in a sub-folder', `${loc}parts/a.csv`, true],
    ['another namespace\'s results', 's3://results/team-b/orders/2024-01-02/result.csv', false],
    ['another window of the same job', 's3://results/team-a/orders/2024-01-01/result.csv', false],
    ['a sibling whose name starts like the location', 's3://results/team-a/orders/2024-01-02-x/result.csv', false],
    ['a climb out with ..', `${loc}../../../team-b/orders/2024-01-02/summary.json`, false],
    ['the location itself', loc, false],
    ['another bucket', 's3://results-b/team-a/orders/2024-01-02/result.csv', false],
  ])('%s', (_n, uri, want) => {
    expect(isUnder(loc, uri)).toBe(want);
  });
  it('local paths are resolved before comparing', () => {
    expect(isUnder('/srv/r/orders/', '/srv/r/orders/result.csv')).toBe(true);
    expect(isUnder('/srv/r/orders/', '/srv/r/orders/../payroll/result.csv')).toBe(false);
    expect(isUnder('/srv/r/orders/', 's3://srv/r/orders/result.csv')).toBe(false);
  });
  it('servableFiles refuses a status naming any file outside the location', () => {
    expect(servableFiles(loc, [`${loc}result.csv`, `${loc}summary.json`])).toHaveLength(2);
    expect(() => servableFiles(loc, [`${loc}result.csv`, 's3://results/team-b/orders/2024-01-02/summary.json'])).toThrow(/outside its output location/);
  });
});

describe('checkCommittedSummary', () => {
  const committed = (extra: Record<string, unknown>) => ({ job: 'orders', namespace: 'team-a', window: { start: '2024-01-02T00:00:00+09:00', end: '2024-01-03T00:00:00+09:00' }, ...extra });
  it('accepts the summary of this namespace, job and window (the same instants written another way)', () => {
    expect(() => checkCommittedSummary(run, committed({}), 'loc/')).not.toThrow();
  });
  it.each([
    ['another namespace', { namespace: 'team-b' }, 403],
    ['no namespace (a local run)', { namespace: undefined }, 403],
    ['another job', { job: 'payroll' }, 403],
    ['another window', { window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' } }, 404],
    ['no window', { window: undefined }, 404],
  ])('refuses a summary of %s', (_n, extra, status) => {
    try {
      checkCommittedSummary(run, committed(extra), 's3://r/x/');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AccessRefused);
      expect((err as AccessRefused).status).toBe(status);
      expect((err as Error).message).toMatch(/^the results committed at s3:\/\/r\/x\/ are /);
    }
  });
});
