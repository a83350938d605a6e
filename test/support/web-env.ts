// The world for the results API and page tests, on the run's shared control plane: the
// operator world (process kubelet running the real runner, S3 test server) in two
// namespaces of the file's own, plus real users bound to them with real RoleBindings, the
// chart's web ServiceAccount and RBAC, finished runs with result files in S3, and
// `raas web` itself, in-process, under that ServiceAccount.
//
//   alice  (token user, group finance-team): list/get reconruns + create in finance, and
//          works breaks there (the chart's break-worker ClusterRole: update reconruns/breaks)
//   bob    (token user):                     list/get reconruns in ops only
//   carol  (token user):                     no bindings at all
//   mallory (token user, group finance-team): what the file binds her to
//   finance/reporting (ServiceAccount):      list/get reconruns in finance, no create
// The people are the file's own set (sharedUsers(): `alice-3`, group `finance-team-3`), the
// namespaces unique names (`ns.finance`, `ns.ops`), and the cluster-wide objects (web
// ClusterRole and binding, the reader/runner roles) carry the file's release name, so files
// running side by side never see each other's. Break work (assign, comment, close) goes to
// a real PostgreSQL results catalog.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { loadKubeConfig } from '../../operator/kube/client.ts';
import { startWeb, type RunningWeb, type WebConfig } from '../../operator/web/server.ts';
import { startPostgres, type PostgresTestServer } from './postgres.ts';
import { findHelm, repoRoot, runHelm } from './helm.ts';
import { sharedUsers, type UserSet } from './cluster.ts';
import { s3ReconJob, startOperatorEnv, statusOf, uniqueNamespace, waitFor, type OperatorEnv } from './operator-env.ts';
import { sharedService, type SkipContext } from './require-service.ts';

export interface WebEnv {
  env: OperatorEnv;
  web: RunningWeb;
  tokens: { alice: string; bob: string; carol: string; mallory: string; reporting: string };
  /** This file's people: user names (`users.alice` is what whoami and RBAC say) and their group. */
  users: UserSet['names'] & { financeTeam: string };
  /** This file's namespaces (unique names on the shared control plane). */
  ns: { finance: string; ops: string };
  /** The chart's break-worker ClusterRole, as rendered for this file's release. */
  breakWorkerRole: string;
  /** The newest finance run (2024-01-02, Tokyo) is unbalanced; 2024-01-01 is balanced; 2023-12-31's ReconRun was deleted. */
  runs: { unbalanced: string; balanced: string; ops: string; pruned: string };
  /** The results catalog `web` keeps break work in. */
  catalog: { pg: PostgresTestServer; url: string };
  /** The configuration `web` was started with (to start a second server, e.g. without a catalog). */
  webConfig: WebConfig;
  stop(): Promise<void>;
}

// id 2 differs by 0.50 (beyond the 0.01 tolerance), 3 is only left, 4 only right; amounts
// with many digits check that money stays exact end to end.
const LEFT = 'id,amount,status\n1,10.00,paid\n2,20.00,paid\n3,30.00,paid\n5,1234567.89,paid\n';
const RIGHT = 'id,amount,status\n1,10.00,paid\n2,20.50,paid\n4,40.00,paid\n5,1234567.89,void\n';
const SAME = 'id,amount,status\n1,1.00,paid\n2,2.00,paid\n';

