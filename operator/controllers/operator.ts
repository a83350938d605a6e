// The controller process: informers feed keys into work queues; reconcileJob(key) and
// reconcileRun(key) read the cached world, compute what should exist and make it so.
// Level-based: no reconcile trusts the event that woke it, so a missed or repeated event
// changes nothing. Only the Lease holder acts; every replica keeps warm caches.
import type { KubernetesObject, V1CronJob, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { reconJobSpecSchema, type ReconJobSpec } from '../../runner/spec/schema.ts';
import { assertTimeZone } from '../../runner/window/window.ts';
import { describeIssue, formatPath } from '../../runner/spec/load.ts';
import type { ReconJobStatus } from '../api/reconjob-status.ts';
import { runsToStart } from '../desired/admission.ts';
import { desiredCronJob } from '../desired/desired-cronjob.ts';
import { desiredRunJob, type StoredReconRun } from '../desired/desired-run-job.ts';
import { JOB_LABEL, MANAGED_BY, MANAGED_BY_LABEL, RUN_LABEL, childLabels, controllerRef } from '../desired/meta.ts';
import { cronJobName, runJobName, scheduledRunName } from '../desired/names.ts';
import type { RunnerOptions } from '../desired/pod-spec.ts';
import { runsToPrune } from '../desired/prune.ts';
import { runStatusFromJob } from '../desired/run-status.ts';
import { normalizeCron, windowForScheduledJob } from '../desired/schedule.ts';
import { API_VERSION, type ReconRun, type StoredReconJob } from '../desired/types.ts';
import type { Kube} from '../kube/client.ts';
import { isConflict, isNotFound, statusCode } from '../kube/client.ts';
import { ResilientInformer, type ChangeKind } from '../kube/informer.ts';
import { WorkQueue } from '../kube/work-queue.ts';
import { jobStatusInvalid, jobStatusValid, sameStatus } from './job-status.ts';
import type { OperatorMetrics } from '../http/metrics.ts';
import { z } from 'zod';
import { notifySchema } from '../../runner/spec/schema.ts';
import type { NotificationRecord } from '../api/reconrun.ts';
import type { KafkaSettings } from '../notify/kafka.ts';
import type { DestinationClass } from '../notify/destination.ts';
import { Notifier } from '../notify/notifier.ts';
import { withNewEvents, type Delivery, type RetryPolicy } from '../notify/routing.ts';
import type { RunRef } from '../notify/events.ts';

type JobObject = KubernetesObject & { spec?: unknown; status?: ReconJobStatus; metadata: { name: string; namespace: string; uid: string; generation?: number } };
// Informer objects: timestamps may be Date (from a list) or string (from a watch); the
// pure functions accept both (operator/desired/timestamps.ts).
type RunObject = KubernetesObject & { spec: ReconRun['spec']; status?: ReconRun['status']; metadata: { name: string; namespace: string; uid: string; generation?: number } };
const asRun = (r: RunObject): ReconRun => r as unknown as ReconRun;

export interface OperatorOptions {
  kube: Kube;
  runner: RunnerOptions;
  /** Namespaces to watch; empty = all. */
  namespaces: string[];
  log: Logger;
  workers?: number;
  resyncMs?: number;
  stallMs?: number;
  metrics?: OperatorMetrics;
  /** Notification sinks' settings (operator/notify); without Kafka, kafka sinks record a failure. */
  notify?: { kafka?: KafkaSettings; retry?: Partial<RetryPolicy>; webhookTimeoutMs?: number; allowDestinations?: ReadonlySet<DestinationClass> };
}

type RunStatusObject = NonNullable<RunObject['status']> & { notifications?: NotificationRecord[] };
const notifyListSchema = z.array(notifySchema);

const key = (ns: string, name: string) => `${ns}/${name}`;
const splitKey = (k: string): [string, string] => {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
};

export class Operator {
  private readonly jobsInf: ResilientInformer<JobObject>[] = [];
  private readonly runsInf: ResilientInformer<RunObject>[] = [];
  private readonly k8sJobsInf: ResilientInformer<V1Job & KubernetesObject>[] = [];
  private readonly cronInf: ResilientInformer<V1CronJob & KubernetesObject>[] = [];
  private readonly podsInf: ResilientInformer<V1Pod & KubernetesObject>[] = [];
  readonly jobQueue: WorkQueue;
  readonly runQueue: WorkQueue;
  private leading = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly notifier: Notifier;

  constructor(private readonly o: OperatorOptions) {
    const log = o.log;
    this.jobQueue = new WorkQueue((k) => this.reconcileJob(k), {
      workers: o.workers ?? 4,
      // A 409 is optimistic concurrency doing its job (the cache was behind); retried quietly.
      onError: (k, err, attempt) => (isConflict(err) ? log.debug : log.warn).call(log, { reconjob: k, attempt, err: errText(err) }, 'reconcile failed; retrying'),
      onProcessed: (_k, ms) => o.metrics?.reconciled('job', ms),
    });
    this.runQueue = new WorkQueue((k) => this.reconcileRun(k), {
      workers: o.workers ?? 4,
      onError: (k, err, attempt) => (isConflict(err) ? log.debug : log.warn).call(log, { reconrun: k, attempt, err: errText(err) }, 'reconcile failed; retrying'),
      onProcessed: (_k, ms) => o.metrics?.reconciled('run', ms),
    });
    this.notifier = new Notifier({
      log: log.child({ component: 'notify' }),
      ...(o.notify?.kafka ? { kafka: o.notify.kafka } : {}),
      ...(o.notify?.retry ? { retry: o.notify.retry } : {}),
      ...(o.notify?.webhookTimeoutMs ? { webhookTimeoutMs: o.notify.webhookTimeoutMs } : {}),
      ...(o.notify?.allowDestinations ? { allowDestinations: o.notify.allowDestinations } : {}),
      readSecret: (namespace, name) => readSecret(o.kube, namespace, name),
      ...(o.metrics ? { metrics: o.metrics } : {}),
      warn: (run, reason, message) => o.kube.event({ apiVersion: API_VERSION, kind: 'ReconRun', name: run.name, namespace: run.namespace, uid: run.uid }, 'Warning', reason, message),
      // A finished send wakes its run so the next reconcile writes the result to status.
      onSettled: (k) => this.runQueue.add(k),
    });
    o.metrics?.trackQueues(() => ({ reconjobs: this.jobQueue.depth, reconruns: this.runQueue.depth }));
    const scopes = o.namespaces.length ? o.namespaces : [undefined];
    const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    for (const ns of scopes) {
      const base = (group: string) => (ns ? `${group}/namespaces/${ns}` : group);
      this.jobsInf.push(this.informer<JobObject>('reconjobs', `${base('/apis/raas.dev/v1alpha1')}/reconjobs`, () => o.kube.listCustom<JobObject>('reconjobs', ns), undefined, (_kind, obj) => this.enqueueJob(obj.metadata.namespace, obj.metadata.name)));
      this.runsInf.push(this.informer<RunObject>('reconruns', `${base('/apis/raas.dev/v1alpha1')}/reconruns`, () => o.kube.listCustom<RunObject>('reconruns', ns), undefined, (_kind, obj) => this.onRunChange(obj)));
      this.k8sJobsInf.push(this.informer('jobs', `${base('/apis/batch/v1')}/jobs`, () => o.kube.listJobs(ns, managed), managed, (kind, obj) => this.onK8sJobChange(kind, obj)));
      this.cronInf.push(this.informer('cronjobs', `${base('/apis/batch/v1')}/cronjobs`, () => o.kube.listCronJobs(ns, managed), managed, (_kind, obj) => {
        const owner = obj.metadata?.labels?.[JOB_LABEL];
        if (owner && obj.metadata?.namespace) this.enqueueJob(obj.metadata.namespace, ownerName(obj) ?? owner);
      }));
      this.podsInf.push(this.informer('pods', `${base('/api/v1')}/pods`, () => o.kube.listPods(ns, JOB_LABEL), JOB_LABEL, (_kind, obj) => this.onPodChange(obj)));
    }
  }

  private informer<T extends KubernetesObject>(
    name: string,
    path: string,
    list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
    labelSelector: string | undefined,
    onChange: (kind: ChangeKind, obj: T) => void,
  ): ResilientInformer<T> {
    return new ResilientInformer<T>({
      name,
      kubeConfig: this.o.kube.kc,
      path,
      list: list as () => Promise<{ apiVersion?: string; kind?: string; items: T[]; metadata: { resourceVersion?: string } }>,
      ...(labelSelector ? { labelSelector } : {}),
      onChange,
      ...(this.o.stallMs ? { stallMs: this.o.stallMs } : {}),
      onRestart: () => this.o.metrics?.watchRestarted(name),
      log: (msg, fields) => this.o.log.warn(fields ?? {}, msg),
    });
  }

  private allInformers(): Array<ResilientInformer<KubernetesObject>> {
    return [...this.jobsInf, ...this.runsInf, ...this.k8sJobsInf, ...this.cronInf, ...this.podsInf] as Array<ResilientInformer<KubernetesObject>>;
  }

  get synced(): boolean {
    return this.allInformers().every((i) => i.hasSynced);
  }

  get queueDepth(): number {
    return this.jobQueue.depth + this.runQueue.depth;
  }

  /** Every informer forced to relist (tests; also what the stall watchdog does). */
  relistAll(reason: string): void {
    for (const i of this.allInformers()) i.restart(reason);
  }

  async start(): Promise<void> {
    await Promise.all(this.allInformers().map((i) => i.start()));
  }

  /** Called when this replica becomes (or stops being) the leader. */
  setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) {
      this.jobQueue.start();
      this.runQueue.start();
      this.resyncAll();
      this.resyncTimer = setInterval(() => this.resyncAll(), this.o.resyncMs ?? 5 * 60_000);
      this.resyncTimer.unref();
    } else {
      if (this.resyncTimer) clearInterval(this.resyncTimer);
      void this.jobQueue.stop();
      void this.runQueue.stop();
      // A replica that lost the lease must not act again; it exits and restarts cleanly.
    }
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    // Sends under way finish (each has a timeout) and their results are written before the
    // caches go, so a planned restart repeats no notification it has already sent.
    await this.notifier.drain();
    await Promise.all([this.jobQueue.stop(), this.runQueue.stop()]);
    if (this.leading) {
      for (const k of this.notifier.unrecorded()) {
        await this.reconcileRun(k).catch((err: unknown) => (isConflict(err) ? this.o.log.debug : this.o.log.warn).call(this.o.log, { reconrun: k, err: errText(err) }, 'could not record notification results before stopping'));
      }
    }
    await Promise.all(this.allInformers().map((i) => i.stop()));
    await this.notifier.close();
  }

  /** Periodic resync: every known object is reconciled again, whatever the events said. */
  resyncAll(): void {
    for (const inf of this.jobsInf) for (const j of inf.list()) this.enqueueJob(j.metadata.namespace, j.metadata.name);
    for (const inf of this.runsInf) for (const r of inf.list()) this.runQueue.add(key(r.metadata.namespace, r.metadata.name));
  }

  private enqueueJob(ns: string | undefined, name: string | undefined): void {
    if (this.leading && ns && name) this.jobQueue.add(key(ns, name));
  }

  private onRunChange(run: RunObject): void {
    if (!this.leading) return;
    this.runQueue.add(key(run.metadata.namespace, run.metadata.name));
    this.enqueueJob(run.metadata.namespace, run.spec?.jobRef?.name);
  }

  private onK8sJobChange(kind: ChangeKind, job: V1Job): void {
    if (!this.leading) return;
    const ns = job.metadata?.namespace;
    const name = job.metadata?.name;
    if (!ns || !name) return;
    const runName = job.metadata?.labels?.[RUN_LABEL];
    if (runName) {
      this.runQueue.add(key(ns, runName));
      return;
    }
    // A CronJob created this Job: mirror it into a ReconRun (DESIGN §4.3).
    if (kind !== 'delete') this.runQueue.add(key(ns, `mirror:${name}`));
  }

  private onPodChange(pod: V1Pod): void {
    if (!this.leading) return;
    const ns = pod.metadata?.namespace;
    const jobName = pod.metadata?.labels?.['job-name'] ?? pod.metadata?.labels?.['batch.kubernetes.io/job-name'];
    if (!ns || !jobName) return;
    const job = this.findK8sJob(ns, jobName);
    const runName = job?.metadata?.labels?.[RUN_LABEL] ?? pod.metadata?.labels?.[RUN_LABEL] ?? scheduledRunName(jobName);
    this.runQueue.add(key(ns, runName));
  }

  // ---- cache lookups

  private getJob(ns: string, name: string): JobObject | undefined {
    return findIn(this.jobsInf, ns, name);
  }
  private getRun(ns: string, name: string): RunObject | undefined {
    return findIn(this.runsInf, ns, name);
  }
  private runsOf(ns: string, jobName: string): RunObject[] {
    return this.runsInf.flatMap((inf) => inf.list().filter((r) => r.metadata.namespace === ns && r.spec?.jobRef?.name === jobName));
  }
  private findK8sJob(ns: string, name: string): V1Job | undefined {
    return findIn(this.k8sJobsInf, ns, name);
  }
  private findCronJob(ns: string, name: string): V1CronJob | undefined {
    return findIn(this.cronInf, ns, name);
  }
  private podOf(ns: string, jobName: string): V1Pod | undefined {
    const pods = this.podsInf.flatMap((inf) =>
      inf.list().filter((p) => p.metadata?.namespace === ns && (p.metadata?.labels?.['job-name'] === jobName || p.metadata?.labels?.['batch.kubernetes.io/job-name'] === jobName)),
    );
    // backoffLimit is 0, so there is one pod; should there be more, the newest tells the outcome.
    return pods.sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')))[0];
  }

  // ---- reconcileJob

  async reconcileJob(k: string): Promise<void> {
    const [ns, name] = splitKey(k);
    const job = this.getJob(ns, name);
    if (!job || job.metadata.deletionTimestamp) {
      this.o.metrics?.forgetJob(ns, name);
      return; // children go with their owner (garbage collection)
    }
    const log = this.o.log.child({ reconjob: k });
    const now = new Date();
    const generation = job.metadata.generation ?? 0;
    const parsed = reconJobSpecSchema.safeParse(job.spec);
    const problems = parsed.success ? scheduleProblems(parsed.data) : parsed.error.issues.map((i) => describeIssue({ ...i, path: ['spec', ...i.path] }, { spec: job.spec }));
    if (!parsed.success || problems.length) {
      const status = jobStatusInvalid(generation, job.status, problems, now);
      if (!sameStatus(status, job.status)) {
        log.warn({ problems }, 'invalid ReconJob spec');
        await this.o.kube.replaceStatus('reconjobs', { ...job, status });
        await this.o.kube.event({ apiVersion: API_VERSION, kind: 'ReconJob', name, namespace: ns, uid: job.metadata.uid }, 'Warning', 'InvalidSpec', problems.join('; '));
      }
      return;
    }
    const stored = { ...job, spec: parsed.data! } as unknown as StoredReconJob;

    // CronJob: exists exactly when there is a schedule.
    let cron: V1CronJob | undefined;
    const desired = desiredCronJob(stored, this.o.runner);
    if (desired) {
      cron = await this.o.kube.apply(desired as V1CronJob & KubernetesObject);
    } else if (this.findCronJob(ns, cronJobName(name))) {
      await this.o.kube.deleteCronJob(ns, cronJobName(name)).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      log.info({ cronjob: cronJobName(name) }, 'schedule removed; CronJob deleted');
    }

    const runs = this.runsOf(ns, name).map(asRun);
    // Admission: start Pending manual/backfill runs up to the per-job cap, oldest first.
    const existingJobs = new Set(this.k8sJobsInf.flatMap((inf) => inf.list().filter((j) => j.metadata?.namespace === ns).map((j) => j.metadata!.name!)));
    for (const run of runsToStart(runs, parsed.data.maxParallelRuns ?? 2, existingJobs)) {
      if (!run.metadata.uid) continue;
      try {
        await this.o.kube.createJob(desiredRunJob(run as unknown as StoredReconRun, stored, this.o.runner));
        log.info({ reconrun: run.metadata.name, job: runJobName(run.metadata.name) }, 'run started');
      } catch (e) {
        if (!isConflict(e)) throw e; // already created by an earlier pass
      }
    }

    // History: prune finished runs beyond the limits, oldest first. Result files stay.
    for (const runName of runsToPrune(runs, parsed.data.history ?? {})) {
      await this.o.kube.deleteCustom('reconruns', ns, runName).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      log.info({ reconrun: runName }, 'pruned by history limits');
    }

    const status = jobStatusValid({ ...stored, metadata: { ...stored.metadata, generation } }, job.status, cron ?? this.findCronJob(ns, cronJobName(name)), runs, now);
    this.o.metrics?.setNextSchedule(ns, name, status.nextScheduleTime ? new Date(status.nextScheduleTime) : undefined);
    const last = status.lastRun;
    if (last && (last.phase === 'Succeeded' || last.phase === 'Failed')) {
      this.o.metrics?.lastRun({
        namespace: ns,
        job: name,
        phase: last.phase,
        ...(last.balanced !== undefined ? { balanced: last.balanced } : {}),
        ...(last.completionTime ? { completionTime: last.completionTime } : {}),
        ...(last.counts ? { counts: last.counts } : {}),
      });
    }
    if (!sameStatus(status, job.status)) {
      const wasReady = job.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      await this.o.kube.replaceStatus('reconjobs', { ...job, status });
      if (!wasReady) await this.o.kube.event({ apiVersion: API_VERSION, kind: 'ReconJob', name, namespace: ns, uid: job.metadata.uid }, 'Normal', 'Ready', status.conditions?.[0]?.message ?? 'ready');
    }
  }

  // ---- reconcileRun

  async reconcileRun(k: string): Promise<void> {
    const [ns, name] = splitKey(k);
    if (name.startsWith('mirror:')) return this.mirrorScheduledJob(ns, name.slice('mirror:'.length));
    const run = this.getRun(ns, name);
    if (!run || run.metadata.deletionTimestamp) {
      this.notifier.forget(k);
      return;
    }
    const jobName = run.spec.trigger === 'Scheduled' ? (run.status?.jobName ?? run.metadata.name) : runJobName(run.metadata.name);
    const k8sJob = this.findK8sJob(ns, jobName);
    const generation = run.metadata.generation ?? 0;
    const now = new Date();
    let status: RunStatusObject;
    if (!k8sJob) {
      const finished = run.status?.phase === 'Succeeded' || run.status?.phase === 'Failed';
      if (!finished && run.status?.phase) return; // Pending and waiting for admission (reconcileJob decides)
      if (!finished) {
        await this.o.kube.replaceStatus('reconruns', { ...run, status: { phase: 'Pending' as const, observedGeneration: generation, message: 'waiting to start', conditions: [] } });
        return;
      }
      // Its Job was cleaned up; the status stands, but notifications may still be owed.
      status = { ...run.status } as RunStatusObject;
    } else {
      const pod = this.podOf(ns, jobName);
      const computed = runStatusFromJob(k8sJob, pod, now, generation, run.status?.conditions ?? [], run.status);
      status = { ...run.status, ...computed, jobName };
    }
    const notify = this.notificationsFor(k, run, status, now);
    if (notify.records.length > 0) status = { ...status, notifications: notify.records };
    if (!sameStatus(status, run.status)) {
      // Delivery records go in this same write: a send is only ever started for a record
      // the API server already holds, and its result is written by the next reconcile.
      await this.o.kube.replaceStatus('reconruns', { ...run, status });
      await this.afterRunStatusWrite(k, run, status);
    }
    this.notifier.deliver(k, notify.run, status, notify.due, notify.records);
    // Retries come back through the queue, never as a wait inside this reconcile.
    if (notify.retryInMs !== undefined) this.runQueue.add(k, Math.max(notify.retryInMs, 1));
  }

  /** Events and metrics for a phase change just written. */
  private async afterRunStatusWrite(k: string, run: RunObject, status: RunStatusObject): Promise<void> {
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
      });
    }
    this.o.log.info({ reconrun: k, phase: status.phase, balanced: status.balanced, counts: status.counts }, 'run phase changed');
    const ref = { apiVersion: API_VERSION, kind: 'ReconRun', name, namespace: ns, uid: run.metadata.uid };
    if (status.phase === 'Failed') await this.o.kube.event(ref, 'Warning', 'Failed', status.message ?? 'run failed');
    else if (status.phase === 'Succeeded') await this.o.kube.event(ref, status.balanced ? 'Normal' : 'Warning', status.balanced ? 'Balanced' : 'Unbalanced', runSummaryLine(status));
    else await this.o.kube.event(ref, 'Normal', status.phase, `run ${status.phase.toLowerCase()}`);
    this.enqueueJob(ns, run.spec.jobRef.name);
  }

  /**
   * The run's delivery records after this status (new events get a pending record), what is
   * due now, and when to come back for a retry. The sinks come from the ReconJob as it is now.
   */
  private notificationsFor(k: string, run: RunObject, status: RunStatusObject, now: Date): { run: RunRef; records: NotificationRecord[]; due: Delivery[]; retryInMs?: number } {
    const ns = run.metadata.namespace;
    const reconJob = this.getJob(ns, run.spec.jobRef.name);
    const parsed = notifyListSchema.safeParse((reconJob?.spec as { notify?: unknown } | undefined)?.notify);
    // An invalid notify list is reported on the ReconJob (Ready=False); nothing is sent for it.
    const notify = parsed.success ? parsed.data : undefined;
    const meta = { name: run.spec.jobRef.name, namespace: ns, ...(reconJob?.metadata.labels ? { labels: reconJob.metadata.labels } : {}) };
    const ref: RunRef = { name: run.metadata.name, namespace: ns, uid: run.metadata.uid, job: run.spec.jobRef.name, trigger: run.spec.trigger, window: run.spec.window };
    const cached = (run.status as RunStatusObject | undefined)?.notifications ?? [];
    const merged = this.notifier.records(k, run.metadata.uid, cached);
    const records = withNewEvents(notify, meta, run.metadata.uid, run.status, status, merged);
    return { run: ref, records, ...this.notifier.plan(k, notify, meta, records, now) };
  }

  /** A CronJob-created Job becomes a ReconRun (trigger Scheduled) named after it. */
  private async mirrorScheduledJob(ns: string, jobName: string): Promise<void> {
    const k8sJob = this.findK8sJob(ns, jobName);
    if (!k8sJob) return;
    const owner = k8sJob.metadata?.labels?.[JOB_LABEL] ? k8sJob.metadata.ownerReferences?.find((r) => r.kind === 'CronJob') : undefined;
    if (!owner) return;
    const cron = this.findCronJob(ns, owner.name);
    const reconJobName = cron ? ownerName(cron) : undefined;
    const reconJob = reconJobName ? this.getJob(ns, reconJobName) : undefined;
    if (!reconJob) return;
    const runName = scheduledRunName(jobName);
    if (this.getRun(ns, runName)) {
      this.runQueue.add(key(ns, runName));
      return;
    }
    const parsed = reconJobSpecSchema.safeParse(reconJob.spec);
    if (!parsed.success) return;
    const window = windowForScheduledJob({ ...(reconJob as unknown as StoredReconJob), spec: parsed.data }, jobName);
    const run = {
      apiVersion: API_VERSION,
      kind: 'ReconRun',
      metadata: { name: runName, namespace: ns, labels: childLabels(reconJob.metadata.name, runName), ownerReferences: [controllerRef('ReconJob', reconJob.metadata.name, reconJob.metadata.uid)] },
      spec: { jobRef: { name: reconJob.metadata.name }, window: { start: window.start, end: window.end }, trigger: 'Scheduled' as const },
    };
    try {
      await this.o.kube.createCustom('reconruns', ns, run);
      this.o.log.info({ reconrun: `${ns}/${runName}`, job: jobName }, 'scheduled run mirrored');
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

/** What the schema cannot see: the cron syntax and the time zone name. */
function scheduleProblems(spec: ReconJobSpec): string[] {
  const problems: string[] = [];
  const sched = spec.schedule;
  if (!sched) return problems;
  try {
    normalizeCron(sched.cron);
  } catch (err) {
    problems.push(`spec.${(err as Error).message}`);
  }
  try {
    assertTimeZone(sched.timeZone ?? 'UTC');
  } catch (err) {
    problems.push(`spec.schedule.timeZone: ${(err as Error).message}`);
  }
  return problems;
}

/** With a namespace list there is one informer per namespace; the object is in one of them. */
function findIn<T extends KubernetesObject>(informers: ReadonlyArray<ResilientInformer<T>>, ns: string, name: string): T | undefined {
  for (const inf of informers) {
    const o = inf.get(name, ns);
    if (o) return o;
  }
  return undefined;
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

function ownerName(obj: KubernetesObject): string | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.kind === 'ReconJob')?.name;
}

function runSummaryLine(s: { counts?: { matched: number; mismatched: number; leftOnly: number; rightOnly: number } }): string {
  const c = s.counts;
  return c ? `matched ${c.matched}, mismatched ${c.mismatched}, left-only ${c.leftOnly}, right-only ${c.rightOnly}` : 'finished';
}

export function errText(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown }).body;
  const msg = err instanceof Error ? err.message : String(err);
  return code ? `${code}: ${typeof body === 'string' ? body.slice(0, 300) : msg.slice(0, 300)}` : msg;
}

export { formatPath };
