// The operator end to end on a real control plane: kube-apiserver with the generated CRDs
// (validation, CEL, status subresource), the real Job/CronJob/garbage-collector
// controllers, the process kubelet running the real runner in every pod, data in the S3
// test server, the operator under the chart's ServiceAccount and RBAC.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfill, rerun, results } from '../../operator/cli/recon-commands.ts';
import { cronJobName } from '../../operator/desired/names.ts';
import { operatorEnvForFile, s3ReconJob, statusOf, waitFor, type OperatorEnv } from '../support/operator-env.ts';

const world = operatorEnvForFile();
const NS = 'finance';
const reconJob = (name: string, extra: Record<string, unknown> = {}) => s3ReconJob(name, NS, extra);
type Meta = { name: string; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> };
const meta = (o: Record<string, unknown> | undefined) => (o?.metadata ?? {}) as Meta;

let seeded: Promise<void> | undefined;
async function env(ctx: Parameters<typeof world>[0]): Promise<OperatorEnv> {
  const e = await world(ctx);
  seeded ??= (async () => {
    await putDay(e, '2024-01-01', 'id,amount\n1,10.00\n2,20.00\n3,30.00\n', 'id,amount\n1,10.00\n2,20.50\n4,40.00\n');
    for (const d of ['2024-01-02', '2024-01-03', '2024-01-04']) await putDay(e, d, 'id,amount\n1,1.00\n2,2.00\n', 'id,amount\n1,1.00\n2,2.00\n');
  })();
  await seeded;
  return e;
}

async function putDay(e: OperatorEnv, day: string, left: string, right: string): Promise<void> {
  await e.s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: `orders/${day}.csv`, Body: left }));
  await e.s3.client.send(new PutObjectCommand({ Bucket: 'psp', Key: `settlements/${day}.csv`, Body: right }));
}

const run = (e: OperatorEnv, name: string) => e.get('reconruns', NS, name);
const job = (e: OperatorEnv, name: string) => e.get('reconjobs', NS, name);
const finished = async (e: OperatorEnv, name: string) => {
  const s = statusOf(await run(e, name));
  return s.phase === 'Succeeded' || s.phase === 'Failed' ? s : undefined;
};
const readyCondition = async (e: OperatorEnv, name: string, status: 'True' | 'False') =>
  (statusOf(await job(e, name)).conditions as Array<Record<string, string>> | undefined)?.find((c) => c.type === 'Ready' && c.status === status);
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The ReconJob "orders", scheduled once a day at the next whole minute at least 20 s away
 * (UTC), so the real CronJob controller fires it exactly once while the file runs. `at` is
 * that minute in ms since the epoch. Both days a run at that minute may cover are seeded.
 */
let scheduled: Promise<{ cron: string; at: number }> | undefined;
function scheduleOrders(e: OperatorEnv): Promise<{ cron: string; at: number }> {
  scheduled ??= (async () => {
    const at = Math.ceil((Date.now() + 20_000) / 60_000) * 60_000;
    const when = new Date(at);
    for (const d of [new Date(at - 86_400_000), when]) await putDay(e, dayOf(d), 'id,amount\n1,10.00\n2,20.00\n3,30.00\n', 'id,amount\n1,10.00\n2,20.50\n4,40.00\n');
    const cron = `${when.getUTCMinutes()} ${when.getUTCHours()} * * *`;
    await e.kube.createCustom('reconjobs', NS, reconJob('orders', { schedule: { cron, timeZone: 'UTC' } }));
    return { cron, at };
  })();
  return scheduled;
}

