// A real Kubernetes control plane for a test file (docs/design.md, Real parts): etcd + kube-apiserver +
// kube-controller-manager from operator/sandbox/control-plane.ts, the generated CRDs
// applied and Established, and the process kubelet playing the node. Helpers read and
// write objects over the real API as the admin; the operator's own credentials come from
// the chart's ServiceAccount and RBAC (operatorKubeconfig).
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connectControlPlane, startControlPlane, type ControlPlane, type ControlPlaneAddress, type ControlPlaneUser } from '../../operator/sandbox/control-plane.ts';
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
  installChartRbac(values?: string[], namespace?: string): Promise<{ kubeconfig: string; kubeconfigYaml: string; serviceAccount: string }>;
  kubeconfigFor(token: string, namespace?: string): Promise<string>;
  /** Outputs of this file's finished pods (on the shared cluster, fetched from the process that runs its kubelet). */
  fetchOutputs(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  users?: ControlPlaneUser[];
  kubeletEnv?: Record<string, string>;
  pausedKubelet?: boolean;
  /** Start no kubelet at all: pods stay Pending unless the caller writes their status (the operator bench). */
  noKubelet?: boolean;
  /** Also called with each finished pod's output (`namespace/name`, the text). */
  onExit?: (pod: string, text: string) => void;
}

/**
 * A control plane of this test file's own, with its own process kubelet. Use it only when
 * the file needs what the run's shared one cannot give (test/README.md): a paused or
 * killed kubelet, an API-server restart, cluster-wide objects that bind every namespace.
 * Otherwise use sharedTestCluster() (or sharedClusterForFile / operatorEnvForFile), with
 * sharedUsers() for token users.
 */
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
      o.onExit?.(pod, `--- ${pod} exit ${code}\n${output}`);
      outputs.push(`--- ${pod} exit ${code}\n${output}`);
      if (outputs.length > 50) outputs.shift();
    },
    ...(process.env.RAAS_TEST_LOG ? { log: (msg: string, f?: Json) => console.error('kubelet:', msg, f ?? '') } : {}),
  });
  const cluster = clusterOver(cp, kubeconfig, dir, outputs, kubelet, async () => {
    await kubelet.stop();
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  });
  try {
    await installCrds(cluster);
    if (!o.noKubelet) await kubelet.start();
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  return cluster;
}

