// The controller manager: what every controller shares, so each controller is only its
// reconcile and the mapping from changes to keys.
//   - Caches: one resilient informer per watched namespace (or one for all), with lookups
//     by name and secondary indexes (runs by ReconJob, pods by Job, ...).
//   - Work queues, one per controller, started only while this replica holds the lease
//     (a standby keeps warm caches and queues nothing: WorkQueue.add is a no-op then).
//   - Resync: on becoming leader and then periodically, every controller re-queues every
//     key it owns, whatever the events said (level-based).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ResilientInformer, type ChangeKind } from './informer.ts';
import { WorkQueue, type WorkQueueOptions } from './work-queue.ts';

export type ObjectKey = string;

export const objectKey = (namespace: string, name: string): ObjectKey => `${namespace}/${name}`;

export function splitKey(k: ObjectKey): [string, string] {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
}

export interface CacheSpec<T extends KubernetesObject> {
  /** Informer name (logs, raas_watch_restarts_total{informer}). */
  name: string;
  /** The collection path for a namespace, or for all namespaces when undefined. */
  path: (namespace: string | undefined) => string;
  list: (namespace: string | undefined) => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  labelSelector?: string;
  /** Secondary indexes: name -> the index values of an object (e.g. `ns/jobName`). */
  indexes?: Record<string, (obj: T) => string[]>;
}

type Listener<T> = (kind: ChangeKind, obj: T) => void;

/** A read-only view of one kind across the watched namespaces, kept by informers. */
export class Cache<T extends KubernetesObject> {
  readonly informers: ResilientInformer<T>[] = [];
  private readonly listeners: Listener<T>[] = [];
  // index name -> index value -> object keys; and object key -> its values per index, to
  // move an object when it changes. A stale entry (a missed delete) is harmless: lookups
  // go through the informer, which no longer has the object.
  private readonly index = new Map<string, Map<string, Set<ObjectKey>>>();
  private readonly valuesOf = new Map<string, Map<ObjectKey, string[]>>();

  constructor(readonly spec: CacheSpec<T>) {
    for (const name of Object.keys(spec.indexes ?? {})) {
      this.index.set(name, new Map());
      this.valuesOf.set(name, new Map());
    }
  }

  /** Called by the informers; keeps the indexes, then tells the listeners. */
  changed(kind: ChangeKind, obj: T): void {
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
      if (o) return o;
    }
    return undefined;
  }

  list(): T[] {
    return this.informers.flatMap((inf) => inf.list());
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
  warn: (msg: string, fields?: Record<string, unknown>) => void;
}

interface Registered {
  name: string;
  queue: WorkQueue;
}

export class Manager {
  private readonly caches: Cache<KubernetesObject>[] = [];
  private readonly queues: Registered[] = [];
  private readonly resyncs: Array<() => void> = [];
  private leadingNow = false;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ManagerOptions) {}

  /** A cache of one kind: one informer per watched namespace. */
  cache<T extends KubernetesObject>(spec: CacheSpec<T>): Cache<T> {
    const cache = new Cache<T>(spec);
    const scopes = this.o.namespaces.length ? this.o.namespaces : [undefined];
    for (const ns of scopes) {
      cache.informers.push(
        new ResilientInformer<T>({
          name: spec.name,
          kubeConfig: this.o.kubeConfig,
          path: spec.path(ns),
          list: (() => spec.list(ns)) as () => Promise<{ apiVersion?: string; kind?: string; items: T[]; metadata: { resourceVersion?: string } }>,
          ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
          onChange: (kind, obj) => cache.changed(kind, obj),
          ...(this.o.stallMs ? { stallMs: this.o.stallMs } : {}),
          onRestart: () => this.o.onWatchRestart?.(spec.name),
          log: (msg, fields) => this.o.warn(msg, fields),
        }),
      );
    }
    this.caches.push(cache as unknown as Cache<KubernetesObject>);
    return cache;
  }

  /** A controller's work queue; it runs only while this replica leads. */
  queue(name: string, handler: (key: string) => Promise<void>, opts: WorkQueueOptions): WorkQueue {
    const queue = new WorkQueue(handler, opts);
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
