// client-node informers, made to survive: client-node stops an informer on any watch
// error (and some stalls never surface as errors at all), so this wrapper restarts it
// with backoff on error and relists when nothing has arrived for a while. Either way a
// stalled watch never leaves runs unreported: a relist replays every object.
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export type ChangeKind = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubernetesObject> {
  name: string;
  kubeConfig: KubeConfig;
  /** The watch path, e.g. /apis/raas.dev/v1alpha1/reconjobs or /apis/batch/v1/namespaces/x/jobs. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  onChange: (kind: ChangeKind, obj: T) => void;
  /** Relist when no event has arrived for this long. Default 5 minutes. */
  stallMs?: number;
  restartBaseMs?: number;
  restartMaxMs?: number;
  onRestart?: (reason: string) => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class ResilientInformer<T extends KubernetesObject> {
  private informer: ReturnType<typeof makeInformer<T>>;
  private lastActivity = Date.now();
  private failures = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private restarting = false;
  private synced = false;

  constructor(private readonly o: InformerOptions<T>) {
    this.informer = this.make();
  }

  private make() {
    const inf = makeInformer<T>(this.o.kubeConfig, this.o.path, () => this.o.list(), this.o.labelSelector);
    const touch = () => {
      this.lastActivity = Date.now();
      this.failures = 0;
    };
    inf.on('add', (obj) => {
      touch();
      this.o.onChange('add', obj);
    });
    inf.on('update', (obj) => {
      touch();
      this.o.onChange('update', obj);
    });
    inf.on('delete', (obj) => {
      touch();
      this.o.onChange('delete', obj);
    });
    inf.on('connect', () => {
      touch();
      this.synced = true;
    });
    inf.on('error', (err?: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      this.scheduleRestart(`watch error: ${message}`);
    });
    return inf;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.lastActivity = Date.now();
    await this.informer.start().catch((err: unknown) => this.scheduleRestart(`start failed: ${(err as Error).message}`));
    const stallMs = this.o.stallMs ?? 5 * 60_000;
    this.watchdog = setInterval(() => {
      if (!this.restarting && Date.now() - this.lastActivity > stallMs) this.restart(`no event for ${Math.round(stallMs / 1000)}s; relisting`);
    }, Math.min(stallMs, 30_000));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.informer.stop().catch(() => undefined);
  }

  /** Forces a full relist now (the stall watchdog; tests). */
  restart(reason: string): void {
    // client-node resumes a restarted watch from its last resourceVersion; a stalled watch
    // may have silently missed events, so clear it to make the next start list everything
    // (ListWatch then reconciles its cache, emitting deletes for objects that vanished).
    // `resourceVersion` is ListWatch's private field (client-node 1.x has no public way to
    // force a relist); test/unit/library-privates.test.ts pins it, so an upgrade fails loudly.
    (this.informer as unknown as { resourceVersion: string }).resourceVersion = '';
    this.scheduleRestart(reason, 0);
  }

  private scheduleRestart(reason: string, delayOverride?: number): void {
    if (this.stopped || this.restarting) return;
    this.restarting = true;
    this.failures++;
    const delay = delayOverride ?? Math.min((this.o.restartBaseMs ?? 500) * 2 ** (this.failures - 1), this.o.restartMaxMs ?? 30_000);
    this.o.log?.('informer restarting', { informer: this.o.name, reason, delayMs: delay });
    this.o.onRestart?.(reason);
    this.restartTimer = setTimeout(() => {
      void (async () => {
        await this.informer.stop().catch(() => undefined);
        this.restarting = false;
        if (this.stopped) return;
        this.lastActivity = Date.now();
        // client-node's informer relists on start, replaying adds/updates/deletes against its cache.
        await this.informer.start().catch((err: unknown) => this.scheduleRestart(`restart failed: ${(err as Error).message}`));
      })();
    }, delay);
    this.restartTimer.unref();
  }
}
