// The chart's ValidatingAdmissionPolicies, evaluated by the real kube-apiserver: the runner
// policy (images, ServiceAccounts, envFrom Secrets) and "trigger Scheduled only from the
// operator", as a person sees them from `kubectl apply`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { startTestCluster, waitFor, type TestCluster } from '../support/cluster.ts';
import { findHelm, repoRoot, runHelm } from '../support/helm.ts';
import { sharedService } from '../support/require-service.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
type Json = Record<string, unknown>;

interface World {
  cluster: TestCluster;
  operatorKubeconfig: string;
}

const POLICY = ['runnerPolicy.allowedImages={registry.example.com/raas:*}', 'runnerPolicy.allowedServiceAccounts={recon-reader}', 'runnerPolicy.allowedEnvFromSecrets={s3-*}'];

const world = sharedService<World>('the Kubernetes control plane (scripts/install-kube.sh) and helm', async () => {
  const helm = findHelm();
  if (!helm) throw new Error('helm is not installed (scripts/install-helm.sh)');
  const cluster = await startTestCluster();
  try {
    await cluster.namespace('finance');
    const rbac = await cluster.installChartRbac();
    const home = await mkdtemp(join(tmpdir(), 'raas-helm-'));
    const res = runHelm(helm, ['template', 'raas', join(repoRoot, 'charts', 'raas'), '-n', 'raas-system', '--show-only', 'templates/admission-policy.yaml', ...POLICY.flatMap((v) => ['--set', v])], { home });
    await rm(home, { recursive: true, force: true });
    if (res.status !== 0) throw new Error(res.stderr);
    await cluster.applyYaml(res.stdout);
    return { cluster, operatorKubeconfig: rbac.kubeconfig };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}, (w) => w.cluster.stop());

const job = (name: string, runner?: Json): Json => ({
  apiVersion: 'raas.dev/v1alpha1',
  kind: 'ReconJob',
  metadata: { name, namespace: 'finance' },
  spec: { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], ...(runner ? { runner } : {}) },
});
const run = (name: string, trigger: string): Json => ({
  apiVersion: 'raas.dev/v1alpha1',
  kind: 'ReconRun',
  metadata: { name, namespace: 'finance' },
  spec: { jobRef: { name: 'any' }, window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, trigger },
});

async function apply(w: World, o: Json, kubeconfig = w.cluster.kubeconfig): Promise<{ code: number; err: string }> {
  const file = join(w.cluster.dir, `obj-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify(o));
  return new Promise((resolve) => execFile(KUBECTL, ['--kubeconfig', kubeconfig, 'apply', '--dry-run=server', '-f', file], { timeout: 60_000 }, (err, _out, e) => resolve({ code: err ? 1 : 0, err: e })));
}

describe.runIf(existsSync(KUBECTL) || process.env.CI === 'true')('chart admission policies on the real API server', { timeout: 180_000 }, () => {
  it('refuses runner images, ServiceAccounts and envFrom Secrets outside the policy, naming the field and the chart value', async (ctx) => {
    const w = await world(ctx);
    // Policies take effect once the API server has compiled them.
    await waitFor('the runner policy in force', async () => (await apply(w, job('probe', { image: 'evil/miner:latest' }))).code === 1, 30_000);
    const refused = await apply(w, job('evil', { image: 'evil/miner:latest' }));
    expect(refused.err).toContain('spec.runner.image: "evil/miner:latest" is not allowed by the runner policy');
    expect(refused.err).toContain('runnerPolicy.allowedImages');
    // A look-alike registry is not a prefix match.
    expect((await apply(w, job('lookalike', { image: 'registry.example.com.evil/raas:1' }))).code).toBe(1);
    const sa = await apply(w, job('sa', { serviceAccountName: 'cluster-admin' }));
    expect(sa.err).toContain('spec.runner.serviceAccountName: "cluster-admin" is not allowed by the runner policy');
    const secret = await apply(w, job('secret', { envFrom: [{ secretRef: { name: 's3-creds' } }, { secretRef: { name: 'db-root' } }] }));
    expect(secret.err).toContain('spec.runner.envFrom[].secretRef.name: the Secret is not allowed by the runner policy');
    for (const ok of [job('plain'), job('operator-image', { image: 'raas:0.1.0' }), job('allowed', { image: 'registry.example.com/raas:2.0', serviceAccountName: 'recon-reader', envFrom: [{ secretRef: { name: 's3-creds' } }, { configMapRef: { name: 'settings' } }] })]) {
      const r = await apply(w, ok);
      expect(r.code, r.err).toBe(0);
    }
  });

  it('a user cannot create a Scheduled ReconRun; the operator\'s ServiceAccount can', async (ctx) => {
    const w = await world(ctx);
    await waitFor('the Scheduled-runs policy in force', async () => (await apply(w, run('probe', 'Scheduled'))).code === 1, 30_000);
    const user = await apply(w, run('fake-schedule', 'Scheduled'));
    expect(user.err).toContain('spec.trigger: Scheduled is reserved for the runs the raas operator makes from a ReconJob\'s schedule; create the run with trigger Manual (or Backfill)');
    expect((await apply(w, run('manual', 'Manual'))).code).toBe(0);
    const operator = await apply(w, run('mirrored', 'Scheduled'), w.operatorKubeconfig);
    expect(operator.code, operator.err).toBe(0);
  });
});
