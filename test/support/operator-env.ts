// One running world for operator tests: a real control plane (etcd, kube-apiserver,
// kube-controller-manager) with the generated CRDs, the process kubelet running the real
// runner in each pod, the S3 test server, and the operator itself, in-process, under the
// chart's ServiceAccount and RBAC (a 403 is a failure, as it would be on a cluster).
import { pino } from 'pino';
import { configFromEnv, startOperator, type RunningOperator } from '../../operator/main.ts';
import { Kube, loadKubeConfig } from '../../operator/kube/client.ts';
import type { RetryPolicy } from '../../operator/notify/routing.ts';
import type { ControlPlaneUser } from '../../operator/sandbox/control-plane.ts';
import { sharedTestCluster, startTestCluster, uniqueNamespace, waitFor, type TestCluster } from './cluster.ts';
import { startS3Server, type S3TestServer } from './s3-server.ts';
import { sharedService, type SkipContext } from './require-service.ts';

export { uniqueNamespace, waitFor };

type Json = Record<string, unknown>;

/** The world without the operator: control plane, kubelet, S3, the chart's RBAC. */
export interface ClusterEnv {
  cluster: TestCluster;
  /**
   * The namespace the file's ReconJobs live in, with the s3-creds Secret: "finance" on a
   * cluster of the file's own, a unique name on the shared one. Tests use this, never a literal.
   */
  namespace: string;
  /** Where the operator's ServiceAccount, RBAC and leader-election Lease live. */
  systemNamespace: string;
  s3: S3TestServer;
  /** Admin kubeconfig file (kubectl, the CLI commands as a user). */
  kubeconfig: string;
  /** Admin client: what a user with kubectl does. */
  kube: Kube;
  /** The operator's own kubeconfig (chart ServiceAccount). */
  operatorKubeconfig: string;
  outputs: string[];
  get(resource: string, namespace: string | undefined, name: string): Promise<Json | undefined>;
  list(resource: string, namespace?: string, labelSelector?: string): Promise<Json[]>;
  stop(): Promise<void>;
}

export interface OperatorEnv extends ClusterEnv {
  operator: RunningOperator;
  /** Stops the operator and starts a fresh one against the same API server (a pod restart). */
  restartOperator(): Promise<void>;
  stop(): Promise<void>;
}

export interface OperatorEnvOptions {
  namespaces?: string[];
  /** RAAS_KAFKA_BROKERS for the operator (comma list); unset = no Kafka sink. */
  kafkaBrokers?: string;
  /** Notification retry backoff; tests shorten the 5 s base. */
  notifyRetry?: Partial<RetryPolicy>;
  /** Extra `--set` values for the chart RBAC the operator runs under. */
  chartValues?: string[];
  /** Extra env for the operator (configFromEnv). */
  operatorEnv?: Record<string, string>;
  /** Token-authenticated users of the control plane (cp.userTokens[name]). */
  users?: ControlPlaneUser[];
  /**
   * Use the test run's shared control plane (test/support/global-setup.ts) in namespaces of
   * this file's own, instead of starting one. The operator then watches only those
   * namespaces and elects its leader in its own system namespace. Not with `users`.
   */
  shared?: boolean;
  /**
   * On the shared control plane: the name of the file's namespace (from uniqueNamespace),
   * when the file must know it before the world starts (chart values naming it).
   */
  namespace?: string;
}

export async function startClusterEnv(opts: Pick<OperatorEnvOptions, 'chartValues' | 'users' | 'shared' | 'namespace'> = {}): Promise<ClusterEnv> {
  if (opts.shared && opts.users) throw new Error('token users need a control plane of the file\'s own: drop shared or users');
  const cluster = opts.shared ? await sharedTestCluster() : await startTestCluster(opts.users ? { users: opts.users } : {});
  if (opts.namespace && !opts.shared) throw new Error('a namespace name is for the shared control plane; a cluster of the file\'s own uses "finance"');
  const namespace = opts.shared ? (opts.namespace ?? uniqueNamespace('finance')) : 'finance';
  const systemNamespace = opts.shared ? uniqueNamespace('raas-system') : 'raas-system';
  let s3: S3TestServer | undefined;
  try {
    s3 = await startS3Server({ buckets: ['ledger', 'psp', 'results'] });
    await cluster.namespace(namespace);
    const rbac = await cluster.installChartRbac(opts.chartValues, systemNamespace);
    // Runner pods get S3 settings the way users give them: a Secret through spec.runner.envFrom.
    await cluster.secret(namespace, 's3-creds', s3.env);
    const s3Server = s3;
    return {
      cluster,
      namespace,
      systemNamespace,
      s3: s3Server,
      kubeconfig: cluster.kubeconfig,
      kube: new Kube(loadKubeConfig(cluster.kubeconfig)),
      operatorKubeconfig: rbac.kubeconfig,
      outputs: cluster.outputs,
      get: (r, ns, n) => cluster.get(r, ns, n),
      list: (r, ns, sel) => cluster.list(r, ns, sel),
      async stop() {
        await cluster.stop();
        await s3Server.stop();
      },
    };
  } catch (err) {
    await s3?.stop().catch(() => undefined);
    await cluster.stop().catch(() => undefined);
    throw err;
  }
}

