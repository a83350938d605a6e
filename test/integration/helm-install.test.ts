// The chart as a user installs it, on the real control plane: `helm install` with the
// chart's defaults (two replicas, leader election on), `kubectl rollout status`, the
// operator pods (run by the process kubelet with their projected service-account tokens)
// elect a leader with a Lease the real API server accepts, and that leader runs a backfill.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { cronJobName } from '../../operator/desired/names.ts';
import { docBlock } from '../docs/doc-blocks.ts';
import { findHelm, repoRoot } from '../support/helm.ts';
import { clusterEnvForFile, s3ReconJob, statusOf, waitFor } from '../support/operator-env.ts';

const world = clusterEnvForFile();
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

function run(exe: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(exe, args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 180_000, cwd: repoRoot }, (err, out, errText) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errText }),
    );
  });
}

describe('helm install on the real control plane', { timeout: 300_000 }, () => {
  it('installs with defaults, rolls out two replicas, one leads, and it runs a backfill', async (ctx) => {
    const env = await world(ctx);
    const helm = findHelm();
    if (!helm || !existsSync(KUBECTL)) {
      const why = `${helm ? '' : 'helm (scripts/install-helm.sh) '}${existsSync(KUBECTL) ? '' : 'kubectl'} not installed`;
      if (process.env.CI === 'true') throw new Error(`${why} (CI=true: failing instead of skipping)`);
      ctx.skip(why);
    }
    const home = await mkdtemp(join(tmpdir(), 'raas-helm-home-'));
    const henv = { HOME: home, HELM_CONFIG_HOME: join(home, 'c'), HELM_CACHE_HOME: join(home, 'k'), HELM_DATA_HOME: join(home, 'd'), KUBECONFIG: env.kubeconfig };
    try {
      // The test world already installed the chart's RBAC objects; let this release own them.
      for (const [res, ns, name] of [['v1/serviceaccounts', 'raas-system', 'raas'], ['rbac.authorization.k8s.io/v1/clusterroles', undefined, 'raas-system-raas'], ['rbac.authorization.k8s.io/v1/clusterrolebindings', undefined, 'raas-system-raas']] as const) {
        await env.cluster.delete(res, ns, name);
      }
      for (const r of await env.list('rbac.authorization.k8s.io/v1/roles', 'raas-system')) await env.cluster.delete('rbac.authorization.k8s.io/v1/roles', 'raas-system', String((r.metadata as { name: string }).name));
      for (const r of await env.list('rbac.authorization.k8s.io/v1/rolebindings', 'raas-system')) await env.cluster.delete('rbac.authorization.k8s.io/v1/rolebindings', 'raas-system', String((r.metadata as { name: string }).name));

      const install = await run(helm!, ['install', 'raas', join(repoRoot, 'charts', 'raas'), '-n', 'raas-system', '--create-namespace', '--set', 'image.tag=test'], henv);
      expect(install.code, install.err).toBe(0);
      const rollout = await run(KUBECTL, ['-n', 'raas-system', 'rollout', 'status', 'deploy/raas', '--timeout=150s'], henv);
      expect(rollout.code, `${rollout.out}${rollout.err}\n${env.outputs.slice(-2).join('\n')}`).toBe(0);
      expect(rollout.out).toMatch(/successfully rolled out/);
      const pods = (await env.list('v1/pods', 'raas-system', 'app.kubernetes.io/name=raas,app.kubernetes.io/component=operator')).map((p) => String((p.metadata as { name: string }).name));
      expect(pods).toHaveLength(2);
      // The web Deployment rolls out too, and every pod reports what a kubelet reports.
      const webRollout = await run(KUBECTL, ['-n', 'raas-system', 'rollout', 'status', 'deploy/raas-web', '--timeout=120s'], henv);
      expect(webRollout.code, `${webRollout.out}${webRollout.err}`).toBe(0);
      const all = await env.list('v1/pods', 'raas-system', 'app.kubernetes.io/name=raas');
      for (const p of all) expect(p.status, String((p.metadata as { name: string }).name)).toMatchObject({ phase: 'Running', podIP: expect.stringMatching(/^127\./) });
      const web = all.find((p) => (p.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/component'] === 'web');
      expect(web).toBeDefined();
      const webIp = String((web!.status as { podIP: string }).podIP);
      expect((await fetch(`http://${webIp}:8080/healthz`)).status).toBe(200);
      // Without a token the API says 401, as it would behind the Service.
      const anon = await fetch(`http://${webIp}:8080/api/v1/reconruns`);
      expect(anon.status).toBe(401);
      expect(anon.headers.get('content-type')).toMatch(/application\/problem\+json/);

      const lease = await waitFor('a leader', async () => {
        const l = await env.get('coordination.k8s.io/v1/leases', 'raas-system', 'raas-leader');
        const holder = (l?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
        return holder ? { holder, renewTime: String((l!.spec as { renewTime?: string }).renewTime) } : undefined;
      }, 60_000);
      expect(pods).toContain(lease.holder);
      expect(lease.renewTime).toMatch(/\.\d{6}Z$/);

      for (const [bucket, key, body] of [['ledger', 'orders/2024-01-05.csv', 'id,amount\n1,1.00\n2,2.00\n'], ['psp', 'settlements/2024-01-05.csv', 'id,amount\n1,1.00\n2,2.50\n']] as const) {
        await env.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      }
      await env.kube.createCustom('reconjobs', 'finance', s3ReconJob('charted', 'finance'));
      await waitFor('the CronJob from the chart\'s operator', () => env.get('batch/v1/cronjobs', 'finance', cronJobName('charted')), 60_000);
      const { created } = await backfill(env.kube, { namespace: 'finance', job: 'charted', from: '2024-01-05', to: '2024-01-05' }, () => undefined);
      const s = await waitFor('the run', async () => {
        const st = statusOf(await env.get('reconruns', 'finance', created[0]!));
        return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
      }, 120_000);
      expect(s, env.outputs.slice(-1).join('')).toMatchObject({ phase: 'Succeeded', balanced: false, counts: { matched: 1, mismatched: 1 } });

      // covers docs block ops-upgrade: the upgrade of docs/operations.md, its lines as written.
      const upgrade = await run('bash', ['-euo', 'pipefail', '-c', docBlock('ops-upgrade').code], { ...henv, PATH: [dirname(helm!), dirname(KUBECTL), process.env.PATH ?? ''].join(':') });
      expect(upgrade.code, upgrade.err).toBe(0);
      expect(upgrade.out).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/reconjobs\.raas\.dev serverside-applied/);
      expect(upgrade.out).toMatch(/"raas" has been upgraded/);
      expect(upgrade.out).toMatch(/successfully rolled out/);

      const uninstall = await run(helm!, ['uninstall', 'raas', '-n', 'raas-system', '--wait', '--timeout', '60s'], henv);
      expect(uninstall.code, uninstall.err).toBe(0);
      await waitFor('the operator and web pods gone', async () => (await env.list('v1/pods', 'raas-system', 'app.kubernetes.io/name=raas')).length === 0, 90_000);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
