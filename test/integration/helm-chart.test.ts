// The Helm chart, linted and rendered by the real `helm` binary (docs/design.md, Real parts).
// helm comes from $HELM_BIN, .tools/bin/helm (scripts/install-helm.sh) or PATH. Without it
// a developer's run skips, saying so; under CI=true it fails, so CI never goes green by
// silently not checking the chart.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { OperatorMetrics } from '../../operator/http/metrics.ts';
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

/**
 * `helm template` -> parsed manifests of the operator (the results page's objects, component
 * web, are checked on their own by renderWeb); fails the test with helm's stderr when it fails.
 */
async function render(ctx: SkipContext, values: Record<string, unknown> = {}, extra: string[] = []): Promise<Manifest[]> {
  return (await renderAll(ctx, values, extra)).filter((o) => (o.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/component'] !== 'web');
}

async function renderWeb(ctx: SkipContext, values: Record<string, unknown> = {}): Promise<Manifest[]> {
  return (await renderAll(ctx, values)).filter((o) => (o.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/component'] === 'web');
}

async function renderAll(ctx: SkipContext, values: Record<string, unknown> = {}, extra: string[] = []): Promise<Manifest[]> {
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

// ---- Monitoring: the operator's metrics (operator/http/metrics.ts) as the alerts and the
// dashboard may use them. Histograms also expose <name>_bucket, _count and _sum.
const RUN_LABELS = ['namespace', 'job'];
const METRICS: Record<string, { type: 'counter' | 'gauge' | 'histogram'; labels: string[] }> = {
  raas_run_duration_seconds: { type: 'histogram', labels: [...RUN_LABELS, 'phase'] },
  raas_runs_total: { type: 'counter', labels: [...RUN_LABELS, 'result'] },
  raas_run_failures_total: { type: 'counter', labels: [...RUN_LABELS, 'stage'] },
  raas_last_run_rows: { type: 'gauge', labels: [...RUN_LABELS, 'side'] },
  raas_last_run_mismatched: { type: 'gauge', labels: RUN_LABELS },
  raas_last_run_left_only: { type: 'gauge', labels: RUN_LABELS },
  raas_last_run_right_only: { type: 'gauge', labels: RUN_LABELS },
  raas_last_run_balanced: { type: 'gauge', labels: RUN_LABELS },
  raas_last_run_completion_timestamp_seconds: { type: 'gauge', labels: RUN_LABELS },
  raas_job_next_schedule_timestamp_seconds: { type: 'gauge', labels: RUN_LABELS },
  raas_open_breaks: { type: 'gauge', labels: RUN_LABELS },
  raas_oldest_open_break_age_days: { type: 'gauge', labels: RUN_LABELS },
  raas_notifications_total: { type: 'counter', labels: [...RUN_LABELS, 'sink', 'result'] },
  raas_reconcile_duration_seconds: { type: 'histogram', labels: ['kind'] },
  raas_workqueue_depth: { type: 'gauge', labels: ['queue'] },
  raas_watch_restarts_total: { type: 'counter', labels: ['informer'] },
};
/** Label values the operator emits for the enumerated labels. */
const LABEL_VALUES: Record<string, string[]> = {
  result: ['balanced', 'unbalanced', 'failed', 'delivered'],
  side: ['left', 'right'],
  kind: ['reconjob', 'reconrun'],
  sink: ['kafka', 'webhook'],
};
/** Labels Prometheus adds to every scraped series (ServiceMonitor target labels). */
const TARGET_LABELS = ['job', 'namespace', 'instance', 'pod', 'service', 'endpoint', 'container', 'le'];

/** Series names a metric family exposes. */
function seriesOf(name: string): string[] {
  return METRICS[name]?.type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
}
const RAAS_SERIES = new Map(Object.keys(METRICS).flatMap((m) => seriesOf(m).map((s) => [s, m] as const)));
const isProcessMetric = (name: string) => /^(process|nodejs)_[a-z0-9_]+$/.test(name);

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);
const PROMQL_FUNCTIONS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'topk', 'bottomk', 'quantile', 'rate', 'irate', 'increase', 'delta', 'histogram_quantile',
  'absent', 'time', 'vector', 'scalar', 'max_over_time', 'min_over_time', 'avg_over_time', 'clamp_min', 'label_replace', 'round', 'abs',
]);

interface Selector {
  name: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

/**
 * A light PromQL check (no parser ships with the repo): brackets balance, no Helm or Go
 * template text is left over, every function is a known PromQL function, durations are
 * Prometheus durations (or Grafana's $variables), and every metric selector is returned
 * with its label matchers.
 */
function promql(expr: string): Selector[] {
  expect(expr, 'no template text left in the expression').not.toMatch(/\{\{|\}\}/);
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const ch of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs) expect(stack.pop(), `unbalanced ${ch} in ${expr}`).toBe(pairs[ch]);
  }
  expect(stack, `unclosed brackets in ${expr}`).toEqual([]);
  for (const [, d] of expr.matchAll(/\[([^\]]*)\]/g)) expect(d, `range in ${expr}`).toMatch(/^(([0-9]+(ms|s|m|h|d|w|y))+|\$\w+)$/);
  for (const [, d] of expr.matchAll(/\boffset\s+([0-9a-z]+)/g)) expect(d, `offset in ${expr}`).toMatch(/^([0-9]+(ms|s|m|h|d|w|y))+$/);

  const out: Selector[] = [];
  // Drop label lists of by/on/..., then read identifiers: a function call, a keyword, or a metric.
  const text = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of text.matchAll(/(?<![\w$."])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(|\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?/g)) {
    const [, ident, next] = m as unknown as [string, string, string | undefined];
    if (PROMQL_KEYWORDS.has(ident.toLowerCase())) continue;
    if (next === '(') {
      expect(PROMQL_FUNCTIONS.has(ident), `unknown PromQL function ${ident}() in ${expr}`).toBe(true);
      continue;
    }
    const matchers = [...(next ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, label, op, value]) => ({ label: label!, op: op!, value: value! }));
    out.push({ name: ident, matchers });
  }
  return out;
}

/** Checks a selector against the metric catalogue: known name, known labels, known label values. */
function expectKnownSeries(sel: Selector, where: string, extra: (name: string) => boolean = () => false): void {
  const family = RAAS_SERIES.get(sel.name);
  expect(family !== undefined || extra(sel.name), `${where}: ${sel.name} is not a raas metric`).toBe(true);
  if (!family) return;
  for (const { label, op, value } of sel.matchers) {
    expect([...METRICS[family]!.labels, ...TARGET_LABELS], `${where}: ${sel.name} has no label ${label}`).toContain(label);
    if (op === '=' && LABEL_VALUES[label] && METRICS[family]!.labels.includes(label)) expect(LABEL_VALUES[label], `${where}: ${label}="${value}"`).toContain(value);
  }
}

const MONITORING_VALUES = {
  metrics: {
    serviceMonitor: { enabled: true },
    prometheusRule: { enabled: true, labels: { release: 'prom' }, alertLabels: { team: 'finance' } },
    grafanaDashboard: { enabled: true },
  },
};
const ALERTS = ['RaasRunFailed', 'RaasRunUnbalanced', 'RaasRunOverdue', 'RaasBreakTooOld', 'RaasNotificationFailures', 'RaasOperatorDown', 'RaasWorkqueueBacklog', 'RaasWatchRestarts'];

function alertsOf(rule: Manifest): Map<string, Manifest> {
  return new Map((rule.spec.groups as Manifest[]).flatMap((g) => (g.rules as Manifest[]).map((r) => [r.alert as string, r] as const)));
}

/** Every path of a values object, with whether it is a leaf. */
function* valuePaths(v: unknown, path: string[] = []): Generator<string[]> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, child] of Object.entries(v)) {
      yield [...path, k];
      yield* valuePaths(child, [...path, k]);
    }
  }
}

