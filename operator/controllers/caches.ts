// The caches the controllers share, and their indexes. The operator watches its own
// kinds, and only the Jobs, CronJobs and pods it made (by label).
import type { KubernetesObject, V1CronJob, V1Job, V1Pod } from '@kubernetes/client-node';
import { JOB_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from '../desired/meta.ts';
import type { ReconRun } from '../desired/types.ts';
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../http/metrics.ts';
import type { Kube } from '../kube/client.ts';
import { objectKey, type Cache, type Manager } from '../kube/manager.ts';
import { parseReconJob, type ObjectMeta, type RawReconJob, type ReconJobObject } from './reconjob-object.ts';

type Meta = ObjectMeta;

export type { ReconJobObject };
// Informer objects: timestamps may be Date (from a list) or string (from a watch); the
// pure functions accept both (operator/desired/timestamps.ts).
export type ReconRunObject = KubernetesObject & ReconRun & { metadata: Meta };
export type JobObject = V1Job & KubernetesObject;
export type CronJobObject = V1CronJob & KubernetesObject;
export type PodObject = V1Pod & KubernetesObject;

/** Index of ReconRuns by `namespace/ReconJob name`. */
export const RUNS_BY_RECONJOB = 'byReconJob';
/** Index of Jobs by namespace (admission asks which Jobs exist). */
export const JOBS_BY_NAMESPACE = 'byNamespace';
/** Index of pods by `namespace/Job name`. */
export const PODS_BY_JOB = 'byJob';

export interface Caches {
  /** Parsed once per version (reconjob-object.ts). */
  reconJobs: Cache<ReconJobObject, RawReconJob>;
  reconRuns: Cache<ReconRunObject>;
  jobs: Cache<JobObject>;
  cronJobs: Cache<CronJobObject>;
  pods: Cache<PodObject>;
}

export const podJobNames = (pod: V1Pod): string[] => {
  const l = pod.metadata?.labels ?? {};
  return [...new Set([l['job-name'], l['batch.kubernetes.io/job-name']].filter((x): x is string => !!x))];
};

export function makeCaches(manager: Manager, kube: Kube): Caches {
  const raas = (ns: string | undefined) => (ns ? `/apis/raas.dev/v1alpha1/namespaces/${ns}` : '/apis/raas.dev/v1alpha1');
  const batch = (ns: string | undefined) => (ns ? `/apis/batch/v1/namespaces/${ns}` : '/apis/batch/v1');
  const core = (ns: string | undefined) => (ns ? `/api/v1/namespaces/${ns}` : '/api/v1');
  const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
  return {
    reconJobs: manager.cache<ReconJobObject, RawReconJob>({
      name: 'reconjobs',
      path: (ns) => `${raas(ns)}/reconjobs`,
      list: (ns) => kube.listCustom<RawReconJob>('reconjobs', ns),
      parse: parseReconJob,
    }),
    reconRuns: manager.cache<ReconRunObject>({
      name: 'reconruns',
      path: (ns) => `${raas(ns)}/reconruns`,
      list: (ns) => kube.listCustom<ReconRunObject>('reconruns', ns),
      indexes: { [RUNS_BY_RECONJOB]: (r) => (r.spec?.jobRef?.name ? [objectKey(r.metadata.namespace, r.spec.jobRef.name)] : []) },
    }),
    jobs: manager.cache<JobObject>({
      name: 'jobs',
      path: (ns) => `${batch(ns)}/jobs`,
      list: (ns) => kube.listJobs(ns, managed),
      labelSelector: managed,
      indexes: { [JOBS_BY_NAMESPACE]: (j) => (j.metadata?.namespace ? [j.metadata.namespace] : []) },
    }),
    cronJobs: manager.cache<CronJobObject>({ name: 'cronjobs', path: (ns) => `${batch(ns)}/cronjobs`, list: (ns) => kube.listCronJobs(ns, managed), labelSelector: managed }),
    pods: manager.cache<PodObject>({
      name: 'pods',
      path: (ns) => `${core(ns)}/pods`,
      list: (ns) => kube.listPods(ns, JOB_LABEL),
      labelSelector: JOB_LABEL,
      indexes: { [PODS_BY_JOB]: (p) => (p.metadata?.namespace ? podJobNames(p).map((j) => objectKey(p.metadata!.namespace!, j)) : []) },
    }),
  };
}

/** The ReconJob that owns a CronJob (its controller reference). */
export function reconJobOwner(obj: KubernetesObject): string | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.kind === 'ReconJob')?.name;
}

/** What every controller is built with (operator.ts passes one such object to each). */
export interface ControllerDeps {
  manager: Manager;
  caches: Caches;
  kube: Kube;
  log: Logger;
  workers: number;
  metrics?: OperatorMetrics;
}
