// For a ReconJob with engine: spark, the runner pod is the Spark driver in client mode and
// Spark's own Kubernetes scheduler starts the executor pods through the API server. This
// module is the pure part: the env that tells the runner's Spark driver where the API
// server is and what executors to ask for, and what the runner policy must allow.
import type { ReconJobSpec } from '../../runner/spec/schema.ts';
import type { V1EnvVar, V1OwnerReference, V1Pod, V1SecurityContext } from './k8s-types.ts';
import { JOB_LABEL, MANAGED_BY, MANAGED_BY_LABEL, RUN_LABEL } from './meta.ts';
import { labelValue } from './names.ts';
import { matchesPattern, type RunnerPolicy } from './runner-policy.ts';
import { API_VERSION, type StoredReconJob } from './types.ts';

/**
 * The API server as every pod reaches it: the `kubernetes` Service's address and port that
 * kubelet puts in each container's env (and expands here, as the env is made). The same
 * place as https://kubernetes.default.svc, without needing cluster DNS.
 */
export const SPARK_MASTER_IN_CLUSTER = 'k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SPARK_DEFAULTS = { executors: 2, executorCores: 1, executorMemory: '2GB' } as const;

/** A memory size as the spec writes it (512MB, 2GB, 4GiB) in Spark's units (512m, 2g, 4g). */
export function sparkMemory(size: string): string {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/.exec(size.trim());
  if (!m) throw new Error(`not a memory size: ${size}`);
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 }[m[2] as 'B'];
  // Spark reads k/m/g as binary units; whole MiB, rounded down, never asks for more than written.
  return `${Math.max(1, Math.floor((Number(m[1]) * unit) / 1024 ** 2))}m`;
}

/** The ReconRun a run's pods belong to, when known as the Job is made (manual runs and backfills). */
export interface RunOwner {
  name: string;
  uid: string;
}

/**
 * The executor pods' template (spark.kubernetes.executor.podTemplateFile): locked down like
 * the runner pod (non-root, read-only root filesystem, no capabilities, no API token; /tmp
 * the only writable place besides the local dirs Spark mounts itself), and owned by the
 * ReconRun as well as by the driver pod (Spark adds that one), so deleting either removes them.
 */
export function executorPodTemplate(owner: RunOwner | undefined, uid: number, container: V1SecurityContext): V1Pod {
  // Not the controller: Spark makes the driver pod the executors' controller owner.
  const ownerReferences: V1OwnerReference[] = owner ? [{ apiVersion: API_VERSION, kind: 'ReconRun', name: owner.name, uid: owner.uid }] : [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: ownerReferences.length ? { ownerReferences } : {},
    spec: {
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: SPARK_EXECUTOR_CONTAINER, securityContext: container, volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] }],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    },
  };
}

export const SPARK_EXECUTOR_CONTAINER = 'spark-executor';

/**
 * Env for the runner container of a spark job, after the run env (it refers to
 * RAAS_RUN_NAME, which Kubernetes expands in `$(…)` only when defined earlier).
 */
export function sparkDriverEnv(job: StoredReconJob, runnerImage: string, pod: { uid: number; container: V1SecurityContext; owner?: RunOwner | undefined }): V1EnvVar[] {
  const s = job.spec.spark ?? {};
  const cores = s.executorCores ?? SPARK_DEFAULTS.executorCores;
  const label = (k: string) => `spark.kubernetes.executor.label.${k}`;
  const conf: Record<string, string> = {
    'spark.kubernetes.namespace': job.metadata.namespace ?? 'default',
    'spark.kubernetes.container.image': s.image ?? runnerImage,
    'spark.executor.instances': String(s.executors ?? SPARK_DEFAULTS.executors),
    'spark.executor.cores': String(cores),
    'spark.kubernetes.executor.request.cores': s.executorCpuRequest ?? String(cores),
    'spark.executor.memory': sparkMemory(s.executorMemory ?? SPARK_DEFAULTS.executorMemory),
    // Client mode: executors connect back to this pod by its IP. Spark on Kubernetes tells
    // executors the bind address (spark.kubernetes.executor.useDriverPodIP), so that is
    // the pod IP too, never 0.0.0.0.
    'spark.driver.host': '$(RAAS_POD_IP)',
    'spark.driver.bindAddress': '$(RAAS_POD_IP)',
    // Executors get this pod as their owner, so they go when the run's Job and pod go.
    'spark.kubernetes.driver.pod.name': '$(RAAS_POD_NAME)',
    'spark.kubernetes.authenticate.caCertFile': `${SA_DIR}/ca.crt`,
    'spark.kubernetes.authenticate.oauthTokenFile': `${SA_DIR}/token`,
    [label(MANAGED_BY_LABEL)]: MANAGED_BY,
    [label(JOB_LABEL)]: labelValue(job.metadata.name),
    // A scheduled run's name is its Job's name, already a valid label value.
    [label(RUN_LABEL)]: pod.owner ? labelValue(pod.owner.name) : '$(RAAS_RUN_NAME)',
    'spark.kubernetes.executor.podTemplateContainerName': SPARK_EXECUTOR_CONTAINER,
    // The driver creates no PVCs; asking for them would need rights it does not have.
    'spark.kubernetes.driver.ownPersistentVolumeClaim': 'false',
    'spark.kubernetes.driver.reusePersistentVolumeClaim': 'false',
  };
  return [
    { name: 'RAAS_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'RAAS_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'RAAS_SPARK_MASTER', value: SPARK_MASTER_IN_CLUSTER },
    { name: 'RAAS_SPARK_CONF', value: JSON.stringify(conf) },
    // Written to a file by the driver (Spark reads the template from a path).
    { name: 'RAAS_SPARK_EXECUTOR_TEMPLATE', value: JSON.stringify(executorPodTemplate(pod.owner, pod.uid, pod.container)) },
  ];
}

/** What the runner policy must allow for a spark job: its executor image, and a ServiceAccount for the driver. */
export function sparkPolicyProblems(spec: Pick<ReconJobSpec, 'engine' | 'spark' | 'runner'>, policy: RunnerPolicy, operatorImage: string): string[] {
  if (spec.engine !== 'spark') return [];
  const problems: string[] = [];
  const image = spec.spark?.image;
  if (image !== undefined && image !== operatorImage && !policy.allowedImages.some((p) => matchesPattern(image, p))) {
    problems.push(`spec.spark.image: "${image}" is not allowed by the runner policy; remove it to use the runner's image, or ask the platform team to add a pattern to the chart value runnerPolicy.allowedImages`);
  }
  if (!spec.runner?.serviceAccountName) {
    problems.push('spec.runner.serviceAccountName: engine: spark on Kubernetes needs a ServiceAccount that may create pods (the runner is the Spark driver and starts executor pods); name one allowed by runnerPolicy.allowedServiceAccounts, such as the chart\'s raas-spark-driver (chart value spark.driverNamespaces)');
  }
  return problems;
}
