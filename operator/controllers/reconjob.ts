// The ReconJob controller: reconcileJob(key) reads the cached world and makes it so —
// the CronJob (exactly when there is a schedule), the Jobs of admitted manual/backfill
// runs (up to maxParallelRuns), history pruning, and the ReconJob's status. Level-based:
// it is called with a key from its queue, never with an event, so a missed or repeated
// event changes nothing.
import type { Logger } from 'pino';
import { brokenCascades, runsToStart } from '../desired/admission.ts';
import { applyIsNoop, content, firstDifference, withAppliedHash } from '../desired/apply-skip.ts';
import { desiredCronJob, suspendWhileNotReady } from '../desired/desired-cronjob.ts';
import { desiredRunJob, type StoredReconRun } from '../desired/desired-run-job.ts';
import { JOB_LABEL } from '../desired/meta.ts';
import { cronJobName, runJobName } from '../desired/names.ts';
import { iso } from '../desired/run-status.ts';
import { DEFAULT_RUNNER_POLICY, runnerPolicyProblems } from '../desired/runner-policy.ts';
import { sparkPolicyProblems } from '../desired/spark-driver.ts';
import type { RunnerOptions } from '../desired/pod-spec.ts';
import { runsToPrune } from '../desired/prune.ts';
import { problemsWithoutData } from '../../runner/run/check-without-data.ts';
import { API_VERSION, type StoredReconJob } from '../desired/types.ts';
import { isConflict, isNotFound, type V1CronJob } from '../kube/client.ts';
import { objectKey, splitKey } from '../kube/manager.ts';
import type { WorkQueue } from '../kube/work-queue.ts';
import { JOBS_BY_NAMESPACE, reconJobOwner, RUNS_BY_RECONJOB, type ControllerDeps, type CronJobObject, type ReconJobObject, type ReconRunObject } from './caches.ts';
import { jobStatusInvalid, jobStatusValid, sameStatus } from './job-status.ts';

export interface ReconJobControllerOptions extends ControllerDeps {
  runner: RunnerOptions;
}

export class ReconJobController {
  readonly queue: WorkQueue;

  constructor(private readonly o: ReconJobControllerOptions) {
    const { manager, caches } = o;
    this.queue = manager.queue('reconjobs', (k) => this.reconcile(k), {
      workers: o.workers,
      // A 409 is optimistic concurrency doing its job (the cache was behind); retried quietly.
      keyField: 'reconjob',
      onProcessed: (_k, ms) => o.metrics?.reconciled('job', ms),
    });
    caches.reconJobs.onChange((_kind, j) => this.enqueue(j.metadata.namespace, j.metadata.name));
    caches.cronJobs.onChange((_kind, c) => {
      const owner = c.metadata?.labels?.[JOB_LABEL];
      if (owner && c.metadata?.namespace) this.enqueue(c.metadata.namespace, reconJobOwner(c) ?? owner);
    });
    // A run's phase is part of its job's status (lastRun, activeRuns) and frees admission slots.
    caches.reconRuns.onChange((_kind, r) => this.enqueue(r.metadata.namespace, r.spec?.jobRef?.name));
    manager.onResync(() => {
      for (const j of caches.reconJobs.list()) this.enqueue(j.metadata.namespace, j.metadata.name);
    });
  }

  /** Queues a ReconJob (ignored while this replica does not lead). */
  enqueue(ns: string | undefined, name: string | undefined): void {
    if (ns && name) this.queue.add(objectKey(ns, name));
  }