/** Applies the generated CRDs and waits until the API server serves them. */
export async function installCrds(cluster: Pick<TestCluster, 'applyYaml' | 'get'>): Promise<void> {
  for (const file of (await readdir(join(repoRoot, 'crds'))).filter((f) => f.endsWith('.yaml')).sort()) {
    await cluster.applyYaml(await readFile(join(repoRoot, 'crds', file), 'utf8'));
  }
  for (const crd of ['reconjobs.raas.dev', 'reconruns.raas.dev']) {
    await waitFor(`CRD ${crd} Established`, async () => {
      const c = await cluster.get('apiextensions.k8s.io/v1/customresourcedefinitions', undefined, crd);
      return ((c?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((x) => x.type === 'Established' && x.status === 'True');
    }, 30_000);
  }
}

/**
 * The test run's shared control plane (started once by test/support/global-setup.ts, on
 * the first file that asks), as this file's client. Everything the file makes must live in
 * namespaces it creates with `cluster.namespace(uniqueNamespace('x'))`: stop() deletes
 * them and leaves the control plane running for the other files. The kubelet is shared
 * too, so it cannot be paused from here (start your own cluster for that).
 */
export async function sharedTestCluster(): Promise<TestCluster> {
  const { url, answer: address } = await askCoordinator<ControlPlaneAddress>('/cluster');
  const cp = connectControlPlane(address);
  const dir = await mkdtemp(join(tmpdir(), 'raas-cluster-'));
  const kubeconfig = join(dir, 'admin.kubeconfig');
  await writeFile(kubeconfig, cp.kubeconfigYaml(), { mode: 0o600 });
  const owned: string[] = [];
  const outputs: string[] = [];
  const cluster = clusterOver(cp, kubeconfig, dir, outputs, undefined, async () => {
    // Deleting a namespace deletes everything in it (the namespace controller); not waited for.
    await Promise.all(owned.map((ns) => cluster.delete('v1/namespaces', undefined, ns).catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  });
  const create = cluster.namespace;
  cluster.namespace = async (name, labels) => {
    if (!owned.includes(name)) owned.push(name);
    await create(name, labels);
  };
  cluster.fetchOutputs = async () => {
    const r = await fetch(`${url}/outputs?namespaces=${encodeURIComponent(owned.join(','))}`);
    return (await r.json()) as string[];
  };
  return cluster;
}

/**
 * The token users of the run's shared control plane. The API server reads its static token
 * file only at start, so global setup starts it with USER_SETS sets of these people, and
 * each file that asks (sharedUsers()) gets a set of its own: `alice-3` in group
 * `finance-team-3`, and so on. Names differ per file because RBAC binds users by name: two
 * files both binding "alice" in their namespaces would each see the other's.
 */
export const USER_ROLES = ['alice', 'bob', 'carol', 'mallory'] as const;
export type UserRole = (typeof USER_ROLES)[number];
/** More than the files that use them (the web API, the page, tenant isolation), so a new one fits. */
export const USER_SETS = 8;
/** alice and mallory belong to the set's finance team; bob and carol to no group. */
const GROUP_MEMBERS: readonly UserRole[] = ['alice', 'mallory'];

export interface UserSet {
  /** The user names of this file's people (what RBAC subjects and `whoami` say). */
  names: Record<UserRole, string>;
  tokens: Record<UserRole, string>;
  /** The group alice and mallory are in. */
  financeTeam: string;
}

export function userSet(set: number, userTokens: Record<string, string>): UserSet {
  const names = Object.fromEntries(USER_ROLES.map((r) => [r, `${r}-${set}`])) as Record<UserRole, string>;
  const tokens = Object.fromEntries(USER_ROLES.map((r) => [r, userTokens[names[r]] ?? ''])) as Record<UserRole, string>;
  return { names, tokens, financeTeam: `finance-team-${set}` };
}

/** Every user of every set, for the shared control plane's token file. */
export function sharedUserPool(): ControlPlaneUser[] {
  const users: ControlPlaneUser[] = [];
  for (let set = 1; set <= USER_SETS; set++) {
    for (const r of USER_ROLES) users.push({ name: `${r}-${set}`, ...(GROUP_MEMBERS.includes(r) ? { groups: [`finance-team-${set}`] } : {}) });
  }
  return users;
}

/** This file's own set of token users on the shared control plane (see USER_ROLES). */
export async function sharedUsers(): Promise<UserSet> {
  return (await askCoordinator<UserSet>('/users')).answer;
}

/** A POST to the run's shared-control-plane coordinator (test/support/global-setup.ts); its reason when it refuses. */
async function askCoordinator<T>(path: string): Promise<{ url: string; answer: T }> {
  const url = inject('raasSharedCluster');
  if (!url) throw new Error('no shared control plane: vitest.config.ts must list test/support/global-setup.ts in globalSetup');
  const res = await fetch(`${url}${path}`, { method: 'POST' });
  const text = await res.text();
  if (!res.ok) throw new Error(text);
  return { url, answer: JSON.parse(text) as T };
}

/** A namespace name no other test file uses: `base` and a random suffix. */
export function uniqueNamespace(base: string): string {
  return `${base}-${randomBytes(3).toString('hex')}`;
}

function clusterOver(cp: ControlPlane, kubeconfig: string, dir: string, outputs: string[], kubelet: ProcessKubelet | undefined, stop: () => Promise<void>): TestCluster {
  const must = async <T>(what: string, p: Promise<{ status: number; body: T }>, ok: number[]): Promise<T> => {
    const r = await p;
    if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    return r.body;
  };
  const cluster: TestCluster = {
    cp,
    get kubelet(): ProcessKubelet {
      if (!kubelet) throw new Error('this file uses the run\'s shared control plane, whose kubelet it cannot pause or kill; start a cluster of its own (startTestCluster) for that');
      return kubelet;
    },
    fetchOutputs: async () => outputs,
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
    async installChartRbac(values = [], namespace = 'raas-system') {
      const helm = findHelm();
      if (!helm) throw new Error('helm is not installed (scripts/install-helm.sh); the operator runs under the chart RBAC it renders');
      const home = await mkdtemp(join(tmpdir(), 'raas-helm-'));
      try {
        const res = runHelm(helm, ['template', 'raas', join(repoRoot, 'charts', 'raas'), '-n', namespace, '--show-only', 'templates/rbac.yaml', '--show-only', 'templates/serviceaccount.yaml', ...values.flatMap((v) => ['--set', v])], { home });
        if (res.status !== 0) throw new Error(`helm template: ${res.stderr}`);
        await cluster.namespace(namespace);
        await cluster.applyYaml(res.stdout);
      } finally {
        await rm(home, { recursive: true, force: true });
      }
      const token = await cp.serviceAccountToken(namespace, 'raas', { expirationSeconds: 86_400 });
      const kubeconfigYaml = cp.kubeconfigYaml({ token, user: `system:serviceaccount:${namespace}:raas`, namespace });
      const path = join(dir, 'operator.kubeconfig');
      await writeFile(path, kubeconfigYaml, { mode: 0o600 });
      return { kubeconfig: path, kubeconfigYaml, serviceAccount: `${namespace}/raas` };
    },
    async kubeconfigFor(token, namespace) {
      const path = join(dir, `user-${Math.random().toString(36).slice(2)}.kubeconfig`);
      await writeFile(path, cp.kubeconfigYaml({ token, user: 'user', ...(namespace ? { namespace } : {}) }), { mode: 0o600 });
      return path;
    },
    stop,
  };
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
