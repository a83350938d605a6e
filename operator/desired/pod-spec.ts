// The runner pod, shared by CronJob-created and operator-created Jobs. The runner gets
// everything through env (operator/README.md) and needs no API access, so the pod is
// locked down as docs/design.md, Safety, says.
import type { V1EnvVar, V1PodSpec, V1SecurityContext } from './k8s-types.ts';
import type { RunnerPolicy } from './runner-policy.ts';
import type { StoredReconJob } from './types.ts';
import { CATALOG_URL_ENV } from '../../runner/spec/connections.ts';
import { sparkDriverEnv, type RunOwner } from './spark-driver.ts';

export interface RunnerOptions {
  /** The operator's own image, used when spec.runner.image is not set. */
  image: string;
  imagePullPolicy?: string;
  /** Recorded on children so that one of several operator installs can tell its own apart. */
  operatorNamespace?: string;
  /** What spec.runner may ask for (runner-policy.ts); absent = the chart's defaults. */
  policy?: RunnerPolicy;
}

export const RUNNER_CONTAINER = 'runner';
export const RUNNER_COMMAND = ['node', '/app/bin/raas.js', 'run', '--json'];
export const TERMINATION_LOG = '/dev/termination-log';
export const WORK_DIR = '/work';
export const RUNNER_UID = 10001;

function restrictedContainer(): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUNNER_UID,
    runAsGroup: RUNNER_UID,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** What `raas run` reads from RAAS_MANIFEST: the ReconJob without status or server-set metadata. */
export function manifestJson(job: StoredReconJob): string {
  return JSON.stringify({
    apiVersion: job.apiVersion,
    kind: job.kind,
    metadata: { name: job.metadata.name, namespace: job.metadata.namespace },
    spec: job.spec,
  });
}

/** Env for a pod of a CronJob-created Job: the runner derives its window from the Job name. */
export function scheduledRunEnv(): V1EnvVar[] {
  const jobNameLabel = { fieldRef: { fieldPath: "metadata.labels['job-name']" } };
  return [
    { name: 'RAAS_JOB_NAME', valueFrom: jobNameLabel },
    // The mirroring ReconRun is named exactly like the Job (names.ts scheduledRunName).
    { name: 'RAAS_RUN_NAME', valueFrom: jobNameLabel },
  ];
}

/** Env for a pod of a manual run or backfill: the window is explicit. */
export function explicitRunEnv(runName: string, window: { start: string; end: string }): V1EnvVar[] {
  return [
    { name: 'RAAS_WINDOW_START', value: window.start },
    { name: 'RAAS_WINDOW_END', value: window.end },
    { name: 'RAAS_RUN_NAME', value: runName },
  ];
}

/** The results catalog's connection URL, from the Secret that spec.output.catalog.postgres names. */
function catalogEnv(job: StoredReconJob): V1EnvVar[] {
  const ref = job.spec.output?.catalog?.postgres?.secretRef;
  return ref ? [{ name: CATALOG_URL_ENV, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key ?? 'url' } } }] : [];
}

/** owner: the ReconRun, when it exists before its Job (manual runs and backfills); spark executors name it as owner. */
export function podSpecForRun(job: StoredReconJob, opts: RunnerOptions, env: V1EnvVar[], owner?: RunOwner): V1PodSpec {
  const runner = job.spec.runner;
  const resources = runner?.resources;
  return {
    restartPolicy: 'Never',
    // Service links would inject one env var per Service in the namespace: noise the
    // runner never reads, and a way for a Service name to shadow a variable.
    enableServiceLinks: false,
    ...(runner?.serviceAccountName
      ? { serviceAccountName: runner.serviceAccountName }
      : { automountServiceAccountToken: false }),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUNNER_UID,
      runAsGroup: RUNNER_UID,
      // emptyDir volumes become writable by the runner's group.
      fsGroup: RUNNER_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: RUNNER_CONTAINER,
        image: runner?.image ?? opts.image,
        ...(opts.imagePullPolicy ? { imagePullPolicy: opts.imagePullPolicy } : {}),
        command: [...RUNNER_COMMAND],
        env: [
          { name: 'RAAS_MANIFEST', value: manifestJson(job) },
          { name: 'RAAS_TERMINATION_LOG', value: TERMINATION_LOG },
          { name: 'RAAS_WORK_DIR', value: WORK_DIR },
          ...(runner?.memoryLimit ? [{ name: 'RAAS_MEMORY_LIMIT', value: runner.memoryLimit }] : []),
          ...catalogEnv(job),
          ...env,
          ...(job.spec.engine === 'spark' ? sparkDriverEnv(job, runner?.image ?? opts.image, { uid: RUNNER_UID, container: restrictedContainer(), owner }) : []),
        ],
        ...(runner?.envFrom?.length
          ? {
              envFrom: runner.envFrom.map((e) => ({
                ...(e.secretRef ? { secretRef: { name: e.secretRef.name } } : {}),
                ...(e.configMapRef ? { configMapRef: { name: e.configMapRef.name } } : {}),
              })),
            }
          : {}),
        ...(resources?.requests || resources?.limits
          ? {
              resources: {
                ...(resources.requests ? { requests: { ...resources.requests } } : {}),
                ...(resources.limits ? { limits: { ...resources.limits } } : {}),
              },
            }
          : {}),
        securityContext: restrictedContainer(),
        volumeMounts: [
          { name: 'work', mountPath: WORK_DIR },
          { name: 'tmp', mountPath: '/tmp' },
        ],
        terminationMessagePath: TERMINATION_LOG,
        // A runner that dies before writing its report (OOM, crash) still leaves the
        // tail of its log as the message, which is what a person needs to see.
        terminationMessagePolicy: 'FallbackToLogsOnError',
      },
    ],
    // DuckDB spills and staged inputs go to /work; with a read-only root filesystem
    // these are the only writable places. No sizeLimit: the node's ephemeral storage
    // accounting applies, and a guessed limit would evict large recons.
    volumes: [
      { name: 'work', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ],
  };
}
