// The controller process, assembled: one manager (caches, queues, leader gating, resync;
// operator/kube/manager.ts) and one controller per kind — ReconJobs (reconjob.ts),
// ReconRuns (reconrun.ts) and the CronJob-created Jobs mirrored into ReconRuns
// (scheduled-mirror.ts). Only the Lease holder acts; every replica keeps warm caches.
import type { Logger } from 'pino';
import type { RunnerOptions } from '../desired/pod-spec.ts';
import type { OperatorMetrics } from '../http/metrics.ts';
import type { Kube } from '../kube/client.ts';
import { Manager } from '../kube/manager.ts';
import type { WorkQueue } from '../kube/work-queue.ts';
import type { KafkaSettings } from '../notify/kafka.ts';
import type { DestinationClass } from '../notify/destination.ts';
import type { RetryPolicy } from '../notify/routing.ts';
import { makeCaches } from './caches.ts';
import { ReconJobController } from './reconjob.ts';
import { ReconRunController } from './reconrun.ts';
import { ScheduledMirrorController } from './scheduled-mirror.ts';

export interface OperatorOptions {
  kube: Kube;
  runner: RunnerOptions;
  /** Namespaces to watch; empty = all. */
  namespaces: string[];
  log: Logger;
  /** Reconcile workers per queue (default 4). */
  workers?: number;
  resyncMs?: number;
  stallMs?: number;
  metrics?: OperatorMetrics;
  /** Notification sinks' settings (operator/notify); without Kafka, kafka sinks record a failure. */
  notify?: { kafka?: KafkaSettings; retry?: Partial<RetryPolicy>; webhookTimeoutMs?: number; allowDestinations?: ReadonlySet<DestinationClass> };
}

export class Operator {
  readonly manager: Manager;
  readonly reconJobs: ReconJobController;
  readonly reconRuns: ReconRunController;
  readonly scheduledJobs: ScheduledMirrorController;

  constructor(o: OperatorOptions) {
    const log = o.log;
    this.manager = new Manager({
      kubeConfig: o.kube.kc,
      namespaces: o.namespaces,
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
      ...(o.stallMs ? { stallMs: o.stallMs } : {}),
      onWatchRestart: (informer) => o.metrics?.watchRestarted(informer),
      log,
    });
    const caches = makeCaches(this.manager, o.kube);
    const workers = o.workers ?? 4;
    const common = { manager: this.manager, caches, kube: o.kube, log, workers, ...(o.metrics ? { metrics: o.metrics } : {}) };
    this.reconJobs = new ReconJobController({ ...common, runner: o.runner });
    this.reconRuns = new ReconRunController({ ...common, ...(o.notify ? { notify: o.notify } : {}), enqueueJob: (ns, name) => this.reconJobs.enqueue(ns, name) });
    this.scheduledJobs = new ScheduledMirrorController({ ...common, enqueueRun: (ns, name) => this.reconRuns.enqueue(ns, name) });
    o.metrics?.trackQueues(() => this.manager.depths());
  }

  get jobQueue(): WorkQueue {
    return this.reconJobs.queue;
  }

  get runQueue(): WorkQueue {
    return this.reconRuns.queue;
  }

  /** Informers listed and watching (/readyz). */
  get synced(): boolean {
    return this.manager.synced;
  }

  get queueDepth(): number {
    return Object.values(this.manager.depths()).reduce((a, b) => a + b, 0);
  }

  /** Every informer forced to relist (tests; also what the stall watchdog does). */
  relistAll(reason: string): void {
    this.manager.relistAll(reason);
  }

  /** Periodic resync: every known object is reconciled again, whatever the events said. */
  resyncAll(): void {
    this.manager.resyncAll();
  }

  start(): Promise<void> {
    return this.manager.start();
  }

  /** Called when this replica becomes (or stops being) the leader. */
  setLeading(leading: boolean): void {
    this.manager.setLeading(leading);
  }

  async stop(): Promise<void> {
    this.manager.stopResync();
    // Sends under way finish (each has a timeout) and their results are written before the
    // caches go, so a planned restart repeats no notification it has already sent.
    await this.reconRuns.drainNotifications();
    await this.manager.stopQueues();
    if (this.manager.leading) await this.reconRuns.recordUnsent();
    await this.manager.stopInformers();
    await this.reconRuns.close();
  }
}
