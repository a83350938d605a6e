// The operator end to end through the Kubernetes API test server: real HTTP, watches,
// CRD validation, the real runner in simulated pods, data in the S3 test server.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfill, rerun, results } from '../../operator/cli/recon-commands.ts';
import { cronJobName } from '../../operator/desired/names.ts';
import { s3ReconJob, startOperatorEnv, statusOf, waitFor, type OperatorEnv } from '../support/operator-env.ts';

let env: OperatorEnv;

const NS = 'finance';
const reconJob = (name: string, extra: Record<string, unknown> = {}) => s3ReconJob(name, NS, extra);

async function putDay(day: string, left: string, right: string): Promise<void> {
  await env.s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: `orders/${day}.csv`, Body: left }));
  await env.s3.client.send(new PutObjectCommand({ Bucket: 'psp', Key: `settlements/${day}.csv`, Body: right }));
}

const run = (name: string) => env.api.store.get('reconruns', NS, name);
const job = (name: string) => env.api.store.get('reconjobs', NS, name);
const finished = (name: string) => {
  const s = statusOf(run(name));
  return s.phase === 'Succeeded' || s.phase === 'Failed' ? s : undefined;
};

beforeAll(async () => {
  env = await startOperatorEnv();
  await putDay('2024-01-01', 'id,amount\n1,10.00\n2,20.00\n3,30.00\n', 'id,amount\n1,10.00\n2,20.50\n4,40.00\n');
  for (const d of ['2024-01-02', '2024-01-03', '2024-01-04']) await putDay(d, 'id,amount\n1,1.00\n2,2.00\n', 'id,amount\n1,1.00\n2,2.00\n');
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe('operator', { timeout: 180_000 }, () => {
  it('turns a scheduled ReconJob into a CronJob and a fired schedule into a Succeeded ReconRun', async () => {
    await env.kube.createCustom('reconjobs', NS, reconJob('orders'));
    const cron = await waitFor('the CronJob', () => env.api.store.get('batch/v1/cronjobs', NS, cronJobName('orders')));
    expect(cron.spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid' });
    expect((cron.metadata as { ownerReferences: Array<{ kind: string; name: string }> }).ownerReferences[0]).toMatchObject({ kind: 'ReconJob', name: 'orders' });
    await waitFor('Ready=True', () => (statusOf(job('orders')).conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'True'));
    // Not fired yet: the next run is the first 02:00 after the job was created.
    expect(Date.parse(String(statusOf(job('orders')).nextScheduleTime))).toBeGreaterThan(Date.now() - 60_000);
    expect(statusOf(job('orders')).nextScheduleTime).toMatch(/T02:00:00Z$/);

    // The CronJob fires at 2024-01-02T02:00Z: the run covers 2024-01-01.
    const k8sJob = env.sim.fireCronJob(NS, cronJobName('orders'), new Date('2024-01-02T02:00:00Z'));
    const runName = (k8sJob.metadata as { name: string }).name;
    const s = await waitFor('the mirrored run to finish', () => finished(runName), 90_000);
    expect(run(runName)!.spec).toMatchObject({ jobRef: { name: 'orders' }, trigger: 'Scheduled', window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' } });
    expect(s).toMatchObject({
      phase: 'Succeeded',
      balanced: false,
      counts: { left: 3, right: 3, matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 },
      diffTotals: { amount: '0.50' },
      results: { uri: 's3://results/orders/2024-01-01/', summaryUri: 's3://results/orders/2024-01-01/summary.json' },
      jobName: runName,
    });
    await waitFor('lastRun on the ReconJob', () => (statusOf(job('orders')).lastRun as { name?: string } | undefined)?.name === runName);
  });

  it('backfills three days, deterministically, at most maxParallelRuns at a time', async () => {
    await env.kube.createCustom('reconjobs', NS, reconJob('daily', { maxParallelRuns: 2 }));
    await waitFor('Ready', () => statusOf(job('daily')).observedGeneration !== undefined);
    const lines: string[] = [];
    const first = await backfill(env.kube, { namespace: NS, job: 'daily', from: '2024-01-02', to: '2024-01-04' }, (l) => lines.push(l));
    expect(first.created).toHaveLength(3);
    let maxRunning = 0;
    await waitFor(
      'three finished runs',
      () => {
        const running = first.created.filter((n) => statusOf(run(n)).phase === 'Running').length;
        maxRunning = Math.max(maxRunning, running);
        return first.created.every((n) => finished(n));
      },
      120_000,
    );
    expect(maxRunning).toBeLessThanOrEqual(2);
    for (const n of first.created) expect(statusOf(run(n))).toMatchObject({ phase: 'Succeeded', balanced: true, counts: { matched: 2 } });
    const again = await backfill(env.kube, { namespace: NS, job: 'daily', from: '2024-01-02', to: '2024-01-04' }, () => undefined);
    expect(again).toEqual({ created: [], existing: first.created });
    // A rerun is a new run of the same window.
    const re = await rerun(env.kube, { namespace: NS, job: 'daily', date: '2024-01-03' }, () => undefined);
    expect(re).not.toBe(first.created[1]);
    await waitFor('the rerun', () => finished(re), 90_000);
    expect(run(re)!.spec).toMatchObject({ trigger: 'Manual', window: (run(first.created[1]!)!.spec as { window: object }).window });
  });

  it('a run with a missing input fails with the stage and the reason', async () => {
    const lines: string[] = [];
    const { created } = await backfill(env.kube, { namespace: NS, job: 'daily', from: '2024-02-01', to: '2024-02-01' }, (l) => lines.push(l));
    const s = await waitFor('the failed run', () => finished(created[0]!), 90_000);
    expect(s.phase).toBe('Failed');
    expect(String(s.message)).toMatch(/stage.*spec\.left\.uri: s3:\/\/ledger\/orders\/2024-02-01\.csv does not exist/);
    expect(s.failedStage).toBe('stage');
  });

  it('an invalid ReconJob is Ready=False with the reason while a valid one still runs, and Ready=True once fixed', async () => {
    await env.kube.createCustom('reconjobs', NS, reconJob('broken', { schedule: { cron: '61 * * * *' } }));
    const cond = await waitFor('Ready=False', () => (statusOf(job('broken')).conditions as Array<Record<string, string>> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'False'));
    expect(cond.reason).toBe('InvalidSpec');
    expect(cond.message).toMatch(/schedule\.cron/);
    expect(env.api.store.get('batch/v1/cronjobs', NS, cronJobName('broken'))).toBeUndefined();

    const { created } = await backfill(env.kube, { namespace: NS, job: 'daily', from: '2024-01-01', to: '2024-01-01' }, () => undefined);
    await waitFor('the valid job still runs', () => finished(created[0]!), 90_000);

    const current = job('broken')!;
    await env.kube.objects.replace({ ...current, spec: { ...(current.spec as object), schedule: { cron: '0 3 * * *' } } } as never);
    await waitFor('Ready=True after the fix', () => (statusOf(job('broken')).conditions as Array<Record<string, string>> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'True'));
    await waitFor('its CronJob', () => env.api.store.get('batch/v1/cronjobs', NS, cronJobName('broken')));
  });

  it('an operator restart mid-run loses and duplicates nothing', async () => {
    env.sim.pause();
    const { created } = await backfill(env.kube, { namespace: NS, job: 'daily', from: '2024-01-04', to: '2024-01-04' }, () => undefined);
    // This window was backfilled before: use the rerun to get a fresh run.
    const name = created[0] ?? (await rerun(env.kube, { namespace: NS, job: 'daily', date: '2024-01-04' }, () => undefined));
    await waitFor('its Job', () => env.api.store.list('batch/v1/jobs', NS).find((j) => (j.metadata as { labels?: Record<string, string> }).labels?.['raas.dev/run'] === name));
    await env.restartOperator();
    env.sim.resume();
    const s = await waitFor('the run to finish after the restart', () => finished(name), 90_000);
    expect(s.phase).toBe('Succeeded');
    const jobs = env.api.store.list('batch/v1/jobs', NS).filter((j) => (j.metadata as { labels?: Record<string, string> }).labels?.['raas.dev/run'] === name);
    expect(jobs).toHaveLength(1);
  });

  it('removing the schedule removes the CronJob; history limits prune old runs; results download', async () => {
    await env.kube.createCustom('reconjobs', NS, reconJob('pruned', { history: { successfulRuns: 1, failedRuns: 1 }, maxParallelRuns: 1 }));
    await waitFor('its CronJob', () => env.api.store.get('batch/v1/cronjobs', NS, cronJobName('pruned')));
    const { created } = await backfill(env.kube, { namespace: NS, job: 'pruned', from: '2024-01-02', to: '2024-01-03' }, () => undefined);
    await waitFor('one run left after pruning', () => {
      const left = env.api.store.list('reconruns', NS).filter((r) => (r.spec as { jobRef: { name: string } }).jobRef.name === 'pruned');
      return left.length === 1 && finished(left[0]!.metadata!.name as string) ? left : undefined;
    }, 120_000);
    // One at a time (maxParallelRuns 1), so the first window also finished first and is the one pruned.
    expect(run(created[0]!)).toBeUndefined();
    const lines: string[] = [];
    const dl = join(tmpdir(), `raas-dl-${Date.now()}`);
    const saved = { ...process.env };
    Object.assign(process.env, env.s3.env);
    try {
      await results(env.kube, { namespace: NS, run: created[1]!, download: dl }, (l) => lines.push(l));
    } finally {
      process.env = saved;
    }
    expect(lines.join('\n')).toMatch(/matched\s+2/);
    expect(JSON.parse(await readFile(join(dl, 'summary.json'), 'utf8')).counts.matched).toBe(2);
    await rm(dl, { recursive: true, force: true });

    const current = job('pruned')!;
    const spec = { ...(current.spec as Record<string, unknown>) };
    delete spec.schedule;
    await env.kube.objects.replace({ ...current, spec } as never);
    await waitFor('the CronJob to be removed', () => env.api.store.get('batch/v1/cronjobs', NS, cronJobName('pruned')) === undefined);
    expect(statusOf(job('pruned')).nextScheduleTime).toBeUndefined();
  });

  it('serves /healthz and /readyz', async () => {
    const base = `http://127.0.0.1:${env.operator.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ok\n');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('recovers from expired watches (410 Gone) and still reports new runs', async () => {
    env.api.store.expireWatches();
    const name = await rerun(env.kube, { namespace: NS, job: 'daily', date: '2024-01-02' }, () => undefined);
    const s = await waitFor('a run created after the watches expired', () => finished(name), 90_000);
    expect(s.phase).toBe('Succeeded');
  });
});

describe('metrics', { timeout: 180_000 }, () => {
  it('/metrics reports runs, failures, last-run counts and operator internals with bounded labels', async () => {
    const { default: parse } = await import('parse-prometheus-text-format');
    const res = await fetch(`http://127.0.0.1:${env.operator.port}/metrics`);
    expect(res.status).toBe(200);
    const families = parse(await res.text());
    const family = (name: string) => families.find((f) => f.name === name);
    const sample = (name: string, labels: Record<string, string>) =>
      family(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    // The operator restarted during the suite; what it saw since then is enough to check each kind of metric.
    expect(Number(sample('raas_runs_total', { namespace: NS, job: 'daily', result: 'balanced' })?.value)).toBeGreaterThanOrEqual(1);
    expect(Number(sample('raas_last_run_balanced', { namespace: NS, job: 'daily' })?.value)).toBe(1);
    expect(Number(sample('raas_last_run_rows', { namespace: NS, job: 'daily', side: 'left' })?.value)).toBe(2);
    expect(Number(sample('raas_last_run_mismatched', { namespace: NS, job: 'daily' })?.value)).toBe(0);
    // The next run is due after the last one the CronJob scheduled (2024-01-02T02:00Z, fired
    // by the first test): 2024-01-03T02:00Z, long past, which is what the overdue alert sees.
    expect(Number(sample('raas_job_next_schedule_timestamp_seconds', { namespace: NS, job: 'orders' })?.value)).toBe(Date.UTC(2024, 0, 3, 2) / 1000);
    expect(family('raas_run_duration_seconds')?.type).toBe('HISTOGRAM');
    // (This parser keeps a histogram's buckets but not its labels.)
    expect(family('raas_reconcile_duration_seconds')?.metrics.some((m) => Number(m.buckets?.['+Inf']) > 0)).toBe(true);
    expect(sample('raas_workqueue_depth', { queue: 'reconruns' })).toBeDefined();
    expect(Number(sample('raas_watch_restarts_total', { informer: 'reconruns' })?.value ?? 0)).toBeGreaterThanOrEqual(0);
    expect(family('process_resident_memory_bytes')).toBeDefined();
    const allowed = new Set(['namespace', 'job', 'side', 'result', 'stage', 'sink', 'phase', 'kind', 'queue', 'informer', 'le', 'version', 'major', 'minor', 'patch', 'space', 'type', 'kind']);
    for (const f of families.filter((x) => x.name.startsWith('raas_'))) {
      for (const m of f.metrics) for (const l of Object.keys(m.labels ?? {})) expect(allowed.has(l), `${f.name} has label ${l}`).toBe(true);
    }
    const text = JSON.stringify(families);
    expect(text).not.toMatch(/daily-2024/); // no run names in labels
  });

  it('counts a failed run by stage', async () => {
    const { created } = await backfill(env.kube, { namespace: NS, job: 'daily', from: '2024-03-01', to: '2024-03-01' }, () => undefined);
    await waitFor('the failed run', () => finished(created[0]!), 90_000);
    const { default: parse } = await import('parse-prometheus-text-format');
    const families = parse(await (await fetch(`http://127.0.0.1:${env.operator.port}/metrics`)).text());
    const failures = families.find((f) => f.name === 'raas_run_failures_total')?.metrics.find((m) => m.labels?.job === 'daily' && m.labels?.stage === 'stage');
    expect(Number(failures?.value)).toBeGreaterThanOrEqual(1);
    const failedRuns = families.find((f) => f.name === 'raas_runs_total')?.metrics.find((m) => m.labels?.job === 'daily' && m.labels?.result === 'failed');
    expect(Number(failedRuns?.value)).toBeGreaterThanOrEqual(1);
  });
});