  /**
   * Makes the world match one ReconJob, in named steps (each reads the cache, decides with
   * a pure function from operator/desired/, and writes): validate, the CronJob, admitting
   * runs, pruning history, status. A step that fails throws; the manager logs it and the
   * key comes back with backoff, and every step is idempotent, so a retry repeats nothing.
   */
  async reconcile(k: string): Promise<void> {
    const [ns, name] = splitKey(k);
    const entry = this.o.caches.reconJobs.get(ns, name);
    if (!entry || entry.metadata.deletionTimestamp) {
      this.o.metrics?.forgetJob(ns, name);
      return; // children go with their owner (garbage collection)
    }
    const step: Step = { key: k, ns, name, entry, log: this.o.log.child({ reconjob: k }), now: new Date() };
    const job = await this.validate(step);
    if (!job) return;
    const cron = await this.reconcileCronJob(step, job);
    const runs = this.o.caches.reconRuns.byIndex(RUNS_BY_RECONJOB, k);
    await this.admitRuns(step, job, runs);
    await this.pruneHistory(step, job, runs);
    await this.writeStatus(step, job, cron, runs);
  }

  /** The parsed spec (from the cache) and the operator's runner policy; an invalid job gets Ready=False and stops here. */
  private async validate(s: Step): Promise<StoredReconJob | undefined> {
    const { entry } = s;
    const policy = this.o.runner.policy ?? DEFAULT_RUNNER_POLICY;
    const problems = entry.parsed.valid
      ? [
          ...(await this.dataFreeProblems(entry.parsed.job)),
          ...runnerPolicyProblems(entry.parsed.job.spec.runner, policy, this.o.runner.image),
          ...sparkPolicyProblems(entry.parsed.job.spec, policy, this.o.runner.image),
        ]
      : entry.parsed.problems;
    if (entry.parsed.valid && !problems.length) return entry.parsed.job;
    // A job that is not Ready runs nothing on schedule: its CronJob (if any) is suspended.
    const cached = this.o.caches.cronJobs.get(s.ns, cronJobName(s.name));
    const suspend = suspendWhileNotReady(cached);
    if (suspend) {
      await this.o.kube.mergePatchCronJob(s.ns, cronJobName(s.name), suspend);
      s.log.info({ cronjob: cronJobName(s.name) }, 'CronJob suspended while the ReconJob is not Ready');
    }
    const status = jobStatusInvalid(entry.metadata.generation ?? 0, entry.status, problems, s.now, { cronJobSuspended: cached !== undefined });
    if (!sameStatus(status, entry.status)) {
      s.log.warn({ problems }, 'invalid ReconJob spec');
      await this.o.kube.replaceStatus('reconjobs', { ...entry.raw, status });
      await this.o.kube.event(this.ref(s), 'Warning', 'InvalidSpec', problems.join('; '));
    }
    return undefined;
  }

  /** The CronJob exists exactly when there is a schedule; returns it as applied (or cached). */
  private async reconcileCronJob(s: Step, job: StoredReconJob): Promise<V1CronJob | undefined> {
    const { caches, kube } = this.o;
    const cached = caches.cronJobs.get(s.ns, cronJobName(s.name));
    const desiredCron = desiredCronJob(job, this.o.runner);
    if (desiredCron) {
      const desired = withAppliedHash(desiredCron as CronJobObject);
      // A restart (or a second pass over the same job) would apply 1,000 identical CronJobs.
      if (applyIsNoop(cached, desired)) return cached;
      if (cached) s.log.debug({ cronjob: cronJobName(s.name), differs: firstDifference(cached, content(desired)) }, 'CronJob differs from the desired one; applying');
      return kube.apply(desired);
    }
    if (cached) {
      await kube.deleteCronJob(s.ns, cronJobName(s.name)).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      s.log.info({ cronjob: cronJobName(s.name) }, 'schedule removed; CronJob deleted');
    }
    return undefined;
  }

