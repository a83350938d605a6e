// Sends notifications for the controller, off its work-queue workers: reconcileRun decides
// what is due (routing.ts) and writes the records; the sends run in the background with
// timeouts, and each result wakes the run's key so the next reconcile writes it to status.
// A sink that hangs or is down therefore never holds a worker, and never delays other runs.
//
// Between a send and the status write that records it, the result lives here (the
// "overlay"). Reconciles merge it over the informer's copy of the status, which may not yet
// show our own last write; without that, a stale cache would make a delivered event look
// due again. Entries leave the overlay once the cache has caught up with them.
import type { Logger } from 'pino';
import { cloudEvent, CLOUDEVENTS_CONTENT_TYPE, type NotificationRecord, type NotifyEvent, type NotifySpec, type RunRef, type RunStatusView } from './events.ts';
import { KafkaSink, type KafkaSettings } from './kafka.ts';
import { afterAttempt, DEFAULT_RETRY, dueDeliveries, GAVE_UP_PREFIX, nextRetryInMs, retryDelayMs, type Delivery, type JobMeta, type RetryPolicy, type Sink } from './routing.ts';
import type { DestinationClass } from './destination.ts';
import { postWebhook, WEBHOOK_TIMEOUT_MS, webhookUrl, type SecretReader } from './webhook.ts';

export interface NotifierOptions {
  log: Logger;
  /** The operator's Kafka connection; without it a kafka sink is a recorded failure. */
  kafka?: KafkaSettings;
  readSecret: SecretReader;
  metrics?: { notification(namespace: string, job: string, sink: string, delivered: boolean): void };
  /** Records a failed attempt where `kubectl describe reconrun` shows it (a Warning Event). */
  warn?: (run: RunRef, reason: string, message: string) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  webhookTimeoutMs?: number;
  /** Destination classes webhooks may reach besides public addresses (destination.ts). */
  allowDestinations?: ReadonlySet<DestinationClass>;
  /** Called when a delivery for the run finished, so its status gets the result. */
  onSettled: (runKey: string) => void;
}

export const NOT_CONFIGURED_KAFKA =
  'Kafka is not configured for the operator: set RAAS_KAFKA_BROKERS (the Helm chart\'s Kafka values; in the sandbox, --kafka-brokers host:port)';

const KAFKA_ATTEMPT_TIMEOUT_MS = 20_000;

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface RunState {
  uid: string;
  overlay: Map<string, NotificationRecord>;
  inflight: Set<string>;
}

const recKey = (r: { sink: string; event: NotifyEvent }) => `${r.sink}\u0000${r.event}`;

export class Notifier {
  readonly retry: RetryPolicy;
  private readonly kafka: KafkaSink | undefined;
  private readonly runs = new Map<string, RunState>();
  private readonly inflight = new Set<Promise<void>>();
  private draining = false;

  constructor(private readonly o: NotifierOptions) {
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
    this.kafka = o.kafka ? new KafkaSink(o.kafka, o.log.child({ component: 'kafka' })) : undefined;
  }

  /** The run's records: the cached status's, updated by results the cache does not show yet. */
  records(runKey: string, uid: string, cached: readonly NotificationRecord[]): NotificationRecord[] {
    const st = this.runs.get(runKey);
    if (!st) return [...cached];
    if (st.uid !== uid) {
      // A new run under an old name: what we knew was about the deleted one.
      if (st.inflight.size === 0) this.runs.delete(runKey);
      return [...cached];
    }
    const out = cached.map((r) => {
      const mine = st.overlay.get(recKey(r));
      if (!mine) return r;
      if (r.attempts >= mine.attempts) {
        st.overlay.delete(recKey(r));
        return r;
      }
      return mine;
    });
    for (const mine of st.overlay.values()) if (!cached.some((r) => recKey(r) === recKey(mine))) out.push(mine);
    this.cleanup(runKey, st);
    return out;
  }

  /** What to send now, and when to look again (ms), leaving out what is already being sent. */
  plan(runKey: string, notify: readonly NotifySpec[] | undefined, job: JobMeta, records: readonly NotificationRecord[], now: Date): { due: Delivery[]; retryInMs?: number } {
    // Stopping: nothing new starts, and nothing asks to be woken for a retry this process will not make.
    if (this.draining) return { due: [] };
    const busy = this.runs.get(runKey)?.inflight ?? new Set<string>();
    const idle = records.filter((r) => !busy.has(recKey(r)));
    const due = dueDeliveries(notify, job, idle, now, this.retry);
    const retryInMs = nextRetryInMs(notify, job, idle.filter((r) => !due.some((d) => recKey({ sink: d.sink.id, event: d.event }) === recKey(r))), now, this.retry);
    return { due, ...(retryInMs !== undefined ? { retryInMs } : {}) };
  }

