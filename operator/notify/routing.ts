// Which notification goes where, and when to try again. Pure: the controller feeds in the
// ReconJob's notify entries, the run's status and its delivery records, and gets back the
// records to write and the deliveries that are due now.
//
// Records are created when the operator writes the status change that implies the event (in
// the same write), and only then. So adding `notify` to a job with thirty finished runs sends
// nothing about them, and an operator that was down while a run finished still notifies: the
// status it then writes is the transition.
import picomatch from 'picomatch';
import { eventId, runEvents, type NotificationRecord, type NotifyEvent, type NotifySpec, type RunStatusView } from './events.ts';

export type WebhookFormat = 'cloudevents' | 'slack';
export type Sink =
  | { kind: 'kafka'; id: string; topic: string }
  | { kind: 'webhook'; id: string; secretName: string; secretKey: string; format: WebhookFormat };

/** The ReconJob as routing rules see it. */
export interface JobMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
}

export interface RetryPolicy {
  /** Delay after the first failed attempt; doubles after each further failure. */
  baseMs: number;
  maxMs: number;
  /** Attempts after which a delivery is given up (and recorded as such). */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 5 * 60_000, maxAttempts: 20 };

export const GAVE_UP_PREFIX = 'gave up after';

/**
 * One name per sink, used as the record's `sink` and the metric label. Two entries that
 * name the same sink share records, so an event goes to a sink once however the entries
 * overlap. A Slack-format webhook is another sink than a CloudEvents one on the same Secret.
 */
export function sinkOf(entry: NotifySpec): Sink | undefined {
  if (entry.kafka) return { kind: 'kafka', id: `kafka:${entry.kafka.topic}`, topic: entry.kafka.topic };
  if (entry.webhook) {
    const ref = entry.webhook.secretRef;
    const key = ref.key ?? 'url';
    const format = entry.webhook.format ?? 'cloudevents';
    const id = `${format === 'slack' ? 'slack' : 'webhook'}:${ref.name}${key === 'url' ? '' : `/${key}`}`;
    return { kind: 'webhook', id, secretName: ref.name, secretKey: key, format };
  }
  return undefined;
}

export function wantedEvents(entry: NotifySpec): readonly NotifyEvent[] {
  return entry.on ?? entry.events ?? [];
}

/** Whether an entry's `match` admits the job: every condition given must hold. */
export function jobMatches(entry: NotifySpec, job: JobMeta): boolean {
  const m = entry.match;
  if (!m) return true;
  if (m.namePattern !== undefined && !picomatch.isMatch(job.name, m.namePattern, { dot: true })) return false;
  for (const [k, v] of Object.entries(m.labels ?? {})) if (job.labels?.[k] !== v) return false;
  return true;
}

const routeKey = (sink: string, event: NotifyEvent) => `${sink}\u0000${event}`;

/** (sink, event) -> sink, over the entries that apply to this job. */
export function routes(notify: readonly NotifySpec[] | undefined, job: JobMeta): Map<string, { sink: Sink; event: NotifyEvent }> {
  const out = new Map<string, { sink: Sink; event: NotifyEvent }>();
  for (const entry of notify ?? []) {
    const sink = sinkOf(entry);
    if (!sink || !jobMatches(entry, job)) continue;
    for (const event of wantedEvents(entry)) if (!out.has(routeKey(sink.id, event))) out.set(routeKey(sink.id, event), { sink, event });
  }
  return out;
}

/**
 * The records after a status change from `previous` to `status`: the existing ones as they
 * are, plus a pending record (attempts 0) for each routed event the new status implies and
 * the previous one did not. Events already recorded are never recorded again.
 */
