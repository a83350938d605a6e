import { describe, expect, it } from 'vitest';
import {
  CRONJOB_NAME_MAX,
  JOB_NAME_MAX,
  LABEL_VALUE_MAX,
  OBJECT_NAME_MAX,
  backfillRunName,
  cronJobName,
  labelValue,
  runJobName,
  scheduledRunName,
  shortHash,
} from './names.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

// A 253-character DNS subdomain made of 63-character labels.
const label63 = (c: string): string => c.repeat(63);
const longest = [label63('a'), label63('b'), label63('c'), 'd'.repeat(61)].join('.');
const at40 = 'x'.repeat(40);

const tricky = [
  'orders',
  'a',
  '0',
  'orders-vs-settlements',
  'orders.vs.settlements',
  'orders-vs-settlements',
  'x'.repeat(52),
  'x'.repeat(53),
  'x'.repeat(63),
  'x'.repeat(64),
  longest,
  `${at40}-alpha-${'y'.repeat(30)}`,
  `${at40}-bravo-${'y'.repeat(30)}`,
  `${'a'.repeat(50)}.b`,
  `${'a'.repeat(50)}-b`,
  `${'a'.repeat(41)}.${'b'.repeat(40)}`,
  `${'a'.repeat(41)}-${'b'.repeat(40)}`,
  `a.${'-'.repeat(60)}.b`,
];

describe('cronJobName', () => {
  it.each([
    ['orders', 'orders'],
    ['orders-vs-settlements', 'orders-vs-settlements'],
    ['x'.repeat(52), 'x'.repeat(52)],
  ])('keeps %s as it is: it already fits', (input, want) => {
    expect(cronJobName(input)).toBe(want);
  });

  it.each(tricky)('is a DNS label of at most 52 characters for %s', (name) => {
    const out = cronJobName(name);
    expect(out.length).toBeLessThanOrEqual(CRONJOB_NAME_MAX);
    expect(out).toMatch(DNS_LABEL);
    expect(cronJobName(name)).toBe(out);
  });

  it('replaces dots and appends a hash of the original name', () => {
    expect(cronJobName('orders.vs.settlements')).toBe(`orders-vs-settlements-${shortHash('orders.vs.settlements')}`);
  });

  it('truncates long names and appends a hash of the whole name', () => {
    const out = cronJobName('x'.repeat(53));
    expect(out).toBe(`${'x'.repeat(41)}-${shortHash('x'.repeat(53))}`);
    expect(out).toHaveLength(52);
  });

  it('handles the longest valid ReconJob name (253 characters with dots)', () => {
    expect(longest).toHaveLength(253);
    expect(cronJobName(longest)).toBe(`${'a'.repeat(41)}-${shortHash(longest)}`);
  });

  it('does not end the prefix on a dash left at the cut', () => {
    // The 41st character is "-", which would leave "--" before the hash.
    const name = `${'a'.repeat(40)}-${'b'.repeat(20)}`;
    expect(cronJobName(name)).toBe(`${'a'.repeat(40)}-${shortHash(name)}`);
  });

  it('gives different names to every input, including ones that differ only after character 40 or by dot vs dash', () => {
    const outs = new Set(tricky.map(cronJobName));
    expect(outs.size).toBe(new Set(tricky).size);
  });
});

describe('runJobName', () => {
  it.each(tricky)('is a DNS label of at most 63 characters for %s', (name) => {
    const out = runJobName(name);
    expect(out.length).toBeLessThanOrEqual(JOB_NAME_MAX);
    expect(out).toMatch(DNS_LABEL);
  });

  it.each([
    ['manual-1', 'manual-1'],
    ['x'.repeat(63), 'x'.repeat(63)],
    ['x'.repeat(64), `${'x'.repeat(52)}-${shortHash('x'.repeat(64))}`],
    ['run.one', `run-one-${shortHash('run.one')}`],
  ])('%s -> %s', (input, want) => {
    expect(runJobName(input)).toBe(want);
  });

  it('is collision-free for runs that differ only after character 40', () => {
    const a = `${at40}${'-a'.repeat(20)}`;
    const b = `${at40}${'-b'.repeat(20)}`;
    expect(runJobName(a)).not.toBe(runJobName(b));
  });
});

