// `raas sandbox --node containerd`: the sandbox with a real node instead of the process
// kubelet. The control plane and the S3 test server run on loopback as in the default
// sandbox; the image is built from this checkout (scripts/build-image.sh; reused when the
// build context has not changed) and imported into the node's containerd; the chart is
// installed by the real helm with its defaults (two operator replicas with leader election,
// the web Deployment), only pointed at the local image. Root only; see docs/real-node.md.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, findKubeBinaries } from './binaries.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { createPodNetwork, findNodeBinaries, startRealNode, type PodNetwork, type RealNode } from './real-node.ts';
import type { S3TestServer } from './s3-server.ts';
import { listFiles, shellExports } from './sandbox.ts';

const run = promisify(execFile);

export interface RealNodeSandboxOptions {
  kubeconfig: string;
  namespace?: string;
  /** Image to run; default: built from this checkout by scripts/build-image.sh. */
  image?: string;
  /** More images to import into the node (the raas-spark image for spark runners). */
  extraImages?: string[];
  /** Extra `helm install --set` values (the e2e test shortens the lease, say). */
  helmSet?: string[];
  /** Also write the S3 test server's AWS_* settings here as export lines. */
  s3EnvFile?: string;
  /** Progress lines (image build, helm) besides the summary. */
  progress?: (line: string) => void;
  /**
   * Install the chart (default). Without it the node runs no pods, no namespace or Secret is
   * made, and the image is also tagged under the chart's default name (raas:<appVersion>),
   * so the install as docs/operations.md writes it runs unchanged (the e2e test does).
   */
  installChart?: boolean;
  /** Aborts a start in progress (Ctrl-C while building or installing): what started is stopped. */
  signal?: AbortSignal;
}

export interface RealNodeSandbox {
  controlPlane: ControlPlane;
  node: RealNode;
  s3: S3TestServer;
  /** The S3 server's endpoint as pods reach it (http://<bridge address>:<port>). */
  s3EndpointForPods: string;
  image: string;
  release: { name: string; namespace: string };
  helm: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

const RELEASE = 'raas';
const RELEASE_NAMESPACE = 'raas-system';

/** The real helm: .tools/bin/helm (scripts/install-helm.sh), else the first on PATH. */
export function findHelmBinary(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.HELM_BIN, join(REPO_ROOT, '.tools', 'bin', 'helm'), ...(env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, 'helm'))];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new Error('helm not found in .tools/bin or on PATH: run scripts/install-helm.sh');
  return found;
}

/**
 * scripts/build-image.sh: builds the image (a Dockerfile target) or reuses the one of an
 * unchanged build context. Answers the content-addressed tag (localhost/raas:src-<hash>), not
 * the version tag that a build in another checkout on the same host re-tags.
 */
export async function buildImage(progress: (line: string) => void, signal?: AbortSignal, target: 'raas' | 'raas-spark' = 'raas'): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'build-image.sh'), '--target', target, '--print-content-tag'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      for (const line of c.toString().split('\n')) if (line.startsWith('build-image:')) progress(line);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const image = out.trim().split('\n').pop();
      if (code === 0 && image) resolvePromise(image);
      else reject(new Error(`scripts/build-image.sh failed (${code}):\n${err.split('\n').slice(-15).join('\n')}`));
    });
  });
}

function splitImage(image: string): { repository: string; tag: string } {
  const at = image.lastIndexOf(':');
  if (at <= image.lastIndexOf('/')) return { repository: image, tag: 'latest' };
  return { repository: image.slice(0, at), tag: image.slice(at + 1) };
}


