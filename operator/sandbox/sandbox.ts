// `raas sandbox`: try raas without a cluster. One process starts a real Kubernetes control
// plane on loopback (etcd, kube-apiserver, kube-controller-manager: control-plane.ts), the
// process kubelet that runs every pod as a local process, an S3 test server seeded with
// the quick-start data, and the operator. The real kubectl works against the kubeconfig
// it writes. Needs the binaries from scripts/install-kube.sh (or KUBEBUILDER_ASSETS).
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { pino } from 'pino';
import { ConfigError, configFromEnv, startOperator, type OperatorConfig, type RunningOperator } from '../main.ts';
import { REPO_ROOT, findKubeBinaries } from './binaries.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { ProcessKubelet } from './process-kubelet.ts';
import { pathOfObject } from './resource-path.ts';
import type { S3TestServer } from './s3-server.ts';

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
  /**
   * Write the S3 test server's settings here as `export AWS_...=...` lines, so a second
   * shell can `. FILE` before `kubectl recon results --download` or `raas web`: the port is
   * free-picked at start, so a copy-paste command cannot name it.
   */
  s3EnvFile?: string;
}

export interface Sandbox {
  controlPlane: ControlPlane;
  s3?: S3TestServer;
  kubelet: ProcessKubelet;
  operator: RunningOperator;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

/** Server-side apply of one object as the admin. */
export async function applyObject(cp: ControlPlane, body: Json, fieldManager = 'raas-sandbox'): Promise<void> {
  const res = await cp.request('PATCH', `${pathOfObject(body)}?fieldManager=${fieldManager}&force=true`, body, { contentType: 'application/apply-patch+yaml' });
  if (res.status !== 200 && res.status !== 201) throw new Error(`apply ${String(body.kind)} ${String((body.metadata as Json | undefined)?.name)}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
}

/** The generated CRDs from crds/, applied and Established. */
export async function installCrds(cp: ControlPlane): Promise<void> {
  const dir = join(REPO_ROOT, 'crds');
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      const o = doc.toJS() as Json | null;
      if (!o?.kind) continue;
      await applyObject(cp, o);
      names.push(String((o.metadata as Json).name));
    }
  }
  const deadline = Date.now() + 30_000;
  for (const name of names) {
    for (;;) {
      const r = await cp.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      if (r.body?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 30 s`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/** `export NAME='value'` lines a POSIX shell can source; values single-quoted, so nothing in them is expanded. */
export function shellExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replaceAll("'", "'\\''")}'\n`)
    .join('');
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
  const binaries = findKubeBinaries();
  const cp = await startControlPlane({ binaries });
  let s3: S3TestServer | undefined;
  let kubelet: ProcessKubelet | undefined;
  try {
    await installCrds(cp);
    for (const ns of new Set([namespace, 'raas-system'])) await applyObject(cp, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    if (o.s3 !== false) {
      const { startS3Server } = await import('./s3-server.ts');
      s3 = await startS3Server({ buckets: ['raas-data', 'raas-results'] });
      // The quick-start data, so examples/sandbox/reconjob.yaml has something to compare.
      const root = join(REPO_ROOT, 'examples', 'quickstart', 'data');
      for (const file of await listFiles(root)) {
        await s3.client.send(new PutObjectCommand({ Bucket: 'raas-data', Key: relative(root, file).split(sep).join('/'), Body: await readFile(file) }));
      }
      // The same way a cluster gives runners credentials: a Secret used through spec.runner.envFrom.
      await applyObject(cp, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sandbox-s3', namespace }, stringData: s3.env });
    }
    const log = pino({ level: o.logLevel ?? 'info', base: { component: 'raas-operator' } }, pino.destination(2));
    kubelet = new ProcessKubelet({
      api: { host: cp.host, port: cp.port, caPem: cp.caPem, token: cp.adminToken },
      ...(o.runnerEnv ? { extraEnv: o.runnerEnv } : {}),
      onExit: (pod, code) => log.info({ pod, exitCode: code }, 'sandbox pod finished'),
      log: (msg, fields) => log.warn(fields ?? {}, msg),
    });
    await kubelet.start();
    const path = resolve(o.kubeconfig);
    await mkdir(dirname(path), { recursive: true });
    const operator = await startOperator({ ...operatorConfig, kubeconfigYaml: cp.kubeconfigYaml({ namespace }), httpHost: '127.0.0.1', namespaces: [] }, log);
    say(`raas sandbox: Kubernetes API at ${cp.url} (kube-apiserver, etcd, kube-controller-manager; pods run as local processes); kubeconfig written to ${path}`);
    say(`  export KUBECONFIG=${path}`);
    say(`  kubectl apply -f examples/sandbox/reconjob.yaml && kubectl get reconruns -w`);
    if (s3 && o.s3EnvFile) {
      const envPath = resolve(o.s3EnvFile);
      await mkdir(dirname(envPath), { recursive: true });
      await writeFile(envPath, shellExports(s3.env), { mode: 0o600 });
      say(`  for kubectl recon results --download and raas web: . ${envPath}`);
    } else if (s3) say(`  for kubectl recon results --download and raas web: export ${Object.entries(s3.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    if (s3) say(`  S3 test server at ${s3.endpoint}: s3://raas-data holds the quick-start data, results go to s3://raas-results; runners get its settings from Secret sandbox-s3`);
    if (operatorConfig.kafka) say(`  notifications: ReconJobs' kafka notify entries send CloudEvents to Kafka at ${operatorConfig.kafka.brokers.join(',')}`);
    say(`  operator metrics at http://127.0.0.1:${operator.port}/metrics, health at /healthz; stop with Ctrl-C`);
    // Written last, after the lines above: a script may wait for the file to know the sandbox
    // is ready. Written beside it and renamed, so a waiter never reads a half-written file.
    await writeFile(`${path}.tmp`, cp.kubeconfigYaml({ namespace }), { mode: 0o600 });
    await rename(`${path}.tmp`, path);
    const k = kubelet;
    const s = s3;
    return {
      controlPlane: cp,
      ...(s ? { s3: s } : {}),
      kubelet: k,
      operator,
      async stop() {
        await operator.stop();
        await k.stop();
        await s?.stop();
        await cp.stop();
      },
    };
  } catch (err) {
    await kubelet?.stop().catch(() => undefined);
    await s3?.stop().catch(() => undefined);
    await cp.stop().catch(() => undefined);
    throw err;
  }
}

/** Every file under `dir`, recursively (the data a sandbox seeds into its S3 server). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
