// The Kubernetes-facing commands' input errors: exit 2 and a line that says what to do.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedTestCluster, uniqueNamespace, type TestCluster } from '../support/cluster.ts';
import { sharedService } from '../support/require-service.ts';
import { runCli } from '../support/run-cli.ts';

// The run's shared control plane; the kubeconfig's context namespace is this file's own,
// so the commands run without -n, as a user's usually do. Without a control plane a
// developer's run skips these tests and says why; CI fails instead.
const NS = uniqueNamespace('cli');
interface World {
  cluster: TestCluster;
  dir: string;
  kubeconfig: string;
}
const world = sharedService<World>('the Kubernetes control plane (scripts/install-kube.sh)', async () => {
  const cluster = await sharedTestCluster();
  await cluster.namespace(NS);
  const kubeconfig = join(cluster.dir, 'ns.kubeconfig');
  await writeFile(kubeconfig, cluster.cp.kubeconfigYaml({ namespace: NS }), { mode: 0o600 });
  await cluster.create('reconjobs', NS, {
    apiVersion: 'raas.dev/v1alpha1',
    kind: 'ReconJob',
    metadata: { name: 'daily', namespace: NS },
    spec: { left: { uri: 'a.csv' }, right: { uri: 'b.csv' }, keys: [{ column: 'id' }], schedule: { cron: '0 2 * * *', period: 'Monthly', anchorDay: 28 } },
  });
  return { cluster, dir: cluster.dir, kubeconfig };
}, (w) => w.cluster.stop());

describe('kubectl recon / raas Kubernetes commands', () => {
  it.for<[string[], RegExp]>([
    [['backfill', 'daily'], /required option '--from <YYYY-MM-DD>' not specified/],
    [['backfill', 'daily', '--from', '2024-13-01', '--to', '2024-01-02'], /2024-13-01.*YYYY-MM-DD/],
    [['backfill', 'daily', '--from', '2024-02-01', '--to', '2024-01-01'], /--to.*before|after/i],
    [['backfill', 'nope', '--from', '2024-01-01', '--to', '2024-01-02'], new RegExp(`ReconJob "nope" not found in namespace "${NS}"; list them with: kubectl get rj -n ${NS}`)],
    [['results', 'nope'], new RegExp(`ReconRun "nope" not found in namespace "${NS}"`)],
    [['rerun', 'daily'], /required option '--date <YYYY-MM-DD>' not specified/],
    [['runs'], /missing required argument 'job'/],
    [['bogus'], /unknown command/],
  ])('%j', { timeout: 120_000 }, async ([args, message], ctx) => {
    const { kubeconfig } = await world(ctx);
    const r = await runCli([...args, '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('an unreadable kubeconfig names the file and the fix', { timeout: 120_000 }, async (ctx) => {
    const { dir } = await world(ctx);
    const r = await runCli(['runs', 'daily', '--kubeconfig', join(dir, 'missing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read the kubeconfig .*missing.*pass --kubeconfig <path> or set KUBECONFIG/);
  });

  it('backfill --dry-run lists anchored monthly periods without creating them', { timeout: 120_000 }, async (ctx) => {
    const { cluster, kubeconfig } = await world(ctx);
    const r = await runCli(['backfill', 'daily', '--from', '2024-01-27', '--to', '2024-02-28', '--dry-run', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would create reconrun\/daily-20231228-20240128/);
    expect(r.stdout).toMatch(/would create reconrun\/daily-20240128-20240228/);
    expect(r.stdout).toMatch(/would create reconrun\/daily-20240228-20240328/);
    expect(await cluster.list('reconruns', NS)).toHaveLength(0);
  });
});
