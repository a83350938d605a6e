// One running world for operator tests: the Kubernetes API test server (with the
// generated CRDs), the S3 test server, the job simulator running the real runner, and
// the operator itself, in-process, talking to the API server over HTTP.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { allCrds } from '../../operator/api/crds.ts';
import { configFromEnv, startOperator, type RunningOperator } from '../../operator/main.ts';
import { Kube, loadKubeConfig } from '../../operator/kube/client.ts';
import type { RetryPolicy } from '../../operator/notify/routing.ts';
import { startKubeApiServer, type KObject, type KubeApiServer } from './kube/api-server.ts';
import { JobSimulator } from './kube/job-simulator.ts';
import { startS3Server, type S3TestServer } from './s3-server.ts';

export interface OperatorEnv {
  api: KubeApiServer;
  s3: S3TestServer;
  sim: JobSimulator;
  kubeconfig: string;
  kube: Kube;
  operator: RunningOperator;
  outputs: string[];
  /** Stops the operator and starts a fresh one against the same API server (a pod restart). */
  restartOperator(): Promise<void>;
  stop(): Promise<void>;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface OperatorEnvOptions {
  namespaces?: string[];
  /** RAAS_KAFKA_BROKERS for the operator (comma list); unset = no Kafka sink. */
  kafkaBrokers?: string;
  /** Notification retry backoff; tests shorten the 5 s base. */
  notifyRetry?: Partial<RetryPolicy>;
}

export async function startOperatorEnv(opts: OperatorEnvOptions = {}): Promise<OperatorEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'raas-op-'));
  const api = await startKubeApiServer({ crds: allCrds() });
  const s3 = await startS3Server({ buckets: ['ledger', 'psp', 'results'] });
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  const outputs: string[] = [];
  const sim = new JobSimulator({ server: api, onExit: (job, code, output) => outputs.push(`--- ${job} exit ${code}\n${output}`) });
  sim.start();
  const log = pino({ level: process.env.RAAS_TEST_LOG ?? 'silent' });
  const cfg = () => ({
    ...configFromEnv(
      { POD_NAMESPACE: 'raas-system', RAAS_LEASE_DURATION_SECONDS: '3', RAAS_RUNNER_IMAGE: 'raas:test', ...(opts.kafkaBrokers ? { RAAS_KAFKA_BROKERS: opts.kafkaBrokers } : {}) },
      { kubeconfig, port: '0' },
    ),
    ...(opts.notifyRetry ? { notifyRetry: opts.notifyRetry } : {}),
    httpHost: '127.0.0.1',
    namespaces: opts.namespaces ?? [],
    resyncMs: 2_000,
    processMetrics: true,
  });
  let operator = await startOperator(cfg(), log);
  const env: OperatorEnv = {
    api,
    s3,
    sim,
    kubeconfig,
    kube: new Kube(loadKubeConfig(kubeconfig)),
    operator,
    outputs,
    async restartOperator() {
      await operator.stop();
      operator = await startOperator(cfg(), log);
      env.operator = operator;
    },
    async stop() {
      await operator.stop().catch(() => undefined);
      await sim.stop();
      await s3.stop();
      await api.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  for (const ns of ['finance', 'raas-system']) api.store.create('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // Runner pods get S3 settings the way users give them: a Secret through spec.runner.envFrom.
  api.store.create('v1/secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's3-creds', namespace: 'finance' },
    data: Object.fromEntries(Object.entries(s3.env).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });
  return env;
}

export function statusOf(o: KObject | undefined): Record<string, unknown> {
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
