// The Helm chart, linted and rendered by the real `helm` binary (DESIGN §6).
// helm comes from $HELM_BIN, .tools/bin/helm (scripts/install-helm.sh) or PATH. Without it
// a developer's run skips, saying so; under CI=true it fails, so CI never goes green by
// silently not checking the chart.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { findHelm, repoRoot, runHelm } from '../support/helm.ts';
import type { HelmResult } from '../support/helm.ts';
import type { SkipContext } from '../support/require-service.ts';

const CHART = join(repoRoot, 'charts', 'raas');
const RELEASE = 'raas';
const NS = 'raas-system';
// Pinned so the result does not depend on the default compiled into whichever helm is found.
const KUBE_VERSION = 'v1.30.0';
const helmBin = findHelm();
const NO_HELM =
  'helm is not available: set HELM_BIN, run scripts/install-helm.sh (installs .tools/bin/helm), or put helm on PATH';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML */
type Manifest = Record<string, any>;

let home = '';
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'raas-helm-'));
});
afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

function needHelm(ctx: SkipContext): string {
  if (helmBin) return helmBin;
  if (process.env.CI === 'true') throw new Error(`${NO_HELM} (CI=true: failing instead of skipping)`);
  return ctx.skip(NO_HELM);
}

function helm(ctx: SkipContext, args: string[]): HelmResult {
  return runHelm(needHelm(ctx), args, { home });
}

let valuesFileSeq = 0;
async function valuesFile(values: Record<string, unknown>): Promise<string> {
  const path = join(home, `values-${++valuesFileSeq}.yaml`);
  await writeFile(path, stringify(values));
  return path;
}

/** `helm template` -> parsed manifests; fails the test with helm's stderr when it fails. */
async function render(ctx: SkipContext, values: Record<string, unknown> = {}, extra: string[] = []): Promise<Manifest[]> {
  const args = ['template', RELEASE, CHART, '--namespace', NS, '--kube-version', KUBE_VERSION, '-f', await valuesFile(values), ...extra];
  const res = helm(ctx, args);
  expect(res.stderr + (res.status === 0 ? '' : `\nhelm exited ${res.status}`)).not.toMatch(/Error|helm exited/);
  const docs = parseAllDocuments(res.stdout);
  for (const d of docs) expect(d.errors).toEqual([]);
  return docs.map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

function ofKind(objs: Manifest[], kind: string): Manifest[] {
  return objs.filter((o) => o.kind === kind);
}

function one(objs: Manifest[], kind: string): Manifest {
  const found = ofKind(objs, kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0]!;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Expands rules to sorted "group resource verb [names]" permissions, so grouping does not matter. */
function permissions(rules: Rule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    expect(r.nonResourceURLs, 'no nonResourceURLs').toBeUndefined();
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? []) {
        for (const v of r.verbs ?? []) {
          out.add(`${g || 'core'} ${res} ${v}${r.resourceNames ? ` [${[...r.resourceNames].sort().join(',')}]` : ''}`);
        }
      }
    }
  }
  return [...out].sort();
}

function perms(group: string, resources: string[], verbs: string[]): string[] {
  return resources.flatMap((res) => verbs.map((v) => `${group} ${res} ${v}`));
}

/** The namespaced least-privilege set, in a ClusterRole (all namespaces) or a Role per namespace. */
const NAMESPACED = [
  ...perms('raas.dev', ['reconjobs'], ['get', 'list', 'watch']),
  ...perms('raas.dev', ['reconruns'], ['get', 'list', 'watch', 'create', 'delete']),
  ...perms('raas.dev', ['reconjobs/status', 'reconruns/status'], ['get', 'update', 'patch']),
  ...perms('batch', ['cronjobs'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
  ...perms('batch', ['jobs'], ['get', 'list', 'watch', 'create', 'delete']),
  ...perms('core', ['pods'], ['get', 'list', 'watch']),
  ...perms('core', ['events'], ['create', 'patch']),
  ...perms('core', ['secrets'], ['get']),
].sort();
const REVIEWS = [
  ...perms('authentication.k8s.io', ['tokenreviews'], ['create']),
  ...perms('authorization.k8s.io', ['subjectaccessreviews'], ['create']),
].sort();
const LEASE = ['coordination.k8s.io leases create', 'coordination.k8s.io leases get [raas-leader]', 'coordination.k8s.io leases update [raas-leader]'];

function roles(objs: Manifest[]): Manifest[] {
  return objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
}

function expectNoWildcards(objs: Manifest[]): void {
  const rbac = roles(objs);
  expect(rbac.length).toBeGreaterThan(0);
  for (const role of rbac) {
    for (const rule of (role.rules ?? []) as Rule[]) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
        for (const value of rule[field] ?? []) expect(value, `${role.kind} ${role.metadata.name} ${field}`).not.toContain('*');
      }
    }
    expect(role.aggregationRule, 'no aggregated roles').toBeUndefined();
  }
}