describe('operator on the real control plane', { timeout: 240_000 }, () => {
  it('turns a scheduled ReconJob into a CronJob, Ready with its next schedule time', async (ctx) => {
    const e = await env(ctx);
    const { cron, at } = await scheduleOrders(e);
    const cronJob = await waitFor('the CronJob', () => e.get('batch/v1/cronjobs', NS, cronJobName('orders')));
    expect(cronJob.spec).toMatchObject({ schedule: cron, timeZone: 'UTC', concurrencyPolicy: 'Forbid' });
    expect(meta(cronJob).ownerReferences?.[0]).toMatchObject({ kind: 'ReconJob', name: 'orders' });
    await waitFor('Ready=True', () => readyCondition(e, 'orders', 'True'));
    expect(Date.parse(String(statusOf(await job(e, 'orders')).nextScheduleTime))).toBe(at);
  });

  it('backfills three days, deterministically, at most maxParallelRuns at a time', async (ctx) => {
    const e = await env(ctx);
    await e.kube.createCustom('reconjobs', NS, reconJob('daily', { maxParallelRuns: 2 }));
    await waitFor('Ready', async () => statusOf(await job(e, 'daily')).observedGeneration !== undefined);
    const first = await backfill(e.kube, { namespace: NS, job: 'daily', from: '2024-01-02', to: '2024-01-04' }, () => undefined);
    expect(first.created).toHaveLength(3);
    let maxRunning = 0;
    await waitFor(
      'three finished runs',
      async () => {
        const runs = await Promise.all(first.created.map((n) => run(e, n)));
        maxRunning = Math.max(maxRunning, runs.filter((r) => statusOf(r).phase === 'Running').length);
        return runs.every((r) => ['Succeeded', 'Failed'].includes(String(statusOf(r).phase)));
      },
      180_000,
    );
    expect(maxRunning).toBeLessThanOrEqual(2);
    for (const n of first.created) expect(statusOf(await run(e, n)), e.outputs.slice(-1).join('')).toMatchObject({ phase: 'Succeeded', balanced: true, counts: { matched: 2 } });
    const again = await backfill(e.kube, { namespace: NS, job: 'daily', from: '2024-01-02', to: '2024-01-04' }, () => undefined);
    expect(again).toEqual({ created: [], existing: first.created });
    const re = await rerun(e.kube, { namespace: NS, job: 'daily', date: '2024-01-03' }, () => undefined);
    expect(re).not.toBe(first.created[1]);
    await waitFor('the rerun', () => finished(e, re), 120_000);
    expect((await run(e, re))!.spec).toMatchObject({ trigger: 'Manual', window: ((await run(e, first.created[1]!))!.spec as { window: object }).window });
  });

  it('a user who edits the CronJob gets the operator\'s fields taken back (server-side apply), and keeps their own', async (ctx) => {
    const e = await env(ctx);
    const name = cronJobName('daily');
    await waitFor('the CronJob', () => e.get('batch/v1/cronjobs', NS, name));
    // What `kubectl edit` or a second apply by another manager does: change a field the operator owns, add one it does not.
    await e.cluster.apply({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: NS, labels: { 'team.example.com/owner': 'ops' } }, spec: { schedule: '5 5 * * *' } }, 'kubectl-edit');
    const back = await waitFor('the schedule taken back', async () => {
      const c = await e.get('batch/v1/cronjobs', NS, name);
      return (c?.spec as { schedule?: string } | undefined)?.schedule === '0 2 * * *' ? c : undefined;
    }, 30_000);
    expect(meta(back).labels?.['team.example.com/owner']).toBe('ops');
    const managers = ((back.metadata as { managedFields?: Array<{ manager: string }> }).managedFields ?? []).map((m) => m.manager);
    expect(managers).toEqual(expect.arrayContaining(['raas-operator', 'kubectl-edit']));
  });

  it('a run with a missing input fails with the stage and the reason', async (ctx) => {
    const e = await env(ctx);
    const { created } = await backfill(e.kube, { namespace: NS, job: 'daily', from: '2024-02-01', to: '2024-02-01' }, () => undefined);
    const s = await waitFor('the failed run', () => finished(e, created[0]!), 120_000);
    expect(s.phase).toBe('Failed');
    expect(String(s.message)).toMatch(/stage.*spec\.left\.uri: s3:\/\/ledger\/orders\/2024-02-01\.csv does not exist/);
    expect(s.failedStage).toBe('stage');
  });

  it('an invalid ReconJob is Ready=False with the reason while a valid one still runs, and Ready=True once fixed', async (ctx) => {
    const e = await env(ctx);
    await e.kube.createCustom('reconjobs', NS, reconJob('broken', { schedule: { cron: '0 0 5-1 * *' } }));
    const cond = await waitFor('Ready=False', () => readyCondition(e, 'broken', 'False'));
    expect(cond.reason).toBe('InvalidSpec');
    expect(cond.message).toMatch(/schedule\.cron/);
    expect(await e.get('batch/v1/cronjobs', NS, cronJobName('broken'))).toBeUndefined();

    const { created } = await backfill(e.kube, { namespace: NS, job: 'daily', from: '2024-01-01', to: '2024-01-01' }, () => undefined);
    await waitFor('the valid job still runs', () => finished(e, created[0]!), 120_000);

    await e.cluster.patch('reconjobs', NS, 'broken', { spec: { schedule: { cron: '0 3 * * *' } } });
    await waitFor('Ready=True after the fix', () => readyCondition(e, 'broken', 'True'));
    await waitFor('its CronJob', () => e.get('batch/v1/cronjobs', NS, cronJobName('broken')));
  });

  it('enforces the runner policy without the admission policy too: Ready=False naming the field, and no Job for its runs', async (ctx) => {
    const e = await env(ctx);
    await e.kube.createCustom('reconjobs', NS, reconJob('miner', { runner: { image: 'evil/miner:latest', serviceAccountName: 'cluster-admin', envFrom: [{ secretRef: { name: 's3-creds' } }] } }));
    const cond = await waitFor('Ready=False', () => readyCondition(e, 'miner', 'False'));
    expect(cond.message).toContain('spec.runner.image: "evil/miner:latest" is not allowed by the runner policy');
    expect(cond.message).toContain('spec.runner.serviceAccountName: "cluster-admin" is not allowed by the runner policy');
    await e.cluster.create('reconruns', NS, { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconRun', metadata: { name: 'miner-manual', namespace: NS }, spec: { jobRef: { name: 'miner' }, window: { start: '2024-01-02T00:00:00Z', end: '2024-01-03T00:00:00Z' }, trigger: 'Manual' } });
    // Another job's run still starts and finishes meanwhile: the forbidden one blocks nothing.
    const other = await rerun(e.kube, { namespace: NS, job: 'daily', date: '2024-01-02' }, () => undefined);
    await waitFor('the other run', () => finished(e, other), 120_000);
    expect(await e.list('batch/v1/jobs', NS, 'raas.dev/job=miner')).toEqual([]);
    expect(await e.get('batch/v1/cronjobs', NS, cronJobName('miner'))).toBeUndefined();
  });

  it('a user-made Scheduled ReconRun (no admission policy installed) blocks no manual run', async (ctx) => {
    const e = await env(ctx);
    await e.kube.createCustom('reconjobs', NS, reconJob('capped', { maxParallelRuns: 1 }));
    await waitFor('Ready', async () => statusOf(await job(e, 'capped')).observedGeneration !== undefined);
    for (const n of ['capped-fake-1', 'capped-fake-2']) {
      await e.cluster.create('reconruns', NS, { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconRun', metadata: { name: n, namespace: NS, labels: { 'raas.dev/job': 'capped' } }, spec: { jobRef: { name: 'capped' }, window: { start: '2024-01-02T00:00:00Z', end: '2024-01-03T00:00:00Z' }, trigger: 'Scheduled' } });
    }
    const real = await rerun(e.kube, { namespace: NS, job: 'capped', date: '2024-01-03' }, () => undefined);
    expect(await waitFor('the manual run', () => finished(e, real), 120_000)).toMatchObject({ phase: 'Succeeded' });
  });

  it('an operator restart mid-run loses and duplicates nothing', async (ctx) => {
    const e = await env(ctx);
    e.cluster.kubelet.pause();
    const name = await rerun(e.kube, { namespace: NS, job: 'daily', date: '2024-01-04' }, () => undefined);
    await waitFor('its Job', async () => (await e.list('batch/v1/jobs', NS, `raas.dev/run=${name}`))[0]);
    await e.restartOperator();
    e.cluster.kubelet.resume();
    const s = await waitFor('the run to finish after the restart', () => finished(e, name), 120_000);
    expect(s.phase).toBe('Succeeded');
    expect(await e.list('batch/v1/jobs', NS, `raas.dev/run=${name}`)).toHaveLength(1);
  });

  it('removing the schedule removes the CronJob; history limits prune old runs; results download', async (ctx) => {
    const e = await env(ctx);
    await e.kube.createCustom('reconjobs', NS, reconJob('pruned', { history: { successfulRuns: 1, failedRuns: 1 }, maxParallelRuns: 1 }));
    await waitFor('its CronJob', () => e.get('batch/v1/cronjobs', NS, cronJobName('pruned')));
    const { created } = await backfill(e.kube, { namespace: NS, job: 'pruned', from: '2024-01-02', to: '2024-01-03' }, () => undefined);
    await waitFor('one run left after pruning', async () => {
      const left = (await e.list('reconruns', NS)).filter((r) => (r.spec as { jobRef: { name: string } }).jobRef.name === 'pruned');
      return left.length === 1 && (await finished(e, meta(left[0]).name)) ? left : undefined;
    }, 180_000);
    // One at a time (maxParallelRuns 1), so the first window also finished first and is the one pruned.
    expect(await run(e, created[0]!)).toBeUndefined();
    // Its Job went with it: garbage collection by the real controller (owner: the ReconRun).
    await waitFor('the pruned run\'s Job collected', async () => (await e.list('batch/v1/jobs', NS, `raas.dev/run=${created[0]!}`)).length === 0, 60_000);
    const lines: string[] = [];
    const dl = join(tmpdir(), `raas-dl-${Date.now()}`);
    const saved = { ...process.env };
    Object.assign(process.env, e.s3.env);
    try {
      await results(e.kube, { namespace: NS, run: created[1]!, download: dl }, (l) => lines.push(l));
    } finally {
      process.env = saved;
    }
    expect(lines.join('\n')).toMatch(/matched\s+2/);
    expect(JSON.parse(await readFile(join(dl, 'summary.json'), 'utf8')).counts.matched).toBe(2);
    await rm(dl, { recursive: true, force: true });

    await e.cluster.patch('reconjobs', NS, 'pruned', { spec: { schedule: null } });
    await waitFor('the CronJob to be removed', async () => (await e.get('batch/v1/cronjobs', NS, cronJobName('pruned'))) === undefined);
    await waitFor('nextScheduleTime cleared', async () => statusOf(await job(e, 'pruned')).nextScheduleTime === undefined);
  });

  it('serves /healthz and /readyz', async (ctx) => {
    const e = await env(ctx);
    const base = `http://127.0.0.1:${e.operator.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ok\n');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('recovers when the API server restarts (every watch breaks) and still reports new runs', async (ctx) => {
    const e = await env(ctx);
    await e.cluster.cp.restartApiServer();
    const name = await rerun(e.kube, { namespace: NS, job: 'daily', date: '2024-01-02' }, () => undefined);
    const s = await waitFor('a run created after the restart', () => finished(e, name), 120_000);
    expect(s.phase).toBe('Succeeded');
  });

  it('deleting a ReconJob garbage-collects its CronJob, runs and their Jobs', async (ctx) => {
    const e = await env(ctx);
    await e.kube.createCustom('reconjobs', NS, reconJob('gone', { maxParallelRuns: 1 }));
    await waitFor('its CronJob', () => e.get('batch/v1/cronjobs', NS, cronJobName('gone')));
    const { created } = await backfill(e.kube, { namespace: NS, job: 'gone', from: '2024-01-02', to: '2024-01-02' }, () => undefined);
    await waitFor('the run', () => finished(e, created[0]!), 120_000);
    // Runs made by `kubectl recon backfill` are owned by their ReconJob, so they go with it.
    expect(meta(await run(e, created[0]!)).ownerReferences?.[0]).toMatchObject({ kind: 'ReconJob', name: 'gone' });
    expect(await e.cluster.delete('reconjobs', NS, 'gone', 'Foreground')).toBe(200);
    await waitFor('everything collected', async () => {
      const left = [await job(e, 'gone'), await e.get('batch/v1/cronjobs', NS, cronJobName('gone')), await run(e, created[0]!), ...(await e.list('batch/v1/jobs', NS, `raas.dev/job=gone`))];
      return left.every((x) => x === undefined);
    }, 90_000);
  });

  // Last in the file: the schedule set by the first test fires at the next whole minute while
  // the tests in between run, instead of a test waiting up to a minute for it.
  it('the real CronJob controller fires the scheduled run, with the window from its Job name', async (ctx) => {
    const e = await env(ctx);
    const { at } = await scheduleOrders(e);
    // The real CronJob controller creates <cronjob>-<minutes since epoch> at the scheduled minute.
    const k8sJob = await waitFor('the CronJob controller to create a Job', async () => (await e.list('batch/v1/jobs', NS, `raas.dev/job=orders`))[0], Math.max(0, at - Date.now()) + 90_000);
    const jobName = meta(k8sJob).name;
    const minutes = Number(/-(\d+)$/.exec(jobName)?.[1]);
    expect(minutes * 60_000).toBe(at);
    const scheduled = new Date(at);
    // A run fired at minute T covers the day before T (UTC).
    const windowDay = dayOf(new Date(Date.UTC(scheduled.getUTCFullYear(), scheduled.getUTCMonth(), scheduled.getUTCDate()) - 86_400_000));
    const s = await waitFor('the mirrored run to finish', () => finished(e, jobName), 120_000);
    expect((await run(e, jobName))!.spec).toMatchObject({ jobRef: { name: 'orders' }, trigger: 'Scheduled', window: { start: `${windowDay}T00:00:00+00:00` } });
    expect(s, e.outputs.slice(-2).join('\n')).toMatchObject({
      phase: 'Succeeded',
      balanced: false,
      counts: { left: 3, right: 3, matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 },
      diffTotals: { amount: '0.50' },
      results: { uri: `s3://results/orders/${windowDay}/`, summaryUri: `s3://results/orders/${windowDay}/summary.json` },
      jobName,
    });
    await waitFor('lastRun on the ReconJob', async () => (statusOf(await job(e, 'orders')).lastRun as { name?: string } | undefined)?.name === jobName);
  });
});

describe('metrics', { timeout: 240_000 }, () => {
  it('/metrics reports runs, failures, last-run counts and operator internals with bounded labels', async (ctx) => {
    const e = await env(ctx);
    const { default: parse } = await import('parse-prometheus-text-format');
    const res = await fetch(`http://127.0.0.1:${e.operator.port}/metrics`);
    expect(res.status).toBe(200);
    const families = parse(await res.text());
    const family = (name: string) => families.find((f) => f.name === name);
    const sample = (name: string, labels: Record<string, string>) => family(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    expect(Number(sample('raas_runs_total', { namespace: NS, job: 'daily', result: 'balanced' })?.value)).toBeGreaterThanOrEqual(1);
    expect(Number(sample('raas_last_run_balanced', { namespace: NS, job: 'daily' })?.value)).toBe(1);
    expect(Number(sample('raas_last_run_rows', { namespace: NS, job: 'daily', side: 'left' })?.value)).toBe(2);
    expect(Number(sample('raas_last_run_mismatched', { namespace: NS, job: 'daily' })?.value)).toBe(0);
    // `orders` runs once a day at the minute scheduleOrders chose: next is that minute, today or (once fired) tomorrow.
    const { at } = await scheduleOrders(e);
    const next = Number(sample('raas_job_next_schedule_timestamp_seconds', { namespace: NS, job: 'orders' })?.value) * 1000;
    expect([at, at + 86_400_000]).toContain(next);
    expect(next - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(family('raas_run_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(family('raas_reconcile_duration_seconds')?.metrics.some((m) => Number(m.buckets?.['+Inf']) > 0)).toBe(true);
    expect(sample('raas_workqueue_depth', { queue: 'reconruns' })).toBeDefined();
    expect(family('process_resident_memory_bytes')).toBeDefined();
    const allowed = new Set(['namespace', 'job', 'side', 'result', 'stage', 'sink', 'phase', 'kind', 'queue', 'informer', 'le', 'version', 'major', 'minor', 'patch', 'space', 'type']);
    for (const f of families.filter((x) => x.name.startsWith('raas_'))) {
      for (const m of f.metrics) for (const l of Object.keys(m.labels ?? {})) expect(allowed.has(l), `${f.name} has label ${l}`).toBe(true);
    }
    expect(JSON.stringify(families)).not.toMatch(/daily-2024/); // no run names in labels
  });

  it('counts a failed run by stage', async (ctx) => {
    const e = await env(ctx);
    const { created } = await backfill(e.kube, { namespace: NS, job: 'daily', from: '2024-03-01', to: '2024-03-01' }, () => undefined);
    await waitFor('the failed run', () => finished(e, created[0]!), 120_000);
    const { default: parse } = await import('parse-prometheus-text-format');
    const families = parse(await (await fetch(`http://127.0.0.1:${e.operator.port}/metrics`)).text());
    const failures = families.find((f) => f.name === 'raas_run_failures_total')?.metrics.find((m) => m.labels?.job === 'daily' && m.labels?.stage === 'stage');
    expect(Number(failures?.value)).toBeGreaterThanOrEqual(1);
    const failedRuns = families.find((f) => f.name === 'raas_runs_total')?.metrics.find((m) => m.labels?.job === 'daily' && m.labels?.result === 'failed');
    expect(Number(failedRuns?.value)).toBeGreaterThanOrEqual(1);
  });
});
