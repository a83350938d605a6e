// The scheduled-Job mirror (docs/design.md, Scheduled-Job mirror): each Job a ReconJob's CronJob creates becomes a
// ReconRun (trigger Scheduled) named after the Job, so scheduled runs show in
// `kubectl get reconruns` like any other. Keyed by the Job (`namespace/job name`);
// creating the run is idempotent (a 409 means it exists), and once it exists the run's
// own controller takes over.
import { childLabels, controllerRef, JOB_LABEL, RUN_LABEL } from '../desired/meta.ts';
import { scheduledRunName } from '../desired/names.ts';
import { controlledBy } from '../desired/ownership.ts';
import { windowForScheduledJob } from '../desired/schedule.ts';
import { API_VERSION } from '../desired/types.ts';
import { isConflict } from '../kube/client.ts';
import { objectKey, splitKey } from '../kube/manager.ts';
import type { WorkQueue } from '../kube/work-queue.ts';
import { reconJobOwner, type ControllerDeps, type JobObject } from './caches.ts';

export interface ScheduledMirrorOptions extends ControllerDeps {
  /** The mirrored run exists: let its controller look at it. */
  enqueueRun: (namespace: string, name: string) => void;
}

/** A Job that a CronJob made (no run label: the operator's own run Jobs carry one). */
const isCronJobCreated = (j: JobObject): boolean => !j.metadata?.labels?.[RUN_LABEL];

export class ScheduledMirrorController {
  readonly queue: WorkQueue;

  constructor(private readonly o: ScheduledMirrorOptions) {
    const { manager, caches } = o;
    this.queue = manager.queue('scheduled-jobs', (k) => this.reconcile(k), {
      workers: o.workers,
      keyField: 'job', failure: 'mirroring a scheduled Job failed; retrying',
      onProcessed: (_k, ms) => o.metrics?.reconciled('scheduled', ms),
    });
    caches.jobs.onChange((kind, j) => {
      if (kind !== 'delete' && isCronJobCreated(j)) this.enqueue(j);
    });
    manager.onResync(() => {
      for (const j of caches.jobs.list()) if (isCronJobCreated(j)) this.enqueue(j);
    });
  }

  private enqueue(j: JobObject): void {
    if (j.metadata?.namespace && j.metadata.name) this.queue.add(objectKey(j.metadata.namespace, j.metadata.name));
  }

  async reconcile(k: string): Promise<void> {
    const { caches } = this.o;
    const [ns, jobName] = splitKey(k);
    const k8sJob = caches.jobs.get(ns, jobName);
    if (!k8sJob) return;
    const owner = k8sJob.metadata?.labels?.[JOB_LABEL] ? k8sJob.metadata.ownerReferences?.find((r) => r.kind === 'CronJob') : undefined;
    if (!owner) return;
    const cron = caches.cronJobs.get(ns, owner.name);
    // Only Jobs the CronJob controls (by uid): a user who may create Jobs can copy its name and labels.
    if (!controlledBy(k8sJob, cron)) return;
    const reconJobName = cron ? reconJobOwner(cron) : undefined;
    const reconJob = reconJobName ? caches.reconJobs.get(ns, reconJobName) : undefined;
    if (!reconJob) return;
    const runName = scheduledRunName(jobName);
    if (caches.reconRuns.get(ns, runName)) {
      this.o.enqueueRun(ns, runName);
      return;
    }
    if (!reconJob.parsed.valid) return;
    const window = windowForScheduledJob(reconJob.parsed.job, jobName);
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
