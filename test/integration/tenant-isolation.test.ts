// Tenant isolation on the real control plane, through the real operator and `raas web`:
//   - mallory may create Jobs and ReconRuns in finance and read its ReconRuns and
//     ReconJobs, nothing in ops and no reconruns/status. She makes a Job named like her
//     next run, with raas labels and a forged termination message pointing at ops' results;
//     the run fails with one line, and the web serves her nothing of ops;
//   - a run's status (however it was written) naming files outside its job's output
//     location, or a location whose committed summary is another namespace's, gets 403;
//   - the column filter through the API finds rows whose differing column needs quoting;
//   - a ReconJob edited into a policy-refused spec suspends its CronJob (the real CronJob
//     controller then fires nothing), says so in Ready, and resumes once fixed.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { rerun } from '../../operator/cli/recon-commands.ts';
import { childLabels } from '../../operator/desired/meta.ts';
import { cronJobName, runJobName } from '../../operator/desired/names.ts';
import { Kube, loadKubeConfig } from '../../operator/kube/client.ts';
import type { UserRole } from '../support/cluster.ts';
import { s3ReconJob, statusOf, uniqueNamespace, waitFor } from '../support/operator-env.ts';
import { webEnvForFile, type WebEnv } from '../support/web-env.ts';

// The file's namespaces on the run's shared control plane (finance, ops).
const NS = uniqueNamespace('finance');
const OPS = uniqueNamespace('ops');
const world = webEnvForFile({ ns: { finance: NS, ops: OPS } });
type Json = Record<string, unknown>;

let rbac: Promise<void> | undefined;
async function env(ctx: Parameters<typeof world>[0]): Promise<WebEnv> {
  const w = await world(ctx);
  // finance-team (her group) reads reconjobs/reconruns in finance; on top of that exactly
  // create on jobs and reconruns there. Nothing in ops, no reconruns/status.
  rbac ??= w.env.cluster.applyYaml(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: job-and-run-creator, namespace: ${NS} }
rules:
  - { apiGroups: [batch], resources: [jobs], verbs: [create] }
  - { apiGroups: [raas.dev], resources: [reconruns], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: mallory-create, namespace: ${NS} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: job-and-run-creator }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: User, name: ${w.users.mallory} } ]