function expectBindingsToOperator(objs: Manifest[]): void {
  const bindings = objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
  expect(bindings.length).toBeGreaterThan(0);
  for (const b of bindings) {
    expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'raas', namespace: NS }]);
    const target = objs.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && o.metadata.namespace === b.metadata.namespace);
    expect(target, `${b.kind} ${b.metadata.name} refers to a rendered ${b.roleRef.kind}`).toBeDefined();
  }
}

function envOf(container: Manifest): Map<string, Manifest> {
  return new Map((container.env as Manifest[]).map((e) => [e.name as string, e]));
}

describe.sequential('helm chart charts/raas', () => {
  it('passes helm lint, also with --strict and with non-default values', async (ctx) => {
    for (const args of [
      ['lint', CHART],
      ['lint', '--strict', CHART],
      ['lint', '--strict', CHART, '-f', await valuesFile({ watchNamespaces: ['a', 'b'], metrics: { serviceMonitor: { enabled: true } } })],
      ['lint', '--strict', CHART, '--set', 'replicaCount=1,leaderElection.enabled=false,notifications.readSecrets=false'],
    ]) {
      const res = helm(ctx, args);
      expect(res.status, `helm ${args.join(' ')}\n${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders a hardened operator Deployment with two replicas and the env contract', async (ctx) => {
    const objs = await render(ctx);
    expect(objs.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort(),
    );
    for (const o of objs) {
      if (!o.kind.startsWith('Cluster')) expect(o.metadata.namespace, `${o.kind} namespace`).toBe(NS);
    }

    const deploy = one(objs, 'Deployment');
    expect(deploy.spec.replicas).toBe(2);
    const pod = deploy.spec.template.spec;
    expect(pod.serviceAccountName).toBe('raas');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.image).toBe('raas:0.1.0');
    expect(c.command, 'the image ENTRYPOINT (node /app/bin/raas.js) is used').toBeUndefined();
    expect(c.args).toEqual(['operator']);
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits).toMatchObject({ memory: expect.any(String) });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    // read-only root filesystem: /tmp is the only writable path (tsx's cache lives there)
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);

    const env = envOf(c);
    expect(env.get('RAAS_RUNNER_IMAGE')?.value).toBe('raas:0.1.0');
    expect(env.get('RAAS_WATCH_NAMESPACES')?.value).toBe('');
    expect(env.get('RAAS_LOG_LEVEL')?.value).toBe('info');
    expect(env.get('RAAS_LEADER_ELECTION')?.value).toBe('true');
    expect(env.get('RAAS_LEADER_ELECTION_LEASE')?.value).toBe('raas-leader');
    expect(env.get('POD_NAMESPACE')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(env.get('POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });

    const svc = one(objs, 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(deploy.spec.selector.matchLabels);
    expect(deploy.spec.template.metadata.labels).toMatchObject(deploy.spec.selector.matchLabels);

    const pdb = one(objs, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deploy.spec.selector.matchLabels } });
  });

  it('matches the Dockerfile: non-root user 10001 and the raas.js entrypoint', async () => {
    const dockerfile = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\}$/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/raas\.js"\]$/m);
  });

  it('grants exactly the least-privilege RBAC cluster-wide by default', async (ctx) => {
    const objs = await render(ctx);
    expectNoWildcards(objs);
    expectBindingsToOperator(objs);

    const cr = one(objs, 'ClusterRole');
    expect(permissions(cr.rules)).toEqual([...NAMESPACED, ...REVIEWS].sort());

    // Leases only through a Role in the release namespace, scoped to the operator's Lease.
    const role = one(objs, 'Role');
    expect(role.metadata).toMatchObject({ name: 'raas-leader-election', namespace: NS });
    expect(permissions(role.rules)).toEqual(LEASE);
    for (const r of roles(objs)) {
      if (r !== role) expect(JSON.stringify(r.rules)).not.toContain('leases');
    }
  });

  it('uses one Role per watched namespace when watchNamespaces is set', async (ctx) => {
    const objs = await render(ctx, { watchNamespaces: ['a', 'b'] });
    expectNoWildcards(objs);
    expectBindingsToOperator(objs);

    // Cluster scope keeps only the cluster-scoped review APIs.
    expect(permissions(one(objs, 'ClusterRole').rules)).toEqual(REVIEWS);
    const nsRoles = ofKind(objs, 'Role').filter((r) => r.metadata.name === 'raas');
    expect(nsRoles.map((r) => r.metadata.namespace).sort()).toEqual(['a', 'b']);
    for (const r of nsRoles) expect(permissions(r.rules)).toEqual(NAMESPACED);
    const bindings = ofKind(objs, 'RoleBinding').filter((b) => b.metadata.name === 'raas');
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(['a', 'b']);

    const leaseRoles = roles(objs).filter((r) => JSON.stringify(r.rules).includes('leases'));
    expect(leaseRoles).toHaveLength(1);
    expect(leaseRoles[0]).toMatchObject({ kind: 'Role', metadata: { namespace: NS } });
    expect(permissions(leaseRoles[0]!.rules)).toEqual(LEASE);

    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(envOf(c).get('RAAS_WATCH_NAMESPACES')?.value).toBe('a,b');
  });

  it('drops Secret access when notifications.readSecrets=false and the Lease Role without leader election', async (ctx) => {
    const objs = await render(ctx, { replicaCount: 1, leaderElection: { enabled: false }, notifications: { readSecrets: false } });
    expect(permissions(one(objs, 'ClusterRole').rules)).toEqual(
      [...NAMESPACED.filter((p) => !p.includes('secrets')), ...REVIEWS].sort(),
    );
    expect(ofKind(objs, 'Role')).toEqual([]);
    expect(ofKind(objs, 'PodDisruptionBudget'), 'no PDB for a single replica').toEqual([]);
    const env = envOf(one(objs, 'Deployment').spec.template.spec.containers[0]);
    expect(env.get('RAAS_LEADER_ELECTION')?.value).toBe('false');
    expect(env.has('RAAS_LEADER_ELECTION_LEASE')).toBe(false);
  });

  it('renders a ServiceMonitor only when metrics.serviceMonitor.enabled', async (ctx) => {
    expect(ofKind(await render(ctx), 'ServiceMonitor')).toEqual([]);

    const objs = await render(ctx, {}, ['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.serviceMonitor.labels.release=prom']);
    const sm = one(objs, 'ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels.release).toBe('prom');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: [NS] });
    expect(one(objs, 'Service').metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
  });

  it('uses runner.image for runner Jobs when set, else the operator image', async (ctx) => {
    const objs = await render(ctx, { image: { repository: 'registry.example/raas', tag: '1.2.3' }, runner: { image: 'registry.example/raas-runner:9' } });
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.image).toBe('registry.example/raas:1.2.3');
    expect(envOf(c).get('RAAS_RUNNER_IMAGE')?.value).toBe('registry.example/raas-runner:9');
  });

  it('rejects a typo in a value through values.schema.json, naming the key', (ctx) => {
    for (const [set, key] of [
      ['replicaCont=2', 'replicaCont'],
      ['metrics.serviceMonitor.enable=true', 'enable'],
    ] as const) {
      const res = helm(ctx, ['template', RELEASE, CHART, '--namespace', NS, '--set', set]);
      expect(res.status, res.stdout).not.toBe(0);
      expect(res.stderr).toMatch(/schema/i);
      expect(res.stderr).toMatch(/additional propert/i);
      expect(res.stderr).toContain(`'${key}'`);
    }
  });

  it('rejects wrongly typed values and more than one replica without leader election', (ctx) => {
    const bad = helm(ctx, ['template', RELEASE, CHART, '--set', 'watchNamespaces[0]=Not_A_Namespace']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/watchNamespaces/);

    const twice = helm(ctx, ['template', RELEASE, CHART, '--set', 'leaderElection.enabled=false']);
    expect(twice.status).not.toBe(0);
    expect(twice.stderr).toMatch(/leaderElection\.enabled=false with replicaCount=2/);
  });
});