describe('scheduledRunName', () => {
  it.each(['orders-28400000', `${'x'.repeat(52)}-28400000`, `orders-vs-settlements-${shortHash('a.b')}-28512345`])(
    'names the ReconRun of Job %s like the Job, so runJobName maps it back',
    (jobName) => {
      expect(scheduledRunName(jobName)).toBe(jobName);
      expect(runJobName(scheduledRunName(jobName))).toBe(jobName);
      expect(scheduledRunName(jobName)).toMatch(DNS_SUBDOMAIN);
    },
  );

  it('holds for the Job names a CronJob named by cronJobName produces', () => {
    for (const name of tricky) {
      const jobName = `${cronJobName(name)}-${Math.floor(Date.UTC(2024, 0, 1, 2) / 60_000)}`;
      expect(jobName.length).toBeLessThanOrEqual(63);
      expect(runJobName(scheduledRunName(jobName))).toBe(jobName);
    }
  });
});

describe('backfillRunName', () => {
  const day = { start: '2024-01-31T00:00:00+09:00', end: '2024-02-01T00:00:00+09:00' };

  it.each([
    ['orders', day, 'orders-20240131-20240201'],
    ['orders.vs.psp', day, 'orders.vs.psp-20240131-20240201'],
    ['orders', { start: '2024-01-01T00:00:00+00:00', end: '2024-02-01T00:00:00+00:00' }, 'orders-20240101-20240201'],
    ['orders', { start: '2024-01-01T02:30:00+00:00', end: '2024-01-01T03:00:00+00:00' }, 'orders-20240101t023000-20240101t030000'],
    ['orders', { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, 'orders-20240101-20240102'],
  ])('%s %j -> %s', (job, window, want) => {
    expect(backfillRunName(job, window)).toBe(want);
  });

  it('is the same for the same job and window, so applying a backfill twice creates nothing new', () => {
    expect(backfillRunName('orders', { ...day })).toBe(backfillRunName('orders', day));
  });

  it('differs when the period differs though the start is the same', () => {
    const monthly = { start: day.start, end: '2024-02-29T00:00:00+09:00' };
    expect(backfillRunName('orders', monthly)).not.toBe(backfillRunName('orders', day));
  });

  it.each(tricky)('is a DNS subdomain of at most 253 characters for job %s', (job) => {
    const out = backfillRunName(job, { start: '2024-01-01T02:30:00+00:00', end: '2024-01-02T02:30:00+00:00' });
    expect(out.length).toBeLessThanOrEqual(OBJECT_NAME_MAX);
    expect(out).toMatch(DNS_SUBDOMAIN);
  });

  it('shortens a 253-character job name with a hash and keeps the window readable', () => {
    const out = backfillRunName(longest, day);
    expect(out.endsWith(`-${shortHash(longest)}-20240131-20240201`)).toBe(true);
    expect(backfillRunName(`${longest.slice(0, -1)}e`, day)).not.toBe(out);
  });

  it('hashes a window it cannot read rather than failing', () => {
    const out = backfillRunName('orders', { start: 'not a time', end: '2024-01-02' });
    expect(out).toBe(`orders-${shortHash('not a time')}-20240102`);
  });
});

describe('labelValue', () => {
  it.each([
    ['orders', 'orders'],
    ['', ''],
    ['orders.vs.settlements', 'orders.vs.settlements'],
    ['x'.repeat(63), 'x'.repeat(63)],
    ['x'.repeat(64), `${'x'.repeat(52)}-${shortHash('x'.repeat(64))}`],
    [longest, `${'a'.repeat(52)}-${shortHash(longest)}`],
    // The cut falls right after a dot, which a label value must not end with.
    [`${'a'.repeat(51)}.${'b'.repeat(20)}`, `${'a'.repeat(51)}-${shortHash(`${'a'.repeat(51)}.${'b'.repeat(20)}`)}`],
    ['-leading', `leading-${shortHash('-leading')}`],
    ['has space', `has-space-${shortHash('has space')}`],
  ])('%s -> %s', (input, want) => {
    expect(labelValue(input)).toBe(want);
  });

  it.each(tricky)('is a valid label value for %s', (s) => {
    const out = labelValue(s);
    expect(out.length).toBeLessThanOrEqual(LABEL_VALUE_MAX);
    expect(out).toMatch(LABEL_VALUE);
  });

  it('keeps values that differ only after character 40 apart', () => {
    expect(labelValue(`${at40}-${'a'.repeat(40)}`)).not.toBe(labelValue(`${at40}-${'b'.repeat(40)}`));
  });
});