`);
  await rbac;
  return w;
}

/** A client as one of the file's people (its own set of token users). */
function userKube(w: WebEnv, who: UserRole): Kube {
  return new Kube(loadKubeConfig(undefined, w.env.cluster.cp.kubeconfigYaml({ token: w.tokens[who], user: w.users[who] })));
}

async function api(w: WebEnv, who: UserRole, path: string): Promise<{ status: number; text: string; body: Json }> {
  const res = await fetch(`${w.web.url}${path}`, { headers: { authorization: `Bearer ${w.tokens[who]}` } });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    // a file download
  }
  return { status: res.status, text, body };
}

const opsResults = async (w: WebEnv) => {
  const s = statusOf(await w.env.get('reconruns', OPS, w.runs.ops));
  const results = s.results as { uri: string; files: string[]; summaryUri: string };
  expect(results.summaryUri).toMatch(/^s3:\/\/results\/ops\//);
  return { results, window: (await w.env.get('reconruns', OPS, w.runs.ops))!.spec as { window: { start: string; end: string } } };
};

/** What the runner writes as its termination message, claiming ops' files. */
const forgedReport = (results: Json) =>
  JSON.stringify({
    phase: 'Succeeded',
    job: 'orders',
    balanced: true,
    counts: { left: 1, right: 1, matched: 1, mismatched: 0, leftOnly: 0, rightOnly: 0, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 },
    results,
  });

/** Writes a run's status as an administrator would (the route mallory does not have). */
async function forceStatus(w: WebEnv, name: string, status: Json): Promise<void> {
  await waitFor(`status of ${name} written`, async () => {
    const run = await w.env.get('reconruns', NS, name);
    if (!statusOf(run).phase) return false;
    try {
      await w.env.kube.replaceStatus('reconruns', { ...(run as { metadata: { name: string; namespace: string } }), status });
      return true;
    } catch {
      return false; // 409: the operator wrote in between; read again
    }
  });
}

describe('tenant isolation on the real control plane', { timeout: 300_000 }, () => {
  it('a Job forged under a run\'s name fails the run with one line; the web serves none of another namespace\'s results', async (ctx) => {
    const w = await env(ctx);
    const { results } = await opsResults(w);
    const mallory = userKube(w, 'mallory');
    const runName = 'orders-steal';
    const jobName = runJobName(runName);
    const message = forgedReport(results);
    await mallory.createJob({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: jobName, namespace: NS, labels: childLabels('orders', runName) },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels: childLabels('orders', runName) },
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            // The termination-message path as its own argument: it is what the node maps.
            containers: [{ name: 'runner', image: 'ghcr.io/raas/raas:latest', command: ['/bin/sh', '-c', 'printf "%s" "$1" > "$0"', '/dev/termination-log', message] }],
          },
        },
      },
    });
    // Her rights are exactly these: no status writes, nothing in ops.
    await expect(mallory.custom.listNamespacedCustomObject({ group: 'raas.dev', version: 'v1alpha1', namespace: OPS, plural: 'reconruns' })).rejects.toMatchObject({ code: 403 });
    await mallory.createCustom('reconruns', NS, {
      apiVersion: 'raas.dev/v1alpha1',
      kind: 'ReconRun',
      metadata: { name: runName, namespace: NS },
      spec: { jobRef: { name: 'orders' }, window: { start: '2024-01-01T15:00:00Z', end: '2024-01-02T15:00:00Z' }, trigger: 'Manual' },
    });
    // Her pod did run and left its message: the operator had it to read.
    await waitFor('the forged pod to finish', async () => {
      const pods = await w.env.list('v1/pods', NS, `job-name=${jobName}`);
      const st = pods[0]?.status as { phase?: string; containerStatuses?: Array<{ state?: { terminated?: { message?: string } } }> } | undefined;
      return st?.phase === 'Succeeded' && st.containerStatuses?.[0]?.state?.terminated?.message === message;
    }, 120_000);
    const s = await waitFor('the run to be decided', async () => {
      const st = statusOf(await w.env.get('reconruns', NS, runName));
      return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
    }, 120_000);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(
      `a Job named ${jobName} already exists in namespace ${NS} and its controller is not ReconRun ${runName}; raas takes a run's result only from the Job it made, so this run is not started. Delete that Job or create the run under another name`,
    );
    expect(s.results).toBeUndefined();
    expect(s.counts).toBeUndefined();
    for (const sub of ['summary', 'rows', 'files/summary.json']) {
      const a = await api(w, 'mallory', `/api/v1/namespaces/${NS}/reconruns/${runName}/${sub}`);
      expect(a.status, sub).toBe(404);
      expect(a.text).not.toContain('payouts');
    }
  });

  it('the web refuses files outside the job\'s output location, and a location whose committed summary is another namespace\'s', async (ctx) => {
    const w = await env(ctx);
    const { results, window } = await opsResults(w);
    // Jobs the operator refuses (runner policy), so no runner ever overwrites the status below.
    const refused = { runner: { image: 'evil/miner:latest', envFrom: [{ secretRef: { name: 's3-creds' } }] }, schedule: { cron: '0 2 * * *', timeZone: 'UTC', suspend: true } };
    await w.env.kube.createCustom('reconjobs', NS, s3ReconJob('peek', NS, { ...refused, output: { uri: 's3://results/ops/payouts/{{ window.startDate }}/', format: 'csv' } }));
    await w.env.kube.createCustom('reconjobs', NS, s3ReconJob('elsewhere', NS, { ...refused, output: { uri: 's3://results/finance/elsewhere/{{ window.startDate }}/', format: 'csv' } }));
    for (const job of ['peek', 'elsewhere']) {
      await w.env.kube.createCustom('reconruns', NS, { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconRun', metadata: { name: `${job}-1`, namespace: NS }, spec: { jobRef: { name: job }, window: window.window, trigger: 'Manual' } });
      await forceStatus(w, `${job}-1`, { phase: 'Succeeded', balanced: true, results, counts: { left: 1, right: 1, matched: 1, mismatched: 0, leftOnly: 0, rightOnly: 0, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 } });
    }
    await waitFor('the web cache to hold both statuses', async () => (await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/elsewhere-1`)).body.phase === 'Succeeded' && (await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/peek-1`)).body.phase === 'Succeeded');
    for (const sub of ['summary', 'rows', 'files/summary.json', 'files/result.csv']) {
      const outside = await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/elsewhere-1/${sub}`);
      expect(outside.status, `elsewhere ${sub}`).toBe(403);
      expect(String(outside.body.detail)).toMatch(/outside its output location s3:\/\/results\/finance\/elsewhere\/2024-01-02\//);
      // The files are under peek's location, but the summary committed there is ops'.
      const theirs = await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/peek-1/${sub}`);
      expect(theirs.status, `peek ${sub}`).toBe(403);
      expect(String(theirs.body.detail)).toBe(`the results committed at s3://results/ops/payouts/2024-01-02/ are not those of job peek in namespace ${NS}; the web does not serve them for run peek-1`);
    }
    // The team's own runs still serve, rows and files alike.
    const own = await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/${w.runs.unbalanced}/files/summary.json`);
    expect(own.status).toBe(200);
    expect(JSON.parse(own.text)).toMatchObject({ job: 'orders', namespace: NS });
  });

  it('the column filter finds the rows whose differing column needs quoting in CSV', async (ctx) => {
    const w = await env(ctx);
    const put = (bucket: string, key: string, body: string) => w.env.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    await put('ledger', 'eur/2024-01-05.csv', 'id,"Amount (EUR)","fee, net"\n1,10.00,1\n2,20.00,2\n3,30.00,3\n');
    await put('psp', 'eur/2024-01-05.csv', 'id,"Amount (EUR)","fee, net"\n1,11.00,1\n2,20.00,9\n3,31.00,9\n');
    await w.env.kube.createCustom('reconjobs', NS, s3ReconJob('eur', NS, {
      left: { uri: 's3://ledger/eur/{{ window.startDate }}.csv' },
      right: { uri: 's3://psp/eur/{{ window.startDate }}.csv' },
      compare: [{ column: 'Amount (EUR)' }, { column: 'fee, net' }],
      output: { uri: 's3://results/finance/{{ job.name }}/{{ window.startDate }}/', format: 'csv' },
      schedule: { cron: '0 2 * * *', timeZone: 'UTC', suspend: true },
    }));
    const name = await rerun(w.env.kube, { namespace: NS, job: 'eur', date: '2024-01-05' }, () => undefined);
    const s = await waitFor('the eur run', async () => {
      const st = statusOf(await w.env.get('reconruns', NS, name));
      return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
    }, 180_000);
    expect(s.phase, String(s.message)).toBe('Succeeded');
    await waitFor('the web cache', async () => (await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/${name}`)).body.phase === 'Succeeded');
    const ids = async (column: string) => {
      const a = await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/${name}/rows?column=${encodeURIComponent(column)}`);
      expect(a.status, a.text).toBe(200);
      return (a.body.items as Array<{ id: string }>).map((r) => r.id).sort();
    };
    expect(await ids('Amount (EUR)')).toEqual(['1', '3']);
    expect(await ids('fee, net')).toEqual(['2', '3']);
    const three = ((await api(w, 'alice', `/api/v1/namespaces/${NS}/reconruns/${name}/rows?status=mismatch`)).body.items as Array<Json>).find((r) => r.id === '3');
    expect(three?.recon_mismatched).toEqual(['Amount (EUR)', 'fee, net']);
  });

  it('a ReconJob edited into a refused spec suspends its CronJob, which then fires nothing; fixed, it resumes', async (ctx) => {
    const w = await env(ctx);
    const e = w.env;
    const cron = cronJobName('flaky');
    await e.kube.createCustom('reconjobs', NS, s3ReconJob('flaky', NS, { schedule: { cron: '* * * * *', timeZone: 'UTC' } }));
    await waitFor('its CronJob, running', async () => ((await e.get('batch/v1/cronjobs', NS, cron))?.spec as { suspend?: boolean } | undefined)?.suspend === false);
    await e.cluster.patch('reconjobs', NS, 'flaky', { spec: { runner: { image: 'evil/miner:latest', envFrom: [{ secretRef: { name: 's3-creds' } }] } } });
    await waitFor('the CronJob suspended', async () => ((await e.get('batch/v1/cronjobs', NS, cron))?.spec as { suspend?: boolean }).suspend === true);
    const suspendedAt = Date.now();
    const ready = await waitFor('Ready=False', async () => (statusOf(await e.get('reconjobs', NS, 'flaky')).conditions as Array<Json> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'False'));
    expect(ready.message).toMatch(/^the CronJob is suspended until the spec is fixed: no scheduled run uses the last valid spec meanwhile; spec\.runner\.image: "evil\/miner:latest" is not allowed by the runner policy/);
    // The template still holds the last valid spec: the refused image never reached it.
    const template = JSON.stringify(((await e.get('batch/v1/cronjobs', NS, cron))!.spec as Json).jobTemplate);
    expect(template).not.toContain('evil/miner');

    // Past the next minute boundary (plus the controller's slack), nothing was scheduled
    // after the suspension: every Job's name carries its scheduled minute.
    const minute = (n: string) => Number(/-(\d+)$/.exec(n)?.[1]) * 60_000;
    const after = Math.ceil(suspendedAt / 60_000) * 60_000 + 30_000;
    await waitFor('the next minute to pass', () => Date.now() > after, 120_000);
    const jobs = (await e.list('batch/v1/jobs', NS, 'raas.dev/job=flaky')).map((j) => String((j.metadata as { name: string }).name));
    expect(jobs.filter((n) => minute(n) > suspendedAt)).toEqual([]);
    const last = ((await e.get('batch/v1/cronjobs', NS, cron))!.status as { lastScheduleTime?: string } | undefined)?.lastScheduleTime;
    if (last) expect(Date.parse(last)).toBeLessThanOrEqual(suspendedAt);

    // Fixed: resumed (the user's schedule.suspend is false), Ready again, and it fires.
    await e.cluster.patch('reconjobs', NS, 'flaky', { spec: { runner: { envFrom: [{ secretRef: { name: 's3-creds' } }], image: null } } });
    await waitFor('the CronJob resumed', async () => ((await e.get('batch/v1/cronjobs', NS, cron))?.spec as { suspend?: boolean }).suspend === false);
    await waitFor('Ready=True', async () => (statusOf(await e.get('reconjobs', NS, 'flaky')).conditions as Array<Json> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'True'));
    await waitFor('a Job fired after the fix', async () => (await e.list('batch/v1/jobs', NS, 'raas.dev/job=flaky')).some((j) => !jobs.includes(String((j.metadata as { name: string }).name))), 120_000);
    // Suspended by the user, it stays suspended although Ready.
    await e.cluster.patch('reconjobs', NS, 'flaky', { spec: { schedule: { cron: '* * * * *', timeZone: 'UTC', suspend: true } } });
    await waitFor('suspended by the user', async () => ((await e.get('batch/v1/cronjobs', NS, cron))?.spec as { suspend?: boolean }).suspend === true);
  });
});
