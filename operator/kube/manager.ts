// The controller manager: what every controller shares, so each controller is only its
// reconcile and the mapping from changes to keys.
//   - Caches: one resilient informer per watched namespace (or one for all), with lookups
//     by name and secondary indexes (runs by ReconJob, pods by Job, ...).
//   - Work queues, one per controller, started only while this replica holds the lease
//     (a standby keeps warm caches and queues nothing: WorkQueue.add is a no-op then).
//   - Resync: on becoming leader and then periodically, every controller re-queues every
//     key it owns, whatever the events said (level-based).
//   - Errors: a failed reconcile is logged here, the same way for every controller (a 409
//     is optimistic concurrency doing its job, logged at debug), and retried with backoff.
//   - Parsing: a cache may parse each object once per version (CacheSpec.parse), so
//     controllers read typed objects and never re-validate what the informer delivered.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { isConflict, statusCode } from './client.ts';
import { ResilientInformer, type ChangeKind } from './informer.ts';
import { WorkQueue, type WorkQueueOptions } from './work-queue.ts';

/** One line for a failed API call in logs: the status code and the start of the body. */
export function errText(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown } | undefined)?.body;
  const msg = err instanceof Error ? err.message : String(err);
  return code ? `${code}: ${typeof body === 'string' ? body.slice(0, 300) : msg.slice(0, 300)}` : msg;
}

/** The logger the manager writes to (pino's shape: fields first, then the message). */
export interface ManagerLog {
  debug(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

/** Logs a failed attempt at `key`: 409 (the cache was behind) at debug, anything else at warn. */
export function logFailure(log: ManagerLog, fields: Record<string, unknown>, err: unknown, msg: string): void {
  (isConflict(err) ? log.debug : log.warn).call(log, { ...fields, err: errText(err) }, msg);
}

export type ObjectKey = string;

export const objectKey = (namespace: string, name: string): ObjectKey => `${namespace}/${name}`;

export function splitKey(k: ObjectKey): [string, string] {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
}

export interface CacheSpec<T extends KubernetesObject, R extends KubernetesObject = T> {
  /** Informer name (logs, raas_watch_restarts_total{informer}). */
  name: string;
  /** The collection path for a namespace, or for all namespaces when undefined. */
  path: (namespace: string | undefined) => string;
  list: (namespace: string | undefined) => Promise<{ items: R[]; metadata?: { resourceVersion?: string } }>;
  labelSelector?: string;
  /** Secondary indexes: name -> the index values of an object (e.g. `ns/jobName`). */
  indexes?: Record<string, (obj: T) => string[]>;
  /**
   * What the cache hands out for an object as the API server sent it; called once per
   * object version (an update is a new object). Without it the object itself (R = T).
   */
  parse?: (raw: R) => T;
}

type Listener<T> = (kind: ChangeKind, obj: T) => void;

/** A read-only view of one kind across the watched namespaces, kept by informers. */
export class Cache<T extends KubernetesObject, R extends KubernetesObject = T> {
  readonly informers: ResilientInformer<R>[] = [];
  private readonly listeners: Listener<T>[] = [];
  // index name -> index value -> object keys; and object key -> its values per index, to
  // move an object when it changes. A stale entry (a missed delete) is harmless: lookups
  // go through the informer, which no longer has the object.
  private readonly index = new Map<string, Map<string, Set<ObjectKey>>>();
  private readonly valuesOf = new Map<string, Map<ObjectKey, string[]>>();
  // Parsed views by object identity: the informer replaces an object on every update, so
  // each version is parsed once and dropped with it.
  private readonly parsed = new WeakMap<R, T>();

  constructor(readonly spec: CacheSpec<T, R>) {
    for (const name of Object.keys(spec.indexes ?? {})) {
      this.index.set(name, new Map());
      this.valuesOf.set(name, new Map());
    }
  }

  private view(raw: R): T {
    const parse = this.spec.parse;
    if (!parse) return raw as unknown as T; // R = T when there is no parse (CacheSpec's default)
    let v = this.parsed.get(raw);
    if (!v) this.parsed.set(raw, (v = parse(raw)));
    return v;
  }

  /** Called by the informers; keeps the indexes, then tells the listeners. */
  changed(kind: ChangeKind, raw: R): void {
    const obj = this.view(raw);
    const ns = obj.metadata?.namespace ?? '';
    const k = objectKey(ns, obj.metadata?.name ?? '');
    for (const [name, fn] of Object.entries(this.spec.indexes ?? {})) {
      const byValue = this.index.get(name)!;
      const prev = this.valuesOf.get(name)!;
      for (const v of prev.get(k) ?? []) {
        const set = byValue.get(v);
        set?.delete(k);
        if (set?.size === 0) byValue.delete(v);
      }
      if (kind === 'delete') {
        prev.delete(k);
        continue;
      }
      const values = fn(obj);
      prev.set(k, values);
      for (const v of values) {
        let set = byValue.get(v);
        if (!set) byValue.set(v, (set = new Set()));
        set.add(k);
      }
    }
    for (const l of this.listeners) l(kind, obj);
  }

  onChange(listener: Listener<T>): void {
    this.listeners.push(listener);
  }

  get(namespace: string, name: string): T | undefined {
    for (const inf of this.informers) {
      const o = inf.get(name, namespace);
      if (o) return this.view(o);
    }
    return undefined;
  }

  list(): T[] {
    return this.informers.flatMap((inf) => inf.list().map((o) => this.view(o)));
  }

  /** The cached objects whose index `name` has `value`. */
  byIndex(name: string, value: string): T[] {
    const keys = this.index.get(name)?.get(value);
    if (!keys) {
      if (!this.index.has(name)) throw new Error(`cache ${this.spec.name} has no index ${name}`);
      return [];
    }
    const out: T[] = [];
    for (const k of keys) {
      const [ns, n] = splitKey(k);
      const o = this.get(ns, n);
      if (o) out.push(o);
    }
    return out;
  }

  get hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced);
  }
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  /** Namespaces to watch; empty = all. */
  namespaces: string[];
  resyncMs?: number;
  stallMs?: number;
  onWatchRestart?: (informer: string) => void;
  log: ManagerLog;
}

