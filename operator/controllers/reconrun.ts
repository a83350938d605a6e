// The ReconRun controller: reconcileRun(key) writes a run's status from its Job and pod
// (operator/desired/run-status.ts), records and starts notification deliveries, and emits
// the run's Events and metrics on a phase change. Level-based and keyed, like every
// controller here; notification retries come back through the queue, never as a wait.
import type { NotificationRecord, ReconRunStatus } from '../api/reconrun.ts';
import { RUN_LABEL } from '../desired/meta.ts';
import { cronJobName, runJobName, scheduledRunName } from '../desired/names.ts';
import { judgeRunJob, ownedPods } from '../desired/ownership.ts';
import { iso, runStatusFromJob } from '../desired/run-status.ts';
import { API_VERSION } from '../desired/types.ts';
import { isNotFound, type Kube } from '../kube/client.ts';
import { errText, logFailure, objectKey, splitKey } from '../kube/manager.ts';
import type { WorkQueue } from '../kube/work-queue.ts';
import type { RunRef } from '../notify/events.ts';
import type { DestinationClass } from '../notify/destination.ts';
import type { KafkaSettings } from '../notify/kafka.ts';
import { Notifier } from '../notify/notifier.ts';
import { withNewEvents, type Delivery, type RetryPolicy } from '../notify/routing.ts';
import { PODS_BY_JOB, podJobNames, type ControllerDeps, type JobObject, type PodObject, type ReconRunObject } from './caches.ts';
import { sameStatus } from './job-status.ts';

export interface ReconRunControllerOptions extends ControllerDeps {
  /** Notification sinks' settings (operator/notify); without Kafka, kafka sinks record a failure. */
  notify?: { kafka?: KafkaSettings; retry?: Partial<RetryPolicy>; webhookTimeoutMs?: number; allowDestinations?: ReadonlySet<DestinationClass> };
  /** A phase change wakes the run's ReconJob (lastRun, activeRuns, admission). */
  enqueueJob: (namespace: string, name: string) => void;
}

export class ReconRunController {
  readonly queue: WorkQueue;
  private readonly notifier: Notifier;

  constructor(private readonly o: ReconRunControllerOptions) {
    const { manager, caches, log, kube } = o;
    this.queue = manager.queue('reconruns', (k) => this.reconcile(k), {
      workers: o.workers,
      keyField: 'reconrun',
      onProcessed: (_k, ms) => o.metrics?.reconciled('run', ms),
    });
    this.notifier = new Notifier({
      log: log.child({ component: 'notify' }),
      ...(o.notify?.kafka ? { kafka: o.notify.kafka } : {}),
      ...(o.notify?.retry ? { retry: o.notify.retry } : {}),
      ...(o.notify?.webhookTimeoutMs ? { webhookTimeoutMs: o.notify.webhookTimeoutMs } : {}),
      ...(o.notify?.allowDestinations ? { allowDestinations: o.notify.allowDestinations } : {}),
      readSecret: (namespace, name) => readSecret(kube, namespace, name),
      ...(o.metrics ? { metrics: o.metrics } : {}),
      warn: (run, reason, message) => kube.event({ apiVersion: API_VERSION, kind: 'ReconRun', name: run.name, namespace: run.namespace, uid: run.uid }, 'Warning', reason, message),
      // A finished send wakes its run so the next reconcile writes the result to status.
      onSettled: (k) => this.queue.add(k),
    });
    caches.reconRuns.onChange((_kind, r) => this.enqueue(r.metadata.namespace, r.metadata.name));
    caches.jobs.onChange((_kind, j) => this.onJobChange(j));
    caches.pods.onChange((_kind, p) => this.onPodChange(p));
    manager.onResync(() => {
      for (const r of caches.reconRuns.list()) this.enqueue(r.metadata.namespace, r.metadata.name);
    });
  }

  enqueue(ns: string | undefined, name: string | undefined): void {
    if (ns && name) this.queue.add(objectKey(ns, name));
  }

