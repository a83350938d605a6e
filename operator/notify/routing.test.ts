import { describe, expect, it } from 'vitest';
import { notifySchema, reconJobSpecSchema } from '../../runner/spec/schema.ts';
import type { NotificationRecord, NotifySpec } from './events.ts';
import { afterAttempt, DEFAULT_RETRY, dueDeliveries, jobMatches, nextRetryInMs, retryDelayMs, routes, sinkOf, withNewEvents, type JobMeta } from './routing.ts';

const job: JobMeta = { name: 'payments-daily', namespace: 'finance', labels: { team: 'payments', tier: 'gold' } };
const kafka = (on: NotifySpec['on'], extra: Partial<NotifySpec> = {}): NotifySpec => ({ kafka: { topic: 'recon-events' }, on, ...extra });
const hook = (on: NotifySpec['on'], extra: Partial<NotifySpec> = {}): NotifySpec => ({ webhook: { secretRef: { name: 'hook' } }, on, ...extra });
const rec = (sink: string, event: NotificationRecord['event'], more: Partial<NotificationRecord> = {}): NotificationRecord => ({
  sink,
  event,
  id: `uid-1.${event}`,
  delivered: false,
  attempts: 0,
  ...more,
});

describe('notifySchema', () => {
  it.each([
    ['on', { kafka: { topic: 't' }, on: ['Failed'] }, undefined],
    ['events instead of on', { kafka: { topic: 't' }, events: ['Failed', 'Unbalanced'] }, undefined],
    ['webhook, slack, key', { webhook: { secretRef: { name: 'hook', key: 'slack-url' }, format: 'slack' }, on: ['Succeeded'] }, undefined],
    ['routing by name and labels', { kafka: { topic: 't' }, on: ['Failed'], match: { namePattern: 'payments-*', labels: { team: 'payments', 'example.com/tier': 'gold' } } }, undefined],
    ['neither on nor events', { kafka: { topic: 't' } }, /on: is required: list the events, e.g. events: \[Failed, Unbalanced\] \(a bare on: key applied with kubectl arrives as "true"/],
    ['what kubectl makes of a bare on:', { kafka: { topic: 't' }, true: ['Failed'] }, /unrecognized key|true/i],
    ['both on and events', { kafka: { topic: 't' }, on: ['Failed'], events: ['Failed'] }, /events: cannot be used together with on/],
    ['empty on', { kafka: { topic: 't' }, on: [] }, /at least one event/],
    ['unknown event', { kafka: { topic: 't' }, on: ['Done'] }, /on\.0/],
    ['no sink', { on: ['Failed'] }, /exactly one sink: kafka or webhook/],
    ['two sinks', { kafka: { topic: 't' }, webhook: { secretRef: { name: 'h' } }, on: ['Failed'] }, /exactly one sink/],
    ['bad topic', { kafka: { topic: 'recon events' }, on: ['Failed'] }, /Kafka topic name/],
    ['bad glob', { kafka: { topic: 't' }, on: ['Failed'], match: { namePattern: 'Payments/*' } }, /glob over ReconJob names/],
    ['bad label key', { kafka: { topic: 't' }, on: ['Failed'], match: { labels: { 'bad key': 'x' } } }, /label key/],
    ['bad label value', { kafka: { topic: 't' }, on: ['Failed'], match: { labels: { team: 'a b' } } }, /label value/],
    ['unknown match field', { kafka: { topic: 't' }, on: ['Failed'], match: { name: 'x' } }, /name/],
  ])('%s', (_name, entry, error) => {
    const r = notifySchema.safeParse(entry);
    if (!error) {
      expect(r.error?.issues).toBeUndefined();
      return;
    }
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toMatch(error);
  });

  it('is part of the ReconJob spec', () => {
    const spec = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], notify: [{ kafka: { topic: 't' }, events: ['Failed'] }] };
    expect(reconJobSpecSchema.safeParse(spec).success).toBe(true);
  });
});

