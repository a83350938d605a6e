// `raas sandbox`: try raas without a cluster. One process runs the Kubernetes API test
// server (the same one the tests use, from test/support/kube), the job simulator that
// runs the real runner for each Job, an S3 test server, and the operator. The real
// kubectl works against the kubeconfig it writes.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { allCrds } from '../api/crds.ts';
import { ConfigError, configFromEnv, startOperator, type OperatorConfig, type RunningOperator } from '../main.ts';
import { startKubeApiServer, type KubeApiServer } from '../../test/support/kube/api-server.ts';
import { JobSimulator } from '../../test/support/kube/job-simulator.ts';
import { startS3Server, type S3TestServer } from '../../test/support/s3-server.ts';

export interface SandboxOptions {
  kubeconfig: string;
  namespace?: string;
  s3?: boolean;
  logLevel?: string;
  /** Serve the operator's /metrics (and /healthz) on this 127.0.0.1 port; default a free one. */
  metricsPort?: number;
  /** Extra env for runner pods. */
  runnerEnv?: Record<string, string>;
  /** host:port[,host:port]: the operator's Kafka sink sends notify events there (as RAAS_KAFKA_BROKERS does). */
  kafkaBrokers?: string;
}

export interface Sandbox {
  api: KubeApiServer;
  s3?: S3TestServer;
  sim: JobSimulator;
  operator: RunningOperator;
  stop(): Promise<void>;
}

export async function startSandbox(o: SandboxOptions, say: (line: string) => void): Promise<Sandbox> {
  const namespace = o.namespace ?? 'default';
  // Checked before anything starts, so a typo in --kafka-brokers leaves nothing running.
  const operatorEnv = { POD_NAMESPACE: 'raas-system', RAAS_RUNNER_IMAGE: 'raas:sandbox', ...(o.kafkaBrokers ? { RAAS_KAFKA_BROKERS: o.kafkaBrokers } : {}) };
  let operatorConfig: OperatorConfig;
  try {
    operatorConfig = configFromEnv(operatorEnv, { port: String(o.metricsPort ?? 0) });
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.message.replace('RAAS_KAFKA_BROKERS', '--kafka-brokers'));
    throw err;
  }
  const api = await startKubeApiServer({ crds: allCrds() });
  const s3 = o.s3 === false ? undefined : await startS3Server({ buckets: ['raas-data', 'raas-results'] });
  for (const ns of new Set([namespace, 'raas-system'])) if (!api.store.get('v1/namespaces', undefined, ns)) api.store.create('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  if (s3) {
    // The quick-start data, so examples/sandbox/reconjob.yaml has something to compare.
    const root = fileURLToPath(new URL('../../examples/quickstart/data/', import.meta.url));
    for (const file of await listFiles(root)) {
      await s3.client.send(new PutObjectCommand({ Bucket: 'raas-data', Key: relative(root, file).split(sep).join('/'), Body: await readFile(file) }));
    }
    // The same way a cluster gives runners credentials: a Secret used through spec.runner.envFrom.
    api.store.create('v1/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sandbox-s3', namespace },
      data: Object.fromEntries(Object.entries(s3.env).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
  }
  const log = pino({ level: o.logLevel ?? 'info', base: { component: 'raas-operator' } }, pino.destination(2));
  const sim = new JobSimulator({ server: api, ...(o.runnerEnv ? { extraEnv: o.runnerEnv } : {}), onExit: (job, code) => log.info({ job, exitCode: code }, 'sandbox pod finished') });
  sim.start();
  const path = resolve(o.kubeconfig);
  await mkdir(dirname(path), { recursive: true });
  const operator = await startOperator(
    { ...operatorConfig, kubeconfigYaml: api.kubeconfigYaml({ namespace }), httpHost: '127.0.0.1', namespaces: [] },
    log,
  );
  say(`raas sandbox: Kubernetes API at ${api.url}; kubeconfig written to ${path}`);
  say(`  export KUBECONFIG=${path}`);
  say(`  kubectl apply -f examples/sandbox/reconjob.yaml && kubectl get reconruns -w`);
  if (s3) say(`  for kubectl recon results --download: export ${Object.entries(s3.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (s3) say(`  S3 test server at ${s3.endpoint}: s3://raas-data holds the quick-start data, results go to s3://raas-results; runners get its settings from Secret sandbox-s3`);
  if (operatorConfig.kafka) say(`  notifications: ReconJobs' kafka notify entries send CloudEvents to Kafka at ${operatorConfig.kafka.brokers.join(',')}`);
  say(`  operator metrics at http://127.0.0.1:${operator.port}/metrics, health at /healthz; stop with Ctrl-C`);
  // Written last, after the lines above: a script may wait for the file to know the sandbox is ready.
  await writeFile(path, api.kubeconfigYaml({ namespace }));
  return {
    api,
    ...(s3 ? { s3 } : {}),
    sim,
    operator,
    async stop() {
      await operator.stop();
      await sim.stop();
      await s3?.stop();
      await api.stop();
    },
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
