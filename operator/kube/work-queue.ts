// A work queue in the manner of client-go's: keys, not events, so a burst of events for
// one object is one reconcile; one worker at a time per key; failed keys come back with
// exponential backoff; a key added while it is being processed runs again afterwards.

export interface WorkQueueOptions {
  workers?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, err: unknown, attempt: number) => void;
  /** Observes each reconcile, e.g. for a latency histogram. */
  onProcessed?: (key: string, ms: number, ok: boolean) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly sleepers: Array<() => void> = [];
  // Not started yet: adds are ignored until start() (a standby replica queues nothing).
  private stopped = true;
  private running: Promise<void>[] = [];

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions = {},
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  /** Adds a key now, or after `delayMs` (a later add of the same key wins if sooner). */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const due = Date.now() + delayMs;
      const existing = this.timers.get(key);
      if (existing && existing.due <= due) return;
      if (existing) clearTimeout(existing.timer);
      const timer = setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs);
      timer.unref();
      this.timers.set(key, { timer, due });
      return;
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.sleepers.shift()?.();
  }

  /** Starts the workers; a stopped queue can be started again (a replica that regains the lease). */
  start(): void {
    this.stopped = false;
    this.running = [];
    const workers = this.opts.workers ?? 4;
    for (let i = 0; i < workers; i++) this.running.push(this.worker());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    for (const s of this.sleepers.splice(0)) s();
    await Promise.all(this.running);
  }

  /** Resolves when nothing is queued, processing or waiting on a timer (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.processing.size === 0 && this.timers.size === 0;
  }

  private async next(): Promise<string | undefined> {
    while (!this.stopped) {
      const key = this.queue.shift();
      if (key !== undefined) {
        this.queued.delete(key);
        return key;
      }
      await new Promise<void>((resolve) => this.sleepers.push(resolve));
    }
    return undefined;
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      this.processing.add(key);
      const started = performance.now();
      let ok = true;
      try {
        await this.handler(key);
        this.failures.delete(key);
      } catch (err) {
        ok = false;
        const attempt = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempt);
        this.opts.onError?.(key, err, attempt);
        const delay = Math.min((this.opts.baseDelayMs ?? 200) * 2 ** (attempt - 1), this.opts.maxDelayMs ?? 60_000);
        if (!this.stopped) this.add(key, delay);
      } finally {
        this.processing.delete(key);
        this.opts.onProcessed?.(key, performance.now() - started, ok);
        if (this.dirty.delete(key)) this.add(key);
        if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }
}
