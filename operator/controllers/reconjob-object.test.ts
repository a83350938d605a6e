// parseReconJob: what the cache hands the controllers for each ReconJob version.
import { describe, expect, it } from 'vitest';
import { parseReconJob, type RawReconJob } from './reconjob-object.ts';

const meta = { name: 'orders', namespace: 'finance', uid: 'u1', generation: 2 };
const spec = { left: { uri: 's3://l/a.csv' }, right: { uri: 's3://r/b.csv' }, keys: [{ column: 'id' }] };
const raw = (s: unknown): RawReconJob => ({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: meta, spec: s });
const webhook = { webhook: { secretRef: { name: 'hook' } }, on: ['Failed'] };

describe('parseReconJob', () => {
  it('a valid spec becomes a typed ReconJob; the raw object is kept as sent', () => {
    const r = raw(spec);
    const got = parseReconJob(r);
    expect(got.parsed.valid).toBe(true);
    if (!got.parsed.valid) return;
    expect(got.parsed.job.metadata).toMatchObject(meta);
    expect(got.parsed.job.spec.keys).toEqual([{ column: 'id' }]);
    expect(got.raw).toBe(r);
    expect(Object.keys(got.raw)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it.each([
    ['no keys', { ...spec, keys: [] }, 'spec.keys'],
    ['a missing side', { right: spec.right, keys: spec.keys }, 'spec.left'],
    ['a bad cron', { ...spec, schedule: { cron: 'every day', period: 'Daily' } }, 'spec.schedule.cron'],
    ['an unknown time zone', { ...spec, schedule: { cron: '0 1 * * *', period: 'Daily', timeZone: 'Mars/Olympus' } }, 'spec.schedule.timeZone'],
  ])('an invalid spec (%s) carries reasons naming the field', (_what, s, field) => {
    const got = parseReconJob(raw(s));
    expect(got.parsed.valid).toBe(false);
    if (got.parsed.valid) return;
    expect(got.parsed.problems.join('\n')).toContain(field);
  });

  it('the notification sinks are read even when another part of the spec is invalid', () => {
    const got = parseReconJob(raw({ ...spec, keys: [], notify: [webhook] }));
    expect(got.parsed.valid).toBe(false);
    expect(got.notify).toHaveLength(1);
    expect(parseReconJob(raw({ ...spec, notify: [{ on: ['Failed'] }] })).notify).toBeUndefined();
  });
});