  /** Starts the deliveries in the background. `records` are the ones just written. */
  deliver(runKey: string, run: RunRef, status: RunStatusView, due: readonly Delivery[], records: readonly NotificationRecord[]): void {
    if (this.draining || due.length === 0) return;
    let st = this.runs.get(runKey);
    if (!st || st.uid !== run.uid) {
      st = { uid: run.uid, overlay: new Map(), inflight: new Set() };
      this.runs.set(runKey, st);
    }
    const state = st;
    for (const d of due) {
      const k = recKey({ sink: d.sink.id, event: d.event });
      const before = records.find((r) => recKey(r) === k);
      if (state.inflight.has(k) || !before) continue;
      state.inflight.add(k);
      const p = this.attempt(run, status, d)
        .then(
          () => ({ delivered: true as const }),
          (err: unknown) => ({ delivered: false as const, error: err instanceof Error ? err.message : String(err) }),
        )
        .then(async (outcome) => {
          const after = afterAttempt(before, outcome, new Date(), this.retry);
          state.overlay.set(k, after);
          this.o.metrics?.notification(run.namespace, run.job, d.sink.id, outcome.delivered);
          const fields = { reconrun: runKey, sink: d.sink.id, event: d.event, id: d.id, attempts: after.attempts };
          if (outcome.delivered) {
            this.o.log.info(fields, 'notification delivered');
            return;
          }
          const gaveUp = after.lastError?.startsWith(GAVE_UP_PREFIX) === true;
          const next = gaveUp ? 'giving up' : `next attempt in ${Math.round(retryDelayMs(after.attempts, this.retry) / 1000)} s`;
          this.o.log.warn({ ...fields, err: outcome.error }, `notification failed; ${next}`);
          await this.o.warn?.(run, 'NotificationFailed', `${d.event} to ${d.sink.id}: attempt ${after.attempts} failed: ${outcome.error}; ${next}`).catch(() => undefined);
        })
        .finally(() => {
          state.inflight.delete(k);
          this.inflight.delete(p);
          this.o.onSettled(runKey);
        });
      this.inflight.add(p);
    }
  }

  /** Run keys whose results are not yet in their status (for a last write on shutdown). */
  unrecorded(): string[] {
    return [...this.runs].filter(([, st]) => st.overlay.size > 0).map(([k]) => k);
  }

  /** The run is gone: nothing about it is needed any more. */
  forget(runKey: string): void {
    const st = this.runs.get(runKey);
    if (st && st.inflight.size === 0) this.runs.delete(runKey);
  }

  /** Starts no more sends and waits for the ones under way (each is bounded by its timeout). */
  async drain(): Promise<void> {
    this.draining = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    await this.drain();
    await this.kafka?.close();
  }

  private cleanup(runKey: string, st: RunState): void {
    if (st.overlay.size === 0 && st.inflight.size === 0) this.runs.delete(runKey);
  }

  private async attempt(run: RunRef, status: RunStatusView, d: Delivery): Promise<void> {
    const ce = cloudEvent(run, status, d.event, new Date());
    const sink: Sink = d.sink;
    if (sink.kind === 'kafka') {
      if (!this.kafka) throw new Error(NOT_CONFIGURED_KAFKA);
      // kafkajs bounds each connection and request; this bounds the whole attempt whatever
      // the client does, so a delivery can never stay in flight (and block drain) for long.
      await withTimeout(
        this.kafka.send(sink.topic, { key: run.name, value: JSON.stringify(ce), headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE } }),
        KAFKA_ATTEMPT_TIMEOUT_MS,
        `Kafka did not acknowledge within ${KAFKA_ATTEMPT_TIMEOUT_MS / 1000} s`,
      );
      return;
    }
    const url = await webhookUrl(this.o.readSecret, run.namespace, sink.secretName, sink.secretKey);
    await postWebhook(url, ce, sink.format, { timeoutMs: this.o.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS, ...(this.o.allowDestinations ? { allowDestinations: this.o.allowDestinations } : {}) });
  }
}
