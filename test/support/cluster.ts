// A real Kubernetes control plane for a test file (docs/design.md, Real parts): etcd + kube-apiserver +
// kube-controller-manager from operator/sandbox/control-plane.ts, the generated CRDs
// applied and Established, and the process kubelet playing the node. Helpers read and
// write objects over the real API as the admin; the operator's own credentials come from
// the chart's ServiceAccount and RBAC (operatorKubeconfig).
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane, type ControlPlaneUser } from '../../operator/sandbox/control-plane.ts';
import { ProcessKubelet } from '../../operator/sandbox/process-kubelet.ts';
import { pathOfObject, resourcePath } from '../../operator/sandbox/resource-path.ts';
import { findHelm, repoRoot, runHelm } from './helm.ts';

type Json = Record<string, unknown>;

export { resourcePath };

export interface TestCluster {
  cp: ControlPlane;
  kubelet: ProcessKubelet;
  /** Admin kubeconfig file (kubectl --kubeconfig). */
  kubeconfig: string;
  dir: string;
  /** Outputs of finished pods, newest last (printed by tests that fail on a run). */
  outputs: string[];
  get(resource: string, namespace: string | undefined, name: string): Promise<Json | undefined>;
  list(resource: string, namespace?: string, labelSelector?: string): Promise<Json[]>;
  create(resource: string, namespace: string | undefined, body: Json): Promise<Json>;
  /** Server-side apply as `fieldManager` (default kubectl's). */
  apply(body: Json, fieldManager?: string): Promise<Json>;
  delete(resource: string, namespace: string | undefined, name: string, propagationPolicy?: string): Promise<number>;
  /** JSON merge patch (what `kubectl patch --type merge` sends). */
  patch(resource: string, namespace: string | undefined, name: string, body: Json): Promise<Json>;
  /** Applies every document of a YAML text (server-side apply). */
  applyYaml(text: string, fieldManager?: string): Promise<void>;
  namespace(name: string, labels?: Record<string, string>): Promise<void>;
  secret(namespace: string, name: string, data: Record<string, string>): Promise<void>;
  /**
   * The chart's ServiceAccount, ClusterRole(s) and bindings (rendered by the real helm with
   * `values`), and a kubeconfig for that ServiceAccount from TokenRequest.
   */
  installChartRbac(values?: string[]): Promise<{ kubeconfig: string; kubeconfigYaml: string; serviceAccount: string }>;
  kubeconfigFor(token: string, namespace?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  users?: ControlPlaneUser[];
  kubeletEnv?: Record<string, string>;
  pausedKubelet?: boolean;
  /** Start no kubelet at all: pods stay Pending unless the caller writes their status (the operator bench). */
  noKubelet?: boolean;
}

export async function startTestCluster(o: TestClusterOptions = {}): Promise<TestCluster> {
  const cp = await startControlPlane({ ...(o.users ? { users: o.users } : {}) });
  const dir = await mkdtemp(join(tmpdir(), 'raas-cluster-'));
  const kubeconfig = join(dir, 'admin.kubeconfig');
  await writeFile(kubeconfig, cp.kubeconfigYaml(), { mode: 0o600 });
  const outputs: string[] = [];
  const kubelet = new ProcessKubelet({
    api: { host: cp.host, port: cp.port, caPem: cp.caPem, token: cp.adminToken },
    ...(o.kubeletEnv ? { extraEnv: o.kubeletEnv } : {}),
    ...(o.pausedKubelet ? { paused: true } : {}),
    onExit: (pod, code, output) => {
      outputs.push(`--- ${pod} exit ${code}\n${output}`);
      if (outputs.length > 50) outputs.shift();
    },
    ...(process.env.RAAS_TEST_LOG ? { log: (msg: string, f?: Json) => console.error('kubelet:', msg, f ?? '') } : {}),
  });
  const must = async <T>(what: string, p: Promise<{ status: number; body: T }>, ok: number[]): Promise<T> => {
    const r = await p;
    if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    return r.body;
  };
  const cluster: TestCluster = {
    cp,
    kubelet,
    kubeconfig,
    dir,
    outputs,
    async get(resource, namespace, name) {
      const r = await cp.request<Json>('GET', resourcePath(resource, namespace, name));
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new Error(`GET ${resource} ${namespace}/${name}: ${r.status}`);
      return r.body;
    },
    async list(resource, namespace, labelSelector) {
      const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      const body = await must<{ items: Json[] }>(`list ${resource}`, cp.request('GET', `${resourcePath(resource, namespace)}${q}`), [200]);
      return body.items;
    },
    create: (resource, namespace, body) => must(`create ${resource}`, cp.request<Json>('POST', resourcePath(resource, namespace), body), [201]),
    apply: (body, fieldManager = 'kubectl') =>
      must(`apply ${String(body.kind)}`, cp.request<Json>('PATCH', `${pathOfObject(body)}?fieldManager=${fieldManager}&force=true`, body, { contentType: 'application/apply-patch+yaml' }), [200, 201]),
    patch: (resource, namespace, name, body) => must(`patch ${resource} ${name}`, cp.request<Json>('PATCH', resourcePath(resource, namespace, name), body, { contentType: 'application/merge-patch+json' }), [200]),
    async delete(resource, namespace, name, propagationPolicy = 'Background') {
      const r = await cp.request('DELETE', resourcePath(resource, namespace, name), { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy });
      return r.status;
    },
    async applyYaml(text, fieldManager) {
      for (const doc of parseAllDocuments(text)) {
        const o = doc.toJS() as Json | null;
        if (o && o.kind) await cluster.apply(o, fieldManager);
      }
    },
    async namespace(name, labels) {
      await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
      // Pods need the namespace's default ServiceAccount (made by its controller).
      await waitFor(`ServiceAccount ${name}/default`, () => cluster.get('v1/serviceaccounts', name, 'default'), 30_000);
    },
    async secret(namespace, name, data) {
      await cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: data });
    },
    async installChartRbac(values = []) {
      const helm = findHelm();
      if (!helm) throw new Error('helm is not installed (scripts/install-helm.sh); the operator runs under the chart RBAC it renders');
      const home = await mkdtemp(join(tmpdir(), 'raas-helm-'));
      try {
        const res = runHelm(helm, ['template', 'raas', join(repoRoot, 'charts', 'raas'), '-n', 'raas-system', '--show-only', 'templates/rbac.yaml', '--show-only', 'templates/serviceaccount.yaml', ...values.flatMap((v) => ['--set', v])], { home });
        if (res.status !== 0) throw new Error(`helm template: ${res.stderr}`);
        await cluster.namespace('raas-system');
        await cluster.applyYaml(res.stdout);
      } finally {
        await rm(home, { recursive: true, force: true });
      }
      const token = await cp.serviceAccountToken('raas-system', 'raas', { expirationSeconds: 86_400 });
      const kubeconfigYaml = cp.kubeconfigYaml({ token, user: 'system:serviceaccount:raas-system:raas', namespace: 'raas-system' });
      const path = join(dir, 'operator.kubeconfig');
      await writeFile(path, kubeconfigYaml, { mode: 0o600 });
      return { kubeconfig: path, kubeconfigYaml, serviceAccount: 'raas-system/raas' };
    },
    async kubeconfigFor(token, namespace) {
      const path = join(dir, `user-${Math.random().toString(36).slice(2)}.kubeconfig`);
      await writeFile(path, cp.kubeconfigYaml({ token, user: 'user', ...(namespace ? { namespace } : {}) }), { mode: 0o600 });
      return path;
    },
    async stop() {
      await kubelet.stop();
      await cp.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const file of (await readdir(join(repoRoot, 'crds'))).filter((f) => f.endsWith('.yaml')).sort()) {
      await cluster.applyYaml(await readFile(join(repoRoot, 'crds', file), 'utf8'));
    }
    for (const crd of ['reconjobs.raas.dev', 'reconruns.raas.dev']) {
      await waitFor(`CRD ${crd} Established`, async () => {
        const c = await cluster.get('apiextensions.k8s.io/v1/customresourcedefinitions', undefined, crd);
        return ((c?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((x) => x.type === 'Established' && x.status === 'True');
      }, 30_000);
    }
    if (!o.noKubelet) await kubelet.start();
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  return cluster;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