  /** A Job the operator made for a run wakes that run (CronJob-created Jobs: scheduled-mirror.ts). */
  private onJobChange(job: JobObject): void {
    const runName = job.metadata?.labels?.[RUN_LABEL];
    if (runName) this.enqueue(job.metadata?.namespace, runName);
  }

  private onPodChange(pod: PodObject): void {
    const ns = pod.metadata?.namespace;
    const jobName = podJobNames(pod)[0];
    if (!ns || !jobName) return;
    const job = this.o.caches.jobs.get(ns, jobName);
    this.enqueue(ns, job?.metadata?.labels?.[RUN_LABEL] ?? pod.metadata?.labels?.[RUN_LABEL] ?? scheduledRunName(jobName));
  }

  private podOf(ns: string, jobName: string, job: JobObject): PodObject | undefined {
    const pods = ownedPods(this.o.caches.pods.byIndex(PODS_BY_JOB, objectKey(ns, jobName)), job);
    // backoffLimit is 0, so there is one pod; should there be more, the newest tells the outcome.
    return pods.sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')))[0];
  }

  async reconcile(k: string): Promise<void> {
    const { caches, kube } = this.o;
    const [ns, name] = splitKey(k);
    const run = caches.reconRuns.get(ns, name);
    if (!run || run.metadata.deletionTimestamp) {
      this.notifier.forget(k);
      return;
    }
    const jobName = run.spec.trigger === 'Scheduled' ? (run.status?.jobName ?? run.metadata.name) : runJobName(run.metadata.name);
    // Status comes only from a Job the run's own chain controls (by uid), never from one
    // that merely has the name: anyone who may create Jobs here could have made that one.
    const scheduled = run.spec.trigger === 'Scheduled';
    const owner = scheduled ? caches.cronJobs.get(ns, cronJobName(run.spec.jobRef.name)) : run;
    const verdict = judgeRunJob(caches.jobs.get(ns, jobName), owner, scheduled ? `the CronJob of ReconJob ${run.spec.jobRef.name}` : `ReconRun ${name}`, jobName, ns);
    const k8sJob = verdict.kind === 'owned' ? caches.jobs.get(ns, jobName) : undefined;
    const generation = run.metadata.generation ?? 0;
    const now = new Date();
    let status: ReconRunStatus;
    const finishedAlready = run.status?.phase === 'Succeeded' || run.status?.phase === 'Failed';
    if (verdict.kind === 'foreign' && !finishedAlready) {
      status = { ...run.status, phase: 'Failed', observedGeneration: generation, message: verdict.message, completionTime: iso(now), conditions: run.status?.conditions ?? [] };
    } else if (!k8sJob) {
      const finished = run.status?.phase === 'Succeeded' || run.status?.phase === 'Failed';
      if (!finished && run.status?.phase) return; // Pending and waiting for admission (reconcileJob decides)
      if (!finished) {
        await kube.replaceStatus('reconruns', { ...run, status: { phase: 'Pending' as const, observedGeneration: generation, message: 'waiting to start', conditions: [] } });
        return;
      }
      // Its Job was cleaned up; the status stands, but notifications may still be owed.
      status = { ...run.status };
    } else {
      const pod = this.podOf(ns, jobName, k8sJob);
      const computed = runStatusFromJob(k8sJob, pod, now, generation, run.status?.conditions ?? [], run.status);
      status = { ...run.status, ...computed, jobName };
    }
    const notify = this.notificationsFor(k, run, status, now);
    if (notify.records.length > 0) status = { ...status, notifications: notify.records };
    if (!sameStatus(status, run.status)) {
      // Delivery records go in this same write: a send is only ever started for a record
      // the API server already holds, and its result is written by the next reconcile.
      await kube.replaceStatus('reconruns', { ...run, status });
      await this.afterStatusWrite(k, run, status);
    }
    this.notifier.deliver(k, notify.run, status, notify.due, notify.records);
    // Retries come back through the queue, never as a wait inside this reconcile.
    if (notify.retryInMs !== undefined) this.queue.add(k, Math.max(notify.retryInMs, 1));
  }

