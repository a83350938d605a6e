// The ReconJob controller: reconcileJob(key) reads the cached world and makes it so —
// the CronJob (exactly when there is a schedule), the Jobs of admitted manual/backfill
// runs (up to maxParallelRuns), history pruning, and the ReconJob's status. Level-based:
// it is called with a key from its queue, never with an event, so a missed or repeated
// event changes nothing.
import { describeIssue } from '../../runner/spec/load.ts';
import { reconJobSpecSchema } from '../../runner/spec/schema.ts';
import { runsToStart } from '../desired/admission.ts';
import { applyIsNoop, content, firstDifference, withAppliedHash } from '../desired/apply-skip.ts';
import { desiredCronJob, suspendWhileNotReady } from '../desired/desired-cronjob.ts';
import { desiredRunJob, type StoredReconRun } from '../desired/desired-run-job.ts';
import { JOB_LABEL } from '../desired/meta.ts';
import { cronJobName, runJobName } from '../desired/names.ts';
import { DEFAULT_RUNNER_POLICY, runnerPolicyProblems } from '../desired/runner-policy.ts';
import type { RunnerOptions } from '../desired/pod-spec.ts';
import { runsToPrune } from '../desired/prune.ts';
import { problemsWithoutData } from '../../runner/run/check-without-data.ts';
import { API_VERSION, type StoredReconJob } from '../desired/types.ts';
import { isConflict, isNotFound, type V1CronJob } from '../kube/client.ts';
import { objectKey, splitKey } from '../kube/manager.ts';
import type { WorkQueue } from '../kube/work-queue.ts';
import { JOBS_BY_NAMESPACE, reconJobOwner, RUNS_BY_RECONJOB, type ControllerDeps, type CronJobObject } from './caches.ts';
import { jobStatusInvalid, jobStatusValid, sameStatus } from './job-status.ts';
import { errText } from './errors.ts';

export interface ReconJobControllerOptions extends ControllerDeps {
  runner: RunnerOptions;
}

export class ReconJobController {
  readonly queue: WorkQueue;

  constructor(private readonly o: ReconJobControllerOptions) {
    const { manager, caches, log } = o;
    this.queue = manager.queue('reconjobs', (k) => this.reconcile(k), {
      workers: o.workers,
      // A 409 is optimistic concurrency doing its job (the cache was behind); retried quietly.
      onError: (k, err, attempt) => (isConflict(err) ? log.debug : log.warn).call(log, { reconjob: k, attempt, err: errText(err) }, 'reconcile failed; retrying'),
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

  async reconcile(k: string): Promise<void> {
    const { caches, kube, metrics } = this.o;
    const [ns, name] = splitKey(k);
    const job = caches.reconJobs.get(ns, name);
    if (!job || job.metadata.deletionTimestamp) {
      metrics?.forgetJob(ns, name);
      return; // children go with their owner (garbage collection)
    }
    const log = this.o.log.child({ reconjob: k });
    const now = new Date();
    const generation = job.metadata.generation ?? 0;
    const parsed = reconJobSpecSchema.safeParse(job.spec);
    const problems = parsed.success
      ? [...(await problemsWithoutData({ ...job, spec: parsed.data } as unknown as StoredReconJob)), ...runnerPolicyProblems(parsed.data.runner, this.o.runner.policy ?? DEFAULT_RUNNER_POLICY, this.o.runner.image)]
      : parsed.error.issues.map((i) => describeIssue({ ...i, path: ['spec', ...i.path] }, { spec: job.spec }));
    if (!parsed.success || problems.length) {
      const cached = caches.cronJobs.get(ns, cronJobName(name));
      const suspend = suspendWhileNotReady(cached);
      if (suspend) {
        await kube.mergePatchCronJob(ns, cronJobName(name), suspend);
        log.info({ cronjob: cronJobName(name) }, 'CronJob suspended while the ReconJob is not Ready');
      }
      const status = jobStatusInvalid(generation, job.status, problems, now, { cronJobSuspended: cached !== undefined });
      if (!sameStatus(status, job.status)) {
        log.warn({ problems }, 'invalid ReconJob spec');
        await kube.replaceStatus('reconjobs', { ...job, status });
        await kube.event({ apiVersion: API_VERSION, kind: 'ReconJob', name, namespace: ns, uid: job.metadata.uid }, 'Warning', 'InvalidSpec', problems.join('; '));
      }
      return;
    }
    const stored = { ...job, spec: parsed.data } as unknown as StoredReconJob;

    // CronJob: exists exactly when there is a schedule.
    let cron: V1CronJob | undefined;
    const desiredCron = desiredCronJob(stored, this.o.runner);
    if (desiredCron) {
      const desired = withAppliedHash(desiredCron as CronJobObject);
      const cached = caches.cronJobs.get(ns, cronJobName(name));
      // A restart (or a second pass over the same job) would apply 1,000 identical CronJobs.
      if (applyIsNoop(cached, desired)) cron = cached;
      else {
        if (cached) log.debug({ cronjob: cronJobName(name), differs: firstDifference(cached, content(desired)) }, 'CronJob differs from the desired one; applying');
        cron = await kube.apply(desired);
      }
    } else if (caches.cronJobs.get(ns, cronJobName(name))) {
      await kube.deleteCronJob(ns, cronJobName(name)).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      log.info({ cronjob: cronJobName(name) }, 'schedule removed; CronJob deleted');
    }

    const runs = caches.reconRuns.byIndex(RUNS_BY_RECONJOB, k);
    // Admission: start Pending manual/backfill runs up to the per-job cap, oldest first.
    const existingJobs = new Set(caches.jobs.byIndex(JOBS_BY_NAMESPACE, ns).map((j) => j.metadata!.name!));
    for (const run of runsToStart(runs, parsed.data.maxParallelRuns ?? 2, existingJobs)) {
      if (!run.metadata.uid) continue;
      try {
        await kube.createJob(desiredRunJob(run as StoredReconRun, stored, this.o.runner));
        log.info({ reconrun: run.metadata.name, job: runJobName(run.metadata.name) }, 'run started');
      } catch (e) {
        if (!isConflict(e)) throw e; // already created by an earlier pass
      }
    }

    // History: prune finished runs beyond the limits, oldest first. Result files stay.
    for (const runName of runsToPrune(runs, parsed.data.history ?? {})) {
      await kube.deleteCustom('reconruns', ns, runName).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      log.info({ reconrun: runName }, 'pruned by history limits');
    }

    const status = jobStatusValid({ ...stored, metadata: { ...stored.metadata, generation } }, job.status, cron ?? caches.cronJobs.get(ns, cronJobName(name)), runs, now);
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
      });
    }
    if (!sameStatus(status, job.status)) {
      const wasReady = job.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      await kube.replaceStatus('reconjobs', { ...job, status });
      if (!wasReady) await kube.event({ apiVersion: API_VERSION, kind: 'ReconJob', name, namespace: ns, uid: job.metadata.uid }, 'Normal', 'Ready', status.conditions?.[0]?.message ?? 'ready');
    }
  }
}