describe('sinkOf', () => {
  it.each([
    [{ kafka: { topic: 'recon-events' } }, { kind: 'kafka', id: 'kafka:recon-events', topic: 'recon-events' }],
    [{ webhook: { secretRef: { name: 'hook' } } }, { kind: 'webhook', id: 'webhook:hook', secretName: 'hook', secretKey: 'url', format: 'cloudevents' }],
    [{ webhook: { secretRef: { name: 'hook', key: 'url' }, format: 'cloudevents' } }, { kind: 'webhook', id: 'webhook:hook', secretName: 'hook', secretKey: 'url', format: 'cloudevents' }],
    [{ webhook: { secretRef: { name: 'hook', key: 'ops' } } }, { kind: 'webhook', id: 'webhook:hook/ops', secretName: 'hook', secretKey: 'ops', format: 'cloudevents' }],
    [{ webhook: { secretRef: { name: 'hook' }, format: 'slack' } }, { kind: 'webhook', id: 'slack:hook', secretName: 'hook', secretKey: 'url', format: 'slack' }],
  ] as const)('%j', (entry, sink) => {
    expect(sinkOf({ ...entry, on: ['Failed'] } as NotifySpec)).toEqual(sink);
  });
});

describe('jobMatches', () => {
  it.each([
    ['no match: every job', undefined, true],
    ['name glob matches', { namePattern: 'payments-*' }, true],
    ['name glob does not match', { namePattern: 'orders-*' }, false],
    ['brace alternatives', { namePattern: '{orders,payments}-daily' }, true],
    ['negated glob', { namePattern: '!orders-*' }, true],
    ['exact name', { namePattern: 'payments-daily' }, true],
    ['label present with the value', { labels: { team: 'payments' } }, true],
    ['label with another value', { labels: { team: 'orders' } }, false],
    ['label missing', { labels: { owner: 'x' } }, false],
    ['all labels and the name', { namePattern: 'payments-*', labels: { team: 'payments', tier: 'gold' } }, true],
    ['labels match, name does not', { namePattern: 'x-*', labels: { team: 'payments' } }, false],
  ] as const)('%s', (_name, match, expected) => {
    expect(jobMatches(kafka(['Failed'], match ? { match } : {}), job)).toBe(expected);
  });

  it('a job without labels matches only rules without labels', () => {
    expect(jobMatches(kafka(['Failed'], { match: { labels: { team: 'payments' } } }), { name: 'x', namespace: 'n' })).toBe(false);
  });
});

describe('routes', () => {
  it('unions the events of entries naming the same sink, and leaves out entries that do not match', () => {
    const r = routes([kafka(['Failed']), kafka(['Failed', 'Unbalanced']), hook(['Succeeded'], { match: { namePattern: 'orders-*' } }), { webhook: { secretRef: { name: 'hook' } }, events: ['Started'] }], job);
    expect([...r.values()].map((x) => `${x.sink.id} ${x.event}`)).toEqual(['kafka:recon-events Failed', 'kafka:recon-events Unbalanced', 'webhook:hook Started']);
  });
});

describe('withNewEvents', () => {
  const notify = [kafka(['Started', 'Failed', 'Unbalanced']), hook(['Succeeded', 'Unbalanced'])];
  const pending = (sink: string, event: NotificationRecord['event']) => rec(sink, event);
  it.each([
    ['nothing happened', { phase: 'Pending' }, { phase: 'Pending' }, [], []],
    ['started', { phase: 'Pending' }, { phase: 'Running' }, [], [pending('kafka:recon-events', 'Started')]],
    ['still running: nothing new', { phase: 'Running' }, { phase: 'Running' }, [], []],
    ['finished unbalanced', { phase: 'Running' }, { phase: 'Succeeded', balanced: false }, [], [pending('kafka:recon-events', 'Unbalanced'), pending('webhook:hook', 'Succeeded'), pending('webhook:hook', 'Unbalanced')]],
    ['finished balanced: not routed anywhere but Succeeded', { phase: 'Running' }, { phase: 'Succeeded', balanced: true }, [], [pending('webhook:hook', 'Succeeded')]],
    ['failed, seen first while pending', undefined, { phase: 'Failed' }, [], [pending('kafka:recon-events', 'Failed')]],
    ['already finished: an old run gets nothing when notify is added later', { phase: 'Succeeded', balanced: false }, { phase: 'Succeeded', balanced: false }, [], []],
    ['already recorded (a stale cache) is not recorded twice', { phase: 'Running' }, { phase: 'Failed' }, [rec('kafka:recon-events', 'Failed', { attempts: 1, delivered: true })], []],
  ] as const)('%s', (_name, previous, status, existing, added) => {
    const out = withNewEvents(notify, job, 'uid-1', previous, status, existing);
    expect(out.slice(existing.length)).toEqual(added);
    expect(out.slice(0, existing.length)).toEqual(existing);
  });

  it('no notify: no records', () => {
    expect(withNewEvents(undefined, job, 'uid-1', { phase: 'Running' }, { phase: 'Failed' }, [])).toEqual([]);
  });
});

