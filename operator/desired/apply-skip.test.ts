import { describe, expect, it } from 'vitest';
import { applyIsNoop, APPLIED_HASH_ANNOTATION, contains, withAppliedHash } from './apply-skip.ts';

const desired = (): { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: { schedule: string; suspend?: boolean; jobTemplate: { spec: { template: { spec: { containers: Array<{ name: string; env: Array<{ name: string; value: string }> }> } } } } } } => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'c', namespace: 'n', labels: { a: '1' } },
  spec: { schedule: '0 2 * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'runner', env: [{ name: 'X', value: '1' }] }] } } } } },
});

// What the API server returns: our fields plus defaults, status and server metadata.
const served = (d: ReturnType<typeof desired>) => ({
  ...structuredClone(d),
  metadata: { ...structuredClone(d.metadata), uid: 'u', resourceVersion: '5', managedFields: [] },
  spec: {
    ...structuredClone(d.spec),
    concurrencyPolicy: 'Allow',
    jobTemplate: { spec: { template: { spec: { containers: [{ name: 'runner', env: [{ name: 'X', value: '1' }], imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Never' } } } },
  },
  status: { lastScheduleTime: '2024-01-01T02:00:00Z' },
});

describe('applyIsNoop', () => {
  it('is true when the cached object is what the last apply of this exact object left', () => {
    const d = withAppliedHash(desired());
    expect(applyIsNoop(served(d), d)).toBe(true);
  });

  it.each([
    ['nothing is cached', () => undefined],
    ['the cached object has no hash (applied by an older operator)', (d: ReturnType<typeof desired>) => ({ ...served(d), metadata: { name: 'c' } })],
    ['a user changed a field the operator owns', (d: ReturnType<typeof desired>) => ({ ...served(d), spec: { ...served(d).spec, schedule: '5 5 * * *' } })],
    ['a user changed an env value', (d: ReturnType<typeof desired>) => {
      const s = served(d);
      s.spec.jobTemplate.spec.template.spec.containers[0]!.env[0]!.value = '2';
      return s;
    }],
    ['a user added a container', (d: ReturnType<typeof desired>) => {
      const s = served(d);
      s.spec.jobTemplate.spec.template.spec.containers.push({ name: 'x', env: [], imagePullPolicy: 'Always' });
      return s;
    }],
    ['a label was removed', (d: ReturnType<typeof desired>) => ({ ...served(d), metadata: { ...served(d).metadata, labels: {} } })],
  ])('is false when %s', (_why, cachedOf) => {
    const d = withAppliedHash(desired());
    expect(applyIsNoop(cachedOf(d), d)).toBe(false);
  });

  it('is false when the operator dropped a field since the last apply (the apply must remove it)', () => {
    const before = withAppliedHash(desired());
    const now = desired();
    delete now.spec.suspend;
    const d = withAppliedHash(now);
    // The cached object still contains every field of the new desired object, but its hash is the old one.
    expect(contains(served(before).spec, d.spec)).toBe(true);
    expect(applyIsNoop(served(before), d)).toBe(false);
  });

  it('ignores apiVersion and kind, which list items lack', () => {
    const d = withAppliedHash(desired());
    const { apiVersion: _a, kind: _k, ...item } = served(d);
    expect(applyIsNoop(item, d)).toBe(true);
  });

  it('hashes content, not key order', () => {
    const a = withAppliedHash({ metadata: { name: 'x' }, spec: { a: 1, b: 2 } });
    const b = withAppliedHash({ spec: { b: 2, a: 1 }, metadata: { name: 'x' } });
    expect(a.metadata.annotations[APPLIED_HASH_ANNOTATION]).toBe(b.metadata.annotations[APPLIED_HASH_ANNOTATION]);
  });
});

describe('contains', () => {
  it.each([
    [{ a: 1, b: 2 }, { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: [1, 2] }, { a: [1, 2] }, true],
    [{ a: [1, 2, 3] }, { a: [1, 2] }, false],
    [{ a: '1' }, { a: 1 }, false],
    [{ a: new Date(0) }, { a: {} }, false],
    [{ a: null }, { a: null }, true],
  ])('%j contains %j -> %s', (actual, want, result) => {
    expect(contains(actual, want)).toBe(result);
  });
});