  /** Starts Pending manual/backfill runs up to the per-job cap, oldest first (runsToStart); a carry-forward job's runs one at a time in window order. */
  private async admitRuns(s: Step, job: StoredReconJob, runs: ReconRunObject[]): Promise<void> {
    for (const { run, message } of brokenCascades(runs)) {
      try {
        const status = { phase: 'Failed' as const, observedGeneration: run.metadata.generation ?? 0, message, completionTime: iso(s.now), conditions: [] };
        await this.o.kube.replaceStatus('reconruns', { ...run, status });
        s.log.info({ reconrun: run.metadata.name }, 'not run: an earlier run of its cascade failed');
      } catch (e) {
        if (!isConflict(e)) throw e; // changed meanwhile; the next pass decides again
      }
    }
    const existingJobs = new Set(this.o.caches.jobs.byIndex(JOBS_BY_NAMESPACE, s.ns).map((j) => j.metadata!.name!));
    for (const run of runsToStart(runs, job.spec.maxParallelRuns ?? 2, existingJobs, { inWindowOrder: job.spec.carryForward !== undefined })) {
      if (!run.metadata.uid) continue;
      try {
        await this.o.kube.createJob(desiredRunJob(run as StoredReconRun, job, this.o.runner));
        s.log.info({ reconrun: run.metadata.name, job: runJobName(run.metadata.name) }, 'run started');
      } catch (e) {
        if (!isConflict(e)) throw e; // already created by an earlier pass
      }
    }
  }

  /** Deletes finished runs beyond the history limits, oldest first (runsToPrune). Result files stay. */
  private async pruneHistory(s: Step, job: StoredReconJob, runs: ReconRunObject[]): Promise<void> {
    for (const runName of runsToPrune(runs, job.spec.history ?? {})) {
      await this.o.kube.deleteCustom('reconruns', s.ns, runName).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      s.log.info({ reconrun: runName }, 'pruned by history limits');
    }
  }

  /** Ready, lastRun, activeRuns, nextScheduleTime (jobStatusValid), the metrics that mirror them, and an Event on becoming Ready. */
  private async writeStatus(s: Step, job: StoredReconJob, cron: V1CronJob | undefined, runs: ReconRunObject[]): Promise<void> {
    const { caches, kube, metrics } = this.o;
    const { entry, ns, name } = s;
    const generation = entry.metadata.generation ?? 0;
    const status = jobStatusValid({ ...job, metadata: { ...job.metadata, generation } }, entry.status, cron ?? caches.cronJobs.get(ns, cronJobName(name)), runs, s.now);
    metrics?.setNextSchedule(ns, name, status.nextScheduleTime ? new Date(status.nextScheduleTime) : undefined);
    const last = status.lastRun;
    if (last && (last.phase === 'Succeeded' || last.phase === 'Failed')) {
      metrics?.lastRun({
        namespace: ns,
        job: name,
        phase: last.phase,
        ...(last.balanced !== undefined ? { balanced: last.balanced } : {}),
        ...(last.completionTime ? { completionTime: last.completionTime } : {}),
        ...(last.counts ? { counts: last.counts } : {}),
        ...(last.breaks ? { breaks: last.breaks } : {}),
      });
    }
    if (sameStatus(status, entry.status)) return;
    const wasReady = entry.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    await kube.replaceStatus('reconjobs', { ...entry.raw, status });
    if (!wasReady) await kube.event(this.ref(s), 'Normal', 'Ready', status.conditions?.[0]?.message ?? 'ready');
  }

  /**
   * What `raas validate` finds without data (templates, cron, zone, SQL as it will run).
   * Parsing SQL costs a DuckDB round trip, so the answer is kept per parsed version of the
   * job (the cache parses each version once, so the object identity changes with the spec).
   */
  private readonly dataFree = new WeakMap<StoredReconJob, Promise<string[]>>();
  private dataFreeProblems(job: StoredReconJob): Promise<string[]> {
    let p = this.dataFree.get(job);
    if (!p) {
      p = problemsWithoutData(job);
      this.dataFree.set(job, p);
    }
    return p;
  }

  private ref(s: Step) {
    return { apiVersion: API_VERSION, kind: 'ReconJob', name: s.name, namespace: s.ns, uid: s.entry.metadata.uid };
  }
}

/** What one reconcile of one ReconJob passes between its steps. */
interface Step {
  key: string;
  ns: string;
  name: string;
  entry: ReconJobObject;
  log: Logger;
  now: Date;
}