/** A controller's queue: its reconcile, and the name its keys have in logs. */
export interface ControllerQueueOptions extends Omit<WorkQueueOptions, 'onError'> {
  /** The log field naming a key (e.g. `reconjob`). */
  keyField: string;
  /** The log message of a failed attempt. Default "reconcile failed; retrying". */
  failure?: string;
}

interface Registered {
  name: string;
  queue: WorkQueue;
}

export class Manager {
  private readonly caches: Array<Cache<KubernetesObject, KubernetesObject>> = [];
  private readonly queues: Registered[] = [];
  private readonly resyncs: Array<() => void> = [];
  private leadingNow = false;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ManagerOptions) {}

  /** A cache of one kind: one informer per watched namespace. */
  cache<T extends KubernetesObject, R extends KubernetesObject = T>(spec: CacheSpec<T, R>): Cache<T, R> {
    const cache = new Cache<T, R>(spec);
    const scopes = this.o.namespaces.length ? this.o.namespaces : [undefined];
    for (const ns of scopes) {
      cache.informers.push(
        new ResilientInformer<R>({
          name: spec.name,
          kubeConfig: this.o.kubeConfig,
          path: spec.path(ns),
          list: (() => spec.list(ns)) as () => Promise<{ apiVersion?: string; kind?: string; items: R[]; metadata: { resourceVersion?: string } }>,
          ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
          onChange: (kind, obj) => cache.changed(kind, obj),
          ...(this.o.stallMs ? { stallMs: this.o.stallMs } : {}),
          onRestart: () => this.o.onWatchRestart?.(spec.name),
          log: (msg, fields) => this.o.log.warn(fields ?? {}, msg),
        }),
      );
    }
    // Stored for start/stop and relists only, which do not depend on T or R.
    this.caches.push(cache as unknown as Cache<KubernetesObject, KubernetesObject>);
    return cache;
  }

  /**
   * A controller's work queue; it runs only while this replica leads. A failed reconcile
   * is logged here (logFailure) and the key retried with backoff.
   */
  queue(name: string, handler: (key: string) => Promise<void>, opts: ControllerQueueOptions): WorkQueue {
    const { keyField, failure = 'reconcile failed; retrying', ...queueOpts } = opts;
    const queue = new WorkQueue(handler, {
      ...queueOpts,
      onError: (key, err, attempt) => logFailure(this.o.log, { [keyField]: key, attempt }, err, failure),
    });
    this.queues.push({ name, queue });
    if (this.leadingNow) queue.start();
    return queue;
  }

  /** Called on becoming leader and every resync period: re-queue every key. */
  onResync(fn: () => void): void {
    this.resyncs.push(fn);
  }

  get leading(): boolean {
    return this.leadingNow;
  }

  get synced(): boolean {
    return this.caches.every((c) => c.hasSynced);
  }

  /** Depth of each queue by name (raas_workqueue_depth). */
  depths(): Record<string, number> {
    return Object.fromEntries(this.queues.map((q) => [q.name, q.queue.depth]));
  }

  async start(): Promise<void> {
    await Promise.all(this.caches.flatMap((c) => c.informers.map((i) => i.start())));
  }

  /** Every informer forced to relist (tests; also what the stall watchdog does). */
  relistAll(reason: string): void {
    for (const c of this.caches) for (const i of c.informers) i.restart(reason);
  }

  resyncAll(): void {
    for (const fn of this.resyncs) fn();
  }

  /** Called when this replica becomes (or stops being) the leader. */
  setLeading(leading: boolean): void {
    if (leading === this.leadingNow) return;
    this.leadingNow = leading;
    if (leading) {
      for (const q of this.queues) q.queue.start();
      this.resyncAll();
      this.resyncTimer = setInterval(() => this.resyncAll(), this.o.resyncMs ?? 5 * 60_000);
      this.resyncTimer.unref();
    } else {
      // A replica that lost the lease must not act again; it exits and restarts cleanly.
      this.stopResync();
      for (const q of this.queues) void q.queue.stop();
    }
  }

  stopResync(): void {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
  }

  /** Stops the workers (in-flight reconciles finish); informers keep running. */
  async stopQueues(): Promise<void> {
    this.stopResync();
    await Promise.all(this.queues.map((q) => q.queue.stop()));
  }

  async stopInformers(): Promise<void> {
    await Promise.all(this.caches.flatMap((c) => c.informers.map((i) => i.stop())));
  }
}