export function withNewEvents(
  notify: readonly NotifySpec[] | undefined,
  job: JobMeta,
  runUid: string,
  previous: RunStatusView | undefined,
  status: RunStatusView,
  records: readonly NotificationRecord[],
): NotificationRecord[] {
  const before = new Set(runEvents(previous));
  const fresh = runEvents(status).filter((e) => !before.has(e));
  const out = [...records];
  if (fresh.length === 0) return out;
  const have = new Set(records.map((r) => routeKey(r.sink, r.event)));
  for (const { sink, event } of routes(notify, job).values()) {
    if (!fresh.includes(event) || have.has(routeKey(sink.id, event))) continue;
    out.push({ sink: sink.id, event, id: eventId(runUid, event), delivered: false, attempts: 0 });
    have.add(routeKey(sink.id, event));
  }
  return out;
}

/** Delay before the next attempt after `attempts` failed ones: base, 2x base, 4x base, ... capped. */
export function retryDelayMs(attempts: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  if (attempts <= 0) return 0;
  // Capped exponent: 2 ** 1000 would be Infinity, harmless but pointless.
  return Math.min(policy.baseMs * 2 ** Math.min(attempts - 1, 30), policy.maxMs);
}

export function gaveUp(r: NotificationRecord, policy: RetryPolicy = DEFAULT_RETRY): boolean {
  return !r.delivered && r.attempts >= policy.maxAttempts;
}

export interface Delivery {
  sink: Sink;
  event: NotifyEvent;
  id: string;
  /** Attempts made before this one. */
  attempts: number;
}

function msUntilDue(r: NotificationRecord, now: Date, policy: RetryPolicy): number {
  if (r.attempts === 0 || !r.time) return 0;
  return Date.parse(r.time) + retryDelayMs(r.attempts, policy) - now.getTime();
}

/** Undelivered, not given up, still routed: the records that will be tried again at some point. */
function open(notify: readonly NotifySpec[] | undefined, job: JobMeta, records: readonly NotificationRecord[], policy: RetryPolicy) {
  const routed = routes(notify, job);
  return records.flatMap((r) => {
    const route = routed.get(routeKey(r.sink, r.event));
    // A sink removed from the spec since is not tried again (nor is the record deleted).
    return !r.delivered && !gaveUp(r, policy) && route ? [{ r, sink: route.sink }] : [];
  });
}

/** Deliveries that are due now: never delivered, not given up, and past their backoff. */
export function dueDeliveries(
  notify: readonly NotifySpec[] | undefined,
  job: JobMeta,
  records: readonly NotificationRecord[],
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY,
): Delivery[] {
  return open(notify, job, records, policy)
    .filter(({ r }) => msUntilDue(r, now, policy) <= 0)
    .map(({ r, sink }) => ({ sink, event: r.event, id: r.id, attempts: r.attempts }));
}

/** Milliseconds until the next retry is due (0 = now), or undefined when nothing is waiting. */
export function nextRetryInMs(
  notify: readonly NotifySpec[] | undefined,
  job: JobMeta,
  records: readonly NotificationRecord[],
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY,
): number | undefined {
  const waits = open(notify, job, records, policy).map(({ r }) => Math.max(0, msUntilDue(r, now, policy)));
  return waits.length ? Math.min(...waits) : undefined;
}

/** The record after one attempt. `lastError` goes once delivered; the last failure says when it gave up. */
export function afterAttempt(
  r: NotificationRecord,
  outcome: { delivered: true } | { delivered: false; error: string },
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY,
): NotificationRecord {
  const attempts = r.attempts + 1;
  const base = { sink: r.sink, event: r.event, id: r.id, attempts, time: now.toISOString() };
  if (outcome.delivered) return { ...base, delivered: true };
  const error = outcome.error.slice(0, 1000);
  return { ...base, delivered: false, lastError: attempts >= policy.maxAttempts ? `${GAVE_UP_PREFIX} ${attempts} attempts: ${error}` : error };
}

/** Same record identity: one sink, one event. */
export function sameRecord(a: Pick<NotificationRecord, 'sink' | 'event'>, b: Pick<NotificationRecord, 'sink' | 'event'>): boolean {
  return a.sink === b.sink && a.event === b.event;
}