describe.sequential('helm chart charts/raas', () => {
  it('passes helm lint, also with --strict and with non-default values', async (ctx) => {
    for (const args of [
      ['lint', CHART],
      ['lint', '--strict', CHART],
      ['lint', '--strict', CHART, '-f', await valuesFile({ watchNamespaces: ['a', 'b'], metrics: { serviceMonitor: { enabled: true } } })],
      ['lint', '--strict', CHART, '--set', 'replicaCount=1,leaderElection.enabled=false'],
      ['lint', '--strict', CHART, '-f', await valuesFile(MONITORING_VALUES)],
    ]) {
      const res = helm(ctx, args);
      expect(res.status, `helm ${args.join(' ')}\n${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders a hardened operator Deployment with two replicas and the env contract', async (ctx) => {
    const objs = await render(ctx);
    expect(objs.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicyBinding'].sort(),
    );
    for (const o of objs) {
      if (!o.kind.startsWith('Cluster') && !o.kind.startsWith('ValidatingAdmissionPolicy')) expect(o.metadata.namespace, `${o.kind} namespace`).toBe(NS);
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
    expect(env.has('RAAS_HTTP_HOST')).toBe(false);
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

  it('renders the results page and API (raas web) hardened like the operator, with read-only RBAC', async (ctx) => {
    const objs = await renderWeb(ctx);
    expect(objs.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service', 'ServiceAccount']);
    // The break-worker role is for people (bound per namespace), never bound by the chart.
    const breakWorker = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'raas-web-break-worker');
    expect(breakWorker?.rules).toEqual([
      { apiGroups: ['raas.dev'], resources: ['reconruns/breaks'], verbs: ['update'] },
      { apiGroups: ['raas.dev'], resources: ['reconjobs', 'reconruns'], verbs: ['get', 'list', 'watch'] },
    ]);
    objs.splice(objs.indexOf(breakWorker!), 1);
    const deploy = one(objs, 'Deployment');
    expect(deploy.metadata.name).toBe('raas-web');
    const pod = deploy.spec.template.spec;
    expect(pod.serviceAccountName).toBe('raas-web');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.args).toEqual(['web']);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    const env = envOf(c);
    // All interfaces of the pod's network namespace: kubectl port-forward dials its loopback.
    expect(env.has('RAAS_HTTP_HOST')).toBe(false);
    expect(env.get('RAAS_WEB_PORT')?.value).toBe('8080');
    const svc = one(objs, 'Service');
    expect(svc.spec.selector).toEqual(deploy.spec.selector.matchLabels);
    // The operator's Service and PodDisruptionBudget never select web pods.
    const operatorSvc = one(await render(ctx), 'Service');
    expect(operatorSvc.spec.selector['app.kubernetes.io/component']).toBe('operator');
    expect(deploy.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('web');
    // Read and review only: reruns are created with the caller's own token.
    expect(one(objs, 'ClusterRole').rules).toEqual([
      { apiGroups: ['raas.dev'], resources: ['reconjobs', 'reconruns'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    expect(one(objs, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'raas-web', namespace: NS }]);

    const withIngress = await renderWeb(ctx, { web: { ingress: { enabled: true, host: 'raas.example.com', tls: [{ hosts: ['raas.example.com'], secretName: 'raas-tls' }] }, envFrom: [{ secretRef: { name: 's3-creds' } }] } });
    const ing = one(withIngress, 'Ingress');
    expect(ing.spec.rules[0]).toMatchObject({ host: 'raas.example.com', http: { paths: [{ path: '/', backend: { service: { name: 'raas-web', port: { name: 'http' } } } }] } });
    expect(one(withIngress, 'Deployment').spec.template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: 's3-creds' } }]);
    expect(await renderWeb(ctx, { web: { enabled: false } })).toEqual([]);
    const bad = helm(ctx, ['template', RELEASE, CHART, '--set', 'web.replicas=2']);
    expect(bad.status).not.toBe(0);
  });

  it('passes Kafka settings to the operator, credentials only from a Secret', async (ctx) => {
    const objs = await render(ctx, { notifications: { kafka: { brokers: ['k1:9092', 'k2:9093'], tls: true, sasl: { mechanism: 'scram-sha-512', secretName: 'kafka-creds' } } } });
    const container = (one(objs, 'Deployment') as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }> } } } }).spec.template.spec.containers[0]!;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      RAAS_KAFKA_BROKERS: 'k1:9092,k2:9093',
      RAAS_KAFKA_SSL: 'true',
      RAAS_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      RAAS_KAFKA_USERNAME: { secretKeyRef: { name: 'kafka-creds', key: 'username' } },
      RAAS_KAFKA_PASSWORD: { secretKeyRef: { name: 'kafka-creds', key: 'password' } },
    });
    const noKafka = await render(ctx);
    expect(JSON.stringify(one(noKafka, 'Deployment'))).not.toContain('RAAS_KAFKA');
    const missing = helm(ctx, ['template', 'r', 'charts/raas', '--set', 'notifications.kafka.brokers={k1:9092}', '--set', 'notifications.kafka.sasl.mechanism=plain']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/notifications\.kafka\.sasl\.secretName is required with a SASL mechanism/);
    const bad = helm(ctx, ['template', 'r', 'charts/raas', '--set', 'notifications.kafka.brokers={not a broker}']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/notifications\/kafka\/brokers\/0.*does not match pattern/);
  });

  it('matches the Dockerfile: non-root user 10001 and the raas.js entrypoint', async () => {
    const dockerfile = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    // The default target is the last stage: the small image; raas-spark is built with --target.
    expect(dockerfile.trim().split('\n').filter((l) => l.startsWith('FROM ')).at(-1)).toBe('FROM runtime AS raas');
    // raas-spark: the same application (copied from runtime) on a base with Java and pyspark.
    expect(dockerfile).toMatch(/^FROM spark-os AS raas-spark$/m);
    expect(dockerfile).toMatch(/^COPY --from=runtime \/app \.\/$/m);
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

  it('never grants Secrets cluster-wide: get only, in the namespaces of notifications.secretNamespaces', async (ctx) => {
    const all = (objs: Manifest[]) => [...ofKind(objs, 'ClusterRole'), ...ofKind(objs, 'Role')].flatMap((r) => permissions(r.rules ?? []));
    for (const values of [{}, { watchNamespaces: ['a', 'b'] }]) {
      expect(all(await render(ctx, values)).filter((p) => p.includes('secrets'))).toEqual([]);
    }
    const objs = await render(ctx, { notifications: { secretNamespaces: ['finance', 'ops'], webhook: { allowDestinations: ['private'] } } });
    expect(permissions(one(objs, 'ClusterRole').rules).filter((p) => p.includes('secrets'))).toEqual([]);
    const secretRoles = ofKind(objs, 'Role').filter((r) => JSON.stringify(r.rules).includes('secrets'));
    expect(secretRoles.map((r) => r.metadata.namespace).sort()).toEqual(['finance', 'ops']);
    for (const r of secretRoles) expect(permissions(r.rules)).toEqual(['core secrets get']);
    const bindings = ofKind(objs, 'RoleBinding').filter((b) => b.metadata.name.endsWith('notification-secrets'));
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(['finance', 'ops']);
    expect(envOf(one(objs, 'Deployment').spec.template.spec.containers[0]).get('RAAS_WEBHOOK_ALLOW_DESTINATIONS')?.value).toBe('private');
    const bad = helm(ctx, ['template', 'raas', CHART, '--set', 'notifications.webhook.allowDestinations={everywhere}']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/allowDestinations/);
  });

  it('gives the Spark driver a ServiceAccount only in spark.driverNamespaces: pods and ConfigMaps there, nothing cluster-wide', async (ctx) => {
    const base = await render(ctx);
    expect(ofKind(base, 'ServiceAccount').map((a) => a.metadata.name)).not.toContain('raas-spark-driver');
    const objs = await render(ctx, { spark: { driverNamespaces: ['finance', 'ops'] } });
    const accounts = ofKind(objs, 'ServiceAccount').filter((a) => a.metadata.name === 'raas-spark-driver');
    expect(accounts.map((a) => a.metadata.namespace).sort()).toEqual(['finance', 'ops']);
    const driverRoles = ofKind(objs, 'Role').filter((r) => r.metadata.name === 'raas-spark-driver');
    expect(driverRoles.map((r) => r.metadata.namespace).sort()).toEqual(['finance', 'ops']);
    for (const r of driverRoles) {
      expect(permissions(r.rules)).toEqual([
        ...perms('core', ['pods', 'configmaps'], ['get', 'list', 'watch', 'create', 'delete', 'deletecollection']),
      ].sort());
    }
    for (const b of ofKind(objs, 'RoleBinding').filter((x) => x.metadata.name === 'raas-spark-driver')) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'raas-spark-driver', namespace: b.metadata.namespace }]);
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'raas-spark-driver' });
    }
    // The operator's own rules are unchanged by it.
    expect(permissions(one(objs, 'ClusterRole').rules)).toEqual(permissions(one(base, 'ClusterRole').rules));
  });

  it('drops the Lease Role without leader election', async (ctx) => {
    const objs = await render(ctx, { replicaCount: 1, leaderElection: { enabled: false } });
    expect(permissions(one(objs, 'ClusterRole').rules)).toEqual([...NAMESPACED, ...REVIEWS].sort());
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
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s', honorLabels: true }]);
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: [NS] });
    expect(one(objs, 'Service').metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
  });

  it('the metric catalogue these tests use is what the operator registers', async () => {
    const registered = new Map((await new OperatorMetrics().registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    for (const [name, { type }] of Object.entries(METRICS)) expect(registered.get(name), name).toBe(type);
    for (const name of registered.keys()) expect(name in METRICS || isProcessMetric(name), `${name} is catalogued`).toBe(true);
  });

  it('renders a PrometheusRule with the raas alerts only when metrics.prometheusRule.enabled', async (ctx) => {
    expect(ofKind(await render(ctx), 'PrometheusRule')).toEqual([]);

    const objs = await render(ctx, MONITORING_VALUES);
    const rule = one(objs, 'PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata).toMatchObject({ name: 'raas', namespace: NS, labels: { release: 'prom', 'app.kubernetes.io/instance': RELEASE } });
    expect((rule.spec.groups as Manifest[]).map((g) => g.name)).toEqual(['raas.runs', 'raas.operator']);
    const alerts = alertsOf(rule);
    expect([...alerts.keys()].sort()).toEqual([...ALERTS].sort());

    for (const [name, r] of alerts) {
      expect(Object.keys(r).sort(), name).toEqual(expect.arrayContaining(['alert', 'expr', 'labels', 'annotations']));
      expect(r.labels, name).toEqual({ severity: expect.stringMatching(/^(warning|critical)$/), team: 'finance' });
      expect(r.annotations.summary, name).toEqual(expect.any(String));
      expect(r.annotations.description, name).toEqual(expect.any(String));
      if (r.for !== undefined) expect(r.for, name).toMatch(/^([0-9]+(ms|s|m|h|d|w|y))+$/);
      const selectors = promql(r.expr as string);
      expect(selectors.length, `${name} selects something`).toBeGreaterThan(0);
      // `up` is Prometheus' own scrape health: only the operator-down alert may use it.
      for (const sel of selectors) expectKnownSeries(sel, name, (m) => m === 'up' && name === 'RaasOperatorDown');
      // Run-level alerts identify the ReconJob; they never carry run names or windows.
      if (name.startsWith('RaasRun') || name === 'RaasNotificationFailures') {
        expect(r.annotations.summary, name).toContain('{{ $labels.namespace }}/{{ $labels.job }}');
        expect(r.annotations.description, name).toContain('kubectl recon runs {{ $labels.job }} -n {{ $labels.namespace }}');
      }
    }

    const failed = alerts.get('RaasRunFailed')!;
    expect(failed.labels.severity).toBe('warning');
    expect(failed.expr).toMatch(/increase\(raas_run_failures_total\[15m\]\)/);
    expect(failed.expr).toMatch(/raas_run_failures_total unless raas_run_failures_total offset 15m/);
    expect(failed.expr).toMatch(/^sum by \(namespace, job, stage\)/);
    expect(alerts.get('RaasRunUnbalanced')!.expr).toBe('min by (namespace, job) (raas_last_run_balanced) == 0');
    const overdue = alerts.get('RaasRunOverdue')!.expr as string;
    expect(overdue).toMatch(/time\(\) - max by \(namespace, job\) \(raas_job_next_schedule_timestamp_seconds\) > 7200\b/);
    expect(overdue).toMatch(/unless on \(namespace, job\)/);
    expect(overdue).toContain('raas_last_run_completion_timestamp_seconds');
    expect(alerts.get('RaasNotificationFailures')!.expr).toMatch(/increase\(raas_notifications_total\{result="failed"\}\[15m\]\)\s*\) > 0$/);
    const down = alerts.get('RaasOperatorDown')!;
    expect(down).toMatchObject({ expr: 'absent(up{job="raas",namespace="raas-system"} == 1)', for: '5m', labels: { severity: 'critical' } });
    // The ServiceMonitor's job label is the Service's name: the selector must match what it scrapes.
    expect(one(objs, 'Service').metadata.name).toBe('raas');
    expect(one(objs, 'ServiceMonitor').metadata.namespace).toBe(NS);
    expect(alerts.get('RaasWorkqueueBacklog')).toMatchObject({ expr: 'min by (queue) (raas_workqueue_depth{job="raas",namespace="raas-system"}) > 100', for: '15m' });
    expect(alerts.get('RaasWatchRestarts')!.expr).toMatch(/\) > 5$/);
  });

  it('takes alert thresholds from values and leaves out disabled alerts', async (ctx) => {
    const alerts = alertsOf(
      one(
        await render(ctx, {
          metrics: {
            prometheusRule: {
              enabled: true,
              operatorSelector: 'job="raas-operator"',
              alerts: {
                runFailed: { window: '1h', severity: 'critical' },
                runUnbalanced: { for: '10m' },
                runOverdue: { grace: '1h30m' },
                breakTooOld: { maxAgeDays: 30, for: '' },
                notificationFailures: { enabled: false },
                workqueueBacklog: { depth: 7, for: '30m' },
              },
            },
          },
        }),
        'PrometheusRule',
      ),
    );
    expect([...alerts.keys()].sort()).toEqual(ALERTS.filter((a) => a !== 'RaasNotificationFailures').sort());
    expect(alerts.get('RaasRunFailed')).toMatchObject({ labels: { severity: 'critical' }, expr: expect.stringContaining('increase(raas_run_failures_total[1h])') });
    expect(alerts.get('RaasRunFailed')!.expr).toContain('offset 1h');
    expect(alerts.get('RaasRunUnbalanced')!.for).toBe('10m');
    expect(alerts.get('RaasRunOverdue')!.expr).toMatch(/> 5400\b/);
    expect(alerts.get('RaasRunOverdue')!.annotations.description).toContain('allowed: 1h30m');
    expect(alerts.get('RaasBreakTooOld')!.expr).toBe('max by (namespace, job) (raas_oldest_open_break_age_days) > 30');
    expect(alerts.get('RaasBreakTooOld')!.for).toBeUndefined();
    expect(alerts.get('RaasOperatorDown')!.expr).toBe('absent(up{job="raas-operator"} == 1)');
    expect(alerts.get('RaasWorkqueueBacklog')).toMatchObject({ expr: 'min by (queue) (raas_workqueue_depth{job="raas-operator"}) > 7', for: '30m' });
    for (const r of alerts.values()) expect(r.labels).toEqual({ severity: expect.any(String) });

    for (const [grace, seconds] of [['2d', 172800], [45, 45], ['90m', 5400]] as const) {
      const r = alertsOf(one(await render(ctx, { metrics: { prometheusRule: { enabled: true, alerts: { runOverdue: { grace } } } } }), 'PrometheusRule'));
      expect(r.get('RaasRunOverdue')!.expr).toMatch(new RegExp(`> ${seconds}\\b`));
    }

    // Only operator alerts: the runs group goes away instead of rendering empty.
    const off = { enabled: false };
    const onlyOperator = one(
      await render(ctx, { metrics: { prometheusRule: { enabled: true, alerts: { runFailed: off, runUnbalanced: off, runOverdue: off, breakTooOld: off, notificationFailures: off } } } }),
      'PrometheusRule',
    );
    expect((onlyOperator.spec.groups as Manifest[]).map((g) => g.name)).toEqual(['raas.operator']);
  });

  it('ships the Grafana dashboard as a sidecar ConfigMap only when metrics.grafanaDashboard.enabled', async (ctx) => {
    expect(ofKind(await render(ctx), 'ConfigMap')).toEqual([]);

    const cm = one(await render(ctx, MONITORING_VALUES), 'ConfigMap');
    expect(cm.metadata).toMatchObject({ name: 'raas-dashboard', namespace: NS, labels: { grafana_dashboard: '1', 'app.kubernetes.io/instance': RELEASE } });
    expect(Object.keys(cm.data)).toEqual(['raas.json']);
    const shipped = await readFile(join(CHART, 'dashboards', 'raas.json'), 'utf8');
    expect(cm.data['raas.json']).toBe(shipped.trimEnd());
    const dash = JSON.parse(cm.data['raas.json'] as string) as Manifest;
    expect(dash).toMatchObject({ uid: 'raas-overview', title: expect.stringContaining('raas') });

    // Every query refers only to the operator's metrics (and Node process metrics).
    const panels = (dash.panels as Manifest[]).filter((p) => p.type !== 'row');
    const exprs = panels.flatMap((p) => (p.targets as Manifest[]).map((t) => [p.title as string, t.expr as string] as const));
    const vars = (dash.templating.list as Manifest[]).filter((v) => v.type === 'query');
    for (const v of vars) exprs.push([`variable ${v.name}`, (v.query.query as string).replace(/^label_values\((.*), *\w+\)$/, '$1')]);
    const used = new Set<string>();
    for (const [title, expr] of exprs) {
      for (const sel of promql(expr)) {
        expectKnownSeries(sel, title, isProcessMetric);
        used.add(RAAS_SERIES.get(sel.name) ?? sel.name);
      }
    }
    // ... and covers what the chart promises to show.
    for (const m of ['raas_runs_total', 'raas_run_failures_total', 'raas_last_run_mismatched', 'raas_run_duration_seconds', 'raas_notifications_total', 'raas_reconcile_duration_seconds', 'raas_workqueue_depth', 'raas_watch_restarts_total']) {
      expect(used, m).toContain(m);
    }
    expect(exprs.map(([, e]) => e).join('\n')).toMatch(/histogram_quantile\(0\.5,[\s\S]*histogram_quantile\(0\.95,/);

    // Grafana sanity: unique ids, panels on the 24-column grid, all on the chosen data source.
    const ids = (dash.panels as Manifest[]).map((p) => p.id as number);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels as Manifest[]) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type !== 'row') expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    expect((dash.templating.list as Manifest[]).map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'namespace', 'reconjob', 'window']));

    const custom = one(
      await render(ctx, { metrics: { grafanaDashboard: { enabled: true, namespace: 'monitoring', sidecarLabel: 'grafana_dashboard_raas', sidecarLabelValue: 'raas', annotations: { grafana_folder: 'Finance' } } } }),
      'ConfigMap',
    );
    expect(custom.metadata).toMatchObject({ namespace: 'monitoring', labels: { grafana_dashboard_raas: 'raas' }, annotations: { grafana_folder: 'Finance' } });
    expect(custom.metadata.labels.grafana_dashboard).toBeUndefined();
  });

  it('declares every key of values.yaml in values.schema.json', async () => {
    const values = parseYaml(await readFile(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const schema = JSON.parse(await readFile(join(CHART, 'values.schema.json'), 'utf8')) as Manifest;
    const missing: string[] = [];
    for (const path of valuePaths(values)) {
      let node: Manifest | undefined = schema;
      for (const key of path) {
        // Free-form maps (labels, resources, securityContext...) end the walk.
        if (node && !node.properties && node.type === 'object') break;
        node = node?.properties?.[key];
      }
      if (!node) missing.push(path.join('.'));
    }
    expect(missing).toEqual([]);
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
      ['metrics.prometheusRule.enable=true', 'enable'],
      ['metrics.prometheusRule.alerts.runOverdue.gracePeriod=1h', 'gracePeriod'],
      ['metrics.prometheusRule.alerts.runFaild.enabled=false', 'runFaild'],
      ['metrics.grafanaDashboard.enabeld=true', 'enabeld'],
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

    for (const [set, key] of [
      ['metrics.prometheusRule.alerts.runFailed.window=15 minutes', 'window'],
      ['metrics.prometheusRule.alerts.runOverdue.grace=two hours', 'grace'],
      ['metrics.prometheusRule.alerts.workqueueBacklog.depth=-1', 'depth'],
      ['metrics.prometheusRule.operatorSelector=up', 'operatorSelector'],
      ['metrics.grafanaDashboard.namespace=Not_A_Namespace', 'namespace'],
    ] as const) {
      const res = helm(ctx, ['template', RELEASE, CHART, '--set', set]);
      expect(res.status, set).not.toBe(0);
      expect(res.stderr, set).toMatch(/schema/i);
      expect(res.stderr, set).toContain(key);
    }

    const twice = helm(ctx, ['template', RELEASE, CHART, '--set', 'leaderElection.enabled=false']);
    expect(twice.status).not.toBe(0);
    expect(twice.stderr).toMatch(/leaderElection\.enabled=false with replicaCount=2/);
  });
});