describe('retryDelayMs', () => {
  it.each([
    [0, 0],
    [1, 5_000],
    [2, 10_000],
    [3, 20_000],
    [4, 40_000],
    [6, 160_000],
    [7, 300_000],
    [19, 300_000],
    [1000, 300_000],
  ])('after %i failed attempts: %i ms', (attempts, ms) => {
    expect(retryDelayMs(attempts)).toBe(ms);
  });

  it('follows the policy', () => {
    expect(retryDelayMs(3, { baseMs: 100, maxMs: 250, maxAttempts: 5 })).toBe(250);
  });
});

describe('dueDeliveries and nextRetryInMs', () => {
  const notify = [kafka(['Failed', 'Unbalanced']), hook(['Unbalanced'])];
  const now = new Date('2024-01-02T03:00:00.000Z');
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
  it.each([
    ['new record: due at once', [rec('kafka:recon-events', 'Failed')], ['kafka:recon-events Failed'], undefined],
    ['delivered: never again', [rec('kafka:recon-events', 'Failed', { delivered: true, attempts: 1, time: ago(60_000) })], [], undefined],
    ['failed once, 4 s ago: waits 1 s more', [rec('kafka:recon-events', 'Failed', { attempts: 1, time: ago(4_000), lastError: 'x' })], [], 1_000],
    ['failed once, 5 s ago: due', [rec('kafka:recon-events', 'Failed', { attempts: 1, time: ago(5_000), lastError: 'x' })], ['kafka:recon-events Failed'], undefined],
    ['failed 3 times, 15 s ago: waits 5 s', [rec('kafka:recon-events', 'Failed', { attempts: 3, time: ago(15_000), lastError: 'x' })], [], 5_000],
    ['given up after 20 attempts', [rec('kafka:recon-events', 'Failed', { attempts: 20, time: ago(3_600_000), lastError: 'gave up after 20 attempts: x' })], [], undefined],
    ['sink removed from the spec', [rec('webhook:old', 'Unbalanced', { attempts: 1, time: ago(60_000) })], [], undefined],
    ['event no longer wanted', [rec('webhook:hook', 'Failed', { attempts: 1, time: ago(60_000) })], [], undefined],
    [
      'one due, one waiting',
      [rec('kafka:recon-events', 'Unbalanced', { attempts: 2, time: ago(60_000) }), rec('webhook:hook', 'Unbalanced', { attempts: 2, time: ago(2_000) })],
      ['kafka:recon-events Unbalanced'],
      8_000,
    ],
  ] as const)('%s', (_name, records, due, wait) => {
    const d = dueDeliveries(notify, job, records, now);
    expect(d.map((x) => `${x.sink.id} ${x.event}`)).toEqual(due);
    for (const x of d) expect(x.id).toBe(`uid-1.${x.event}`);
    const waiting = records.filter((r) => !d.some((x) => x.sink.id === r.sink && x.event === r.event));
    expect(nextRetryInMs(notify, job, waiting, now)).toBe(wait);
  });

  it('routing applies to retries too', () => {
    const records = [rec('kafka:recon-events', 'Failed')];
    expect(dueDeliveries([kafka(['Failed'], { match: { labels: { team: 'orders' } } })], job, records, new Date())).toEqual([]);
  });
});

describe('afterAttempt', () => {
  const now = new Date('2024-01-02T03:00:00.000Z');
  it.each([
    ['delivered on the first attempt', rec('k', 'Failed'), { delivered: true as const }, { attempts: 1, delivered: true, time: now.toISOString() }],
    ['delivered after failures: lastError goes', rec('k', 'Failed', { attempts: 1, lastError: 'x' }), { delivered: true as const }, { attempts: 2, delivered: true }],
    ['failed', rec('k', 'Failed'), { delivered: false as const, error: 'webhook answered 500' }, { attempts: 1, delivered: false, lastError: 'webhook answered 500' }],
    ['failed the last time', rec('k', 'Failed', { attempts: DEFAULT_RETRY.maxAttempts - 1 }), { delivered: false as const, error: 'ECONNREFUSED' }, { attempts: 20, delivered: false, lastError: 'gave up after 20 attempts: ECONNREFUSED' }],
  ])('%s', (_name, before, outcome, expected) => {
    const after = afterAttempt(before, outcome, now);
    expect(after).toMatchObject({ sink: 'k', event: 'Failed', id: 'uid-1.Failed', ...expected });
    if (after.delivered) expect(after).not.toHaveProperty('lastError');
  });
});