  /** Events and metrics for a phase change just written. */
  private async afterStatusWrite(k: string, run: ReconRunObject, status: ReconRunStatus): Promise<void> {
    const [ns, name] = splitKey(k);
    const before = run.status?.phase;
    if (status.phase === before || !status.phase) return;
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      this.o.metrics?.runFinished({
        namespace: ns,
        job: run.spec.jobRef.name,
        phase: status.phase,
        ...(status.balanced !== undefined ? { balanced: status.balanced } : {}),
        ...(status.failedStage ? { failedStage: status.failedStage } : {}),
        ...(status.startTime ? { startTime: status.startTime } : {}),
        ...(status.completionTime ? { completionTime: status.completionTime } : {}),
        ...(status.counts ? { counts: status.counts } : {}),
        ...(status.breaks ? { breaks: status.breaks } : {}),
      });
    }
    this.o.log.info({ reconrun: k, phase: status.phase, balanced: status.balanced, counts: status.counts }, 'run phase changed');
    const ref = { apiVersion: API_VERSION, kind: 'ReconRun', name, namespace: ns, uid: run.metadata.uid };
    const kube = this.o.kube;
    if (status.phase === 'Failed') await kube.event(ref, 'Warning', 'Failed', status.message ?? 'run failed');
    else if (status.phase === 'Succeeded') await kube.event(ref, status.balanced ? 'Normal' : 'Warning', status.balanced ? 'Balanced' : 'Unbalanced', runSummaryLine(status));
    else await kube.event(ref, 'Normal', status.phase, `run ${status.phase.toLowerCase()}`);
    this.o.enqueueJob(ns, run.spec.jobRef.name);
  }

  /**
   * The run's delivery records after this status (new events get a pending record), what is
   * due now, and when to come back for a retry. The sinks come from the ReconJob as it is now.
   */
  private notificationsFor(k: string, run: ReconRunObject, status: ReconRunStatus, now: Date): { run: RunRef; records: NotificationRecord[]; due: Delivery[]; retryInMs?: number } {
    const ns = run.metadata.namespace;
    const reconJob = this.o.caches.reconJobs.get(ns, run.spec.jobRef.name);
    // An invalid notify list is reported on the ReconJob (Ready=False); nothing is sent for it.
    const notify = reconJob?.notify;
    const meta = { name: run.spec.jobRef.name, namespace: ns, ...(reconJob?.metadata.labels ? { labels: reconJob.metadata.labels } : {}) };
    const ref: RunRef = { name: run.metadata.name, namespace: ns, uid: run.metadata.uid, job: run.spec.jobRef.name, trigger: run.spec.trigger, window: run.spec.window };
    const cached = run.status?.notifications ?? [];
    const merged = this.notifier.records(k, run.metadata.uid, cached);
    const records = withNewEvents(notify, meta, run.metadata.uid, run.status, status, merged);
    return { run: ref, records, ...this.notifier.plan(k, notify, meta, records, now) };
  }

  /** Sends under way finish (each has a timeout), so their results can be written. */
  drainNotifications(): Promise<void> {
    return this.notifier.drain();
  }

  /** Writes the results of finished sends that no reconcile has recorded yet (planned stop). */
  async recordUnsent(): Promise<void> {
    for (const k of this.notifier.unrecorded()) {
      await this.reconcile(k).catch((err: unknown) => logFailure(this.o.log, { reconrun: k }, err, 'could not record notification results before stopping'));
    }
  }

  close(): Promise<void> {
    return this.notifier.close();
  }
}

/** A Secret's data, decoded; undefined when there is no such Secret. */
async function readSecret(kube: Kube, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const secret = await kube.core.readNamespacedSecret({ name, namespace });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(`cannot read Secret ${namespace}/${name}: ${errText(err)}`, { cause: err });
  }
}

function runSummaryLine(s: { counts?: { matched: number; mismatched: number; leftOnly: number; rightOnly: number } }): string {
  const c = s.counts;
  return c ? `matched ${c.matched}, mismatched ${c.mismatched}, left-only ${c.leftOnly}, right-only ${c.rightOnly}` : 'finished';
}