async function put(e: OperatorEnv, bucket: string, key: string, body: string) {
  await e.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export interface WebEnvOptions {
  /** The file's namespace names, when it needs them before the world starts (default: unique ones). */
  ns?: { finance?: string; ops?: string };
}

export async function startWebEnv(o: WebEnvOptions = {}): Promise<WebEnv> {
  const helm = findHelm();
  if (!helm) throw new Error('helm is not installed (scripts/install-helm.sh); the web server runs under the chart RBAC it renders');
  const people = await sharedUsers();
  const finance = o.ns?.finance ?? uniqueNamespace('finance');
  const opsNs = o.ns?.ops ?? uniqueNamespace('ops');
  const env = await startOperatorEnv({ shared: true, namespace: finance, namespaces: [finance, opsNs] });
  // The web release is named after the file's system namespace: its ClusterRole, binding and
  // ServiceAccount names are the file's own.
  const release = env.systemNamespace;
  const u = people.names;
  let web: RunningWeb | undefined;
  let pg: PostgresTestServer | undefined;
  try {
    pg = await startPostgres();
    const c = env.cluster;
    await c.namespace(opsNs);
    await c.secret(opsNs, 's3-creds', env.s3.env);
    // Roles a platform team would hand out: read results, and start reruns.
    await c.applyYaml(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${release}-recon-reader }
rules:
  - { apiGroups: [raas.dev], resources: [reconjobs, reconruns], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${release}-recon-runner }
rules:
  - { apiGroups: [raas.dev], resources: [reconjobs], verbs: [get] }
  - { apiGroups: [raas.dev], resources: [reconruns], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: finance-team-read, namespace: ${finance} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${release}-recon-reader }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: Group, name: ${people.financeTeam} } ]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: alice-run, namespace: ${finance} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${release}-recon-runner }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: User, name: ${u.alice} } ]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: bob-read, namespace: ${opsNs} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${release}-recon-reader }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: User, name: ${u.bob} } ]
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: reporting, namespace: ${finance} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reporting-read, namespace: ${finance} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${release}-recon-reader }
subjects: [ { kind: ServiceAccount, name: reporting, namespace: ${finance} } ]
`);
    // The web server's own ServiceAccount and RBAC, exactly as the chart renders them.
    const home = await mkdtemp(join(tmpdir(), 'raas-helm-'));
    try {
      for (const t of ['templates/web-rbac.yaml', 'templates/break-worker-role.yaml']) {
        const res = runHelm(helm, ['template', release, join(repoRoot, 'charts', 'raas'), '-n', release, '--show-only', t], { home });
        if (res.status !== 0) throw new Error(`helm template: ${res.stderr}`);
        await c.applyYaml(res.stdout);
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
    // The chart names them after the release (raas.webName): `<release>-web`.
    const webName = `${release}-web`;
    const breakWorkerRole = `${webName}-break-worker`;
    if (!(await c.get('rbac.authorization.k8s.io/v1/clusterroles', undefined, breakWorkerRole))) throw new Error(`the chart rendered no ClusterRole ${breakWorkerRole}`);
    // People who work breaks are bound to the chart's break-worker role in their namespace.
    await c.applyYaml(`
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: alice-break-worker, namespace: ${finance} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${breakWorkerRole} }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: User, name: ${u.alice} } ]
`);
    const webToken = await c.cp.serviceAccountToken(release, webName, { expirationSeconds: 86_400 });
    const reporting = await c.cp.serviceAccountToken(finance, 'reporting', { expirationSeconds: 86_400 });

    for (const [day, l, r] of [['2024-01-02', LEFT, RIGHT], ['2024-01-01', SAME, SAME], ['2023-12-31', SAME, SAME]] as const) {
      await put(env, 'ledger', `orders/${day}.csv`, l);
      await put(env, 'psp', `settlements/${day}.csv`, r);
    }
    const output = (ns: string) => ({ uri: `s3://results/${ns}/{{ job.name }}/{{ window.startDate }}/`, format: 'csv', mode: 'AllDiffs' });
    await env.kube.createCustom('reconjobs', finance, s3ReconJob('orders', finance, {
      compare: [{ column: 'amount', tolerance: { absolute: 0.01 } }, { column: 'status' }],
      output: output('finance'),
      schedule: { cron: '0 2 * * *', timeZone: 'Asia/Tokyo', suspend: true },
    }));
    await env.kube.createCustom('reconjobs', opsNs, s3ReconJob('payouts', opsNs, { output: output('ops'), schedule: { cron: '0 3 * * *', timeZone: 'UTC', suspend: true } }));
    // Asia/Tokyo days: the window of 2024-01-02 is 2024-01-01T15:00Z .. 2024-01-02T15:00Z.
    const fin = await backfill(env.kube, { namespace: finance, job: 'orders', from: '2023-12-31', to: '2024-01-02' }, () => undefined);
    const ops = await backfill(env.kube, { namespace: opsNs, job: 'payouts', from: '2024-01-02', to: '2024-01-02' }, () => undefined);
    const all = [...fin.created.map((n) => [finance, n] as const), ...ops.created.map((n) => [opsNs, n] as const)];
    await waitFor('the seeded runs to finish', async () => {
      for (const [ns, n] of all) {
        const s = statusOf(await env.get('reconruns', ns, n));
        if (s.phase !== 'Succeeded' && s.phase !== 'Failed') return false;
      }
      return true;
    }, 180_000);
    for (const [ns, n] of all) {
      const s = statusOf(await env.get('reconruns', ns, n));
      if (s.phase !== 'Succeeded') throw new Error(`seed run ${ns}/${n} ${String(s.phase)}: ${String(s.message)}\n${env.outputs.slice(-2).join('\n')}`);
    }
    const [pruned, balanced, unbalanced] = fin.created as [string, string, string];
    // History beyond retention: the oldest ReconRun goes, its summary.json stays in S3.
    await env.cluster.delete('reconruns', finance, pruned);
    await waitFor('the pruned run to be gone', async () => (await env.get('reconruns', finance, pruned)) === undefined);

    const webConfig: WebConfig = {
      kubeConfig: loadKubeConfig(undefined, c.cp.kubeconfigYaml({ token: webToken, user: `system:serviceaccount:${release}:${webName}` })),
      port: 0,
      host: '127.0.0.1',
      s3Env: env.s3.env,
      reviewTtlMs: 2_000,
      log: pino({ level: process.env.RAAS_TEST_LOG ?? 'silent' }),
      catalogUrl: pg.adminUrl,
    };
    web = await startWeb(webConfig);
    const w = web;
    const catalog = pg;
    // The watch cache has the runs once they are listed.
    await waitFor('the web watch cache', async () => {
      const r = await fetch(`${w.url}/api/v1/namespaces/${finance}/reconruns`, { headers: { authorization: `Bearer ${people.tokens.alice}` } });
      const body = (await r.json()) as { items?: Array<{ name: string; phase: string }> };
      return body.items?.filter((i) => i.phase === 'Succeeded').length === 2;
    });
    return {
      env,
      web,
      tokens: { ...people.tokens, reporting },
      users: { ...people.names, financeTeam: people.financeTeam },
      ns: { finance, ops: opsNs },
      breakWorkerRole,
      runs: { unbalanced, balanced, ops: ops.created[0]!, pruned },
      catalog: { pg, url: pg.adminUrl },
      webConfig,
      async stop() {
        await w.stop().catch(() => undefined);
        await env.stop();
        await catalog.stop().catch(() => undefined);
      },
    };
  } catch (err) {
    await web?.stop().catch(() => undefined);
    await env.stop().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    throw err;
  }
}

export function webEnvForFile(o: WebEnvOptions = {}): (ctx: SkipContext) => Promise<WebEnv> {
  return sharedService('the Kubernetes control plane (scripts/install-kube.sh), helm and PostgreSQL', () => startWebEnv(o), (w) => w.stop());
}