export async function startRealNodeSandbox(o: RealNodeSandboxOptions, say: (line: string) => void): Promise<RealNodeSandbox> {
  const progress = o.progress ?? say;
  const namespace = o.namespace ?? 'default';
  // Everything checked before anything starts.
  const kubeBinaries = findKubeBinaries();
  findNodeBinaries();
  const helm = findHelmBinary();
  const image = o.image ?? (await buildImage(progress, o.signal));
  const checkAborted = () => {
    if (o.signal?.aborted) throw new Error('stopped while starting');
  };

  let network: PodNetwork | undefined;
  let cp: ControlPlane | undefined;
  let s3: S3TestServer | undefined;
  let node: RealNode | undefined;
  let helmHome: string | undefined;
  const stopAll = async () => {
    await node?.stop().catch(() => undefined);
    await s3?.stop().catch(() => undefined);
    await cp?.stop().catch(() => undefined);
    await network?.remove().catch(() => undefined);
    if (helmHome) await rm(helmHome, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    checkAborted();
    network = await createPodNetwork();
    cp = await startControlPlane({ binaries: kubeBinaries, apiServerFlags: network.apiServerFlags, extraControllers: network.extraControllers });
    const { startS3Server } = await import('./s3-server.ts');
    s3 = await startS3Server({ buckets: ['raas-data', 'raas-results'] });
    const root = join(REPO_ROOT, 'examples', 'quickstart', 'data');
    for (const file of await listFiles(root)) {
      await s3.client.send(new PutObjectCommand({ Bucket: 'raas-data', Key: relative(root, file).split(sep).join('/'), Body: await readFile(file) }));
    }
    checkAborted();
    progress(`raas sandbox: starting the node (containerd, kubelet, kube-scheduler) with ${image}`);
    node = await startRealNode({ controlPlane: cp, network, images: [...new Set([image, ...(o.extraImages ?? [])])] });
    checkAborted();
    const s3Port = Number(new URL(s3.endpoint).port);
    const s3EndpointForPods = `http://${await node.expose(s3Port)}`;

    const kubeconfigPath = resolve(o.kubeconfig);
    await mkdir(dirname(kubeconfigPath), { recursive: true });
    if (o.installChart === false) {
      // The name the chart's defaults run (raas:<appVersion>, IfNotPresent), as `kind load` gives it.
      const appVersion = /^appVersion:\s*"?([^"\s]+)"?/m.exec(await readFile(join(REPO_ROOT, 'charts', 'raas', 'Chart.yaml'), 'utf8'))?.[1];
      if (!appVersion) throw new Error('charts/raas/Chart.yaml has no appVersion');
      await node.ctr('images', 'tag', '--force', image, `docker.io/library/raas:${appVersion}`);
      await writeFile(`${kubeconfigPath}.tmp`, cp.kubeconfigYaml({ namespace }), { mode: 0o600 });
      await rename(`${kubeconfigPath}.tmp`, kubeconfigPath);
      return { controlPlane: cp, node, s3, s3EndpointForPods, image, release: { name: RELEASE, namespace: RELEASE_NAMESPACE }, helm, kubeconfigPath, stop: stopAll };
    }
    helmHome = await mkdtemp(join(tmpdir(), 'raas-helm-'));
    const adminKubeconfig = join(helmHome, 'kubeconfig');
    await writeFile(adminKubeconfig, cp.kubeconfigYaml({ namespace }), { mode: 0o600 });
    const helmEnv = { PATH: process.env.PATH ?? '', HOME: helmHome, HELM_CONFIG_HOME: join(helmHome, 'c'), HELM_CACHE_HOME: join(helmHome, 'k'), HELM_DATA_HOME: join(helmHome, 'd'), KUBECONFIG: adminKubeconfig };
    // The runners' S3 settings, the way a cluster gives them: a Secret named in spec.runner.envFrom.
    // The web Deployment reads result files from S3 with the same settings (web.envFrom).
    for (const ns of new Set([namespace, RELEASE_NAMESPACE])) {
      await cp.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      await cp.request('POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sandbox-s3' }, stringData: { ...s3.env, AWS_ENDPOINT_URL: s3EndpointForPods } });
    }
    const { repository, tag } = splitImage(image);
    progress(`raas sandbox: helm install ${RELEASE} charts/raas (defaults, image ${image}, pullPolicy Never)`);
    try {
      await run(helm, [
        'install', RELEASE, join(REPO_ROOT, 'charts', 'raas'), '-n', RELEASE_NAMESPACE, '--create-namespace', '--wait', '--timeout', '5m',
        '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`, '--set', 'image.pullPolicy=Never',
        '--set', 'web.envFrom[0].secretRef.name=sandbox-s3',
        ...(o.helmSet ?? []).flatMap((s) => ['--set', s]),
      ], { env: helmEnv, cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024, ...(o.signal ? { signal: o.signal } : {}) });
    } catch (err) {
      checkAborted();
      const e = err as { stderr?: string; message: string };
      throw new Error(`helm install: ${(e.stderr ?? e.message).trim()}\nkubelet: ${await node.logTail('kubelet', 15)}`, { cause: err });
    }
    checkAborted();
    await writeFile(`${kubeconfigPath}.tmp`, cp.kubeconfigYaml({ namespace }), { mode: 0o600 });
    say(`raas sandbox: Kubernetes API at ${cp.url}; node ${node.nodeName} runs pods with containerd and runc (pod range ${network.subnet}); kubeconfig written to ${kubeconfigPath}`);
    say(`  export KUBECONFIG=${kubeconfigPath}`);
    say(`  kubectl -n ${RELEASE_NAMESPACE} get pods -o wide     # the chart: two operator replicas and the web page, image ${image}`);
    say(`  kubectl apply -f examples/sandbox/reconjob.yaml && kubectl get reconruns -w`);
    if (o.s3EnvFile) {
      const envPath = resolve(o.s3EnvFile);
      await mkdir(dirname(envPath), { recursive: true });
      await writeFile(envPath, shellExports(s3.env), { mode: 0o600 });
      say(`  for kubectl recon results --download: . ${envPath}`);
    } else say(`  for kubectl recon results --download: export ${Object.entries(s3.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    say(`  S3 test server at ${s3.endpoint} (pods reach it at ${s3EndpointForPods}): s3://raas-data holds the quick-start data, results go to s3://raas-results; runners get its settings from Secret sandbox-s3`);
    // The pods listen on all interfaces of their own network namespace: kubectl port-forward
    // reaches them, and so does the host running the sandbox, at their address on the pod bridge.
    say(`  the results page: kubectl -n ${RELEASE_NAMESPACE} port-forward service/raas-web 8080:8080, then http://127.0.0.1:8080/ (sign in with a token: kubectl create token <serviceaccount>)`);
    say('  stop with Ctrl-C');
    // Written last: a script may wait for the file to know the sandbox is ready.
    await rename(`${kubeconfigPath}.tmp`, kubeconfigPath);
    const sandbox: RealNodeSandbox = {
      controlPlane: cp,
      node,
      s3,
      s3EndpointForPods,
      image,
      release: { name: RELEASE, namespace: RELEASE_NAMESPACE },
      helm,
      kubeconfigPath,
      stop: stopAll,
    };
    return sandbox;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