export async function startOperatorEnv(opts: OperatorEnvOptions = {}): Promise<OperatorEnv> {
  const base = await startClusterEnv(opts);
  try {
    const log = pino({ level: process.env.RAAS_TEST_LOG ?? 'silent' });
    const cfg = () => ({
      ...configFromEnv(
        { POD_NAMESPACE: base.systemNamespace, RAAS_LEASE_DURATION_SECONDS: '3', RAAS_RUNNER_IMAGE: 'raas:test', ...(opts.kafkaBrokers ? { RAAS_KAFKA_BROKERS: opts.kafkaBrokers } : {}), ...opts.operatorEnv },
        { kubeconfig: base.operatorKubeconfig, port: '0' },
      ),
      ...(opts.notifyRetry ? { notifyRetry: opts.notifyRetry } : {}),
      httpHost: '127.0.0.1',
      // On the shared control plane an operator that watched everything would reconcile
      // the other files' ReconJobs too: it watches only this file's namespace.
      namespaces: opts.namespaces ?? (opts.shared ? [base.namespace] : []),
      resyncMs: 2_000,
      processMetrics: true,
    });
    let operator = await startOperator(cfg(), log);
    const env: OperatorEnv = {
      ...base,
      operator,
      async restartOperator() {
        await operator.stop();
        operator = await startOperator(cfg(), log);
        env.operator = operator;
      },
      async stop() {
        await operator.stop().catch(() => undefined);
        await base.stop();
      },
    };
    return env;
  } catch (err) {
    await base.stop().catch(() => undefined);
    throw err;
  }
}

export function statusOf(o: Json | undefined): Record<string, unknown> {
  return (o?.status ?? {}) as Record<string, unknown>;
}

/**
 * The ReconJob the operator tests use: both sides and the results in the S3 test server
 * (buckets ledger, psp, results), credentials from the Secret s3-creds; `spec` adds to or
 * replaces fields, `labels` go on the metadata.
 */
export function s3ReconJob(name: string, namespace: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) {
  return {
    apiVersion: 'raas.dev/v1alpha1',
    kind: 'ReconJob',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: {
      left: { name: 'ledger', uri: 's3://ledger/orders/{{ window.startDate }}.csv' },
      right: { name: 'psp', uri: 's3://psp/settlements/{{ window.startDate }}.csv' },
      keys: [{ column: 'id' }],
      compare: [{ column: 'amount', tolerance: { absolute: 0.01 } }],
      output: { uri: 's3://results/{{ job.name }}/{{ window.startDate }}/' },
      runner: { envFrom: [{ secretRef: { name: 's3-creds' } }] },
      schedule: { cron: '0 2 * * *', timeZone: 'UTC' },
      ...spec,
    },
  };
}

/**
 * The operator world for one test file, started by the first test that needs it (a
 * missing control plane skips locally and fails under CI=true, with the reason).
 */
export function operatorEnvForFile(opts: OperatorEnvOptions = {}): (ctx: SkipContext) => Promise<OperatorEnv> {
  return sharedService('the Kubernetes control plane (scripts/install-kube.sh)', () => startOperatorEnv(opts), (env) => env.stop());
}

/** The world without an operator, for one test file (tests that run their own replicas). */
export function clusterEnvForFile(opts: Pick<OperatorEnvOptions, 'chartValues' | 'shared' | 'namespace'> = {}): (ctx: SkipContext) => Promise<ClusterEnv> {
  return sharedService('the Kubernetes control plane (scripts/install-kube.sh)', () => startClusterEnv(opts), (env) => env.stop());
}

/**
 * This file's part of the run's shared control plane: a TestCluster whose namespaces
 * (made with `cluster.namespace(uniqueNamespace('x'))`) are deleted after the file. The
 * usual way for a test file to reach Kubernetes (test/README.md).
 */
export function sharedClusterForFile(): (ctx: SkipContext) => Promise<TestCluster> {
  return sharedService('the Kubernetes control plane (scripts/install-kube.sh)', () => sharedTestCluster(), (c) => c.stop());
}
