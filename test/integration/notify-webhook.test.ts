// Notifications end to end through the operator (real control plane, process kubelet
// running the real runner, S3 test server) to a real webhook server on 127.0.0.1 that
// refuses each event once (500) before accepting it.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { NOT_CONFIGURED_KAFKA } from '../../operator/notify/notifier.ts';
import { s3ReconJob, startOperatorEnv, statusOf, uniqueNamespace, waitFor, type OperatorEnv } from '../support/operator-env.ts';
import type { NotificationRecord } from '../../operator/api/reconrun.ts';

// On the run's shared control plane: this file's two namespaces, named before the operator
// starts because the chart values name them.
const NS = uniqueNamespace('finance');
const SALES = uniqueNamespace('sales');
let env: OperatorEnv;
let server: Server;
let base: string;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}
const received: Received[] = [];
const refusedOnce = new Set<string>();


const reconJob = (name: string, notify: unknown[]) => s3ReconJob(name, NS, { notify }, { team: 'payments' });

const runStatus = async (name: string) => statusOf(await env.get('reconruns', NS, name));
const records = async (name: string) => ((await runStatus(name)).notifications ?? []) as NotificationRecord[];
const accepted = (path: string) => received.filter((r) => r.path === path && r.status === 200);

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const { default: parse } = await import('parse-prometheus-text-format');
  const families = parse(await (await fetch(`http://127.0.0.1:${env.operator.port}/metrics`)).text());
  const m = families.find((f) => f.name === name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return Number(m?.value ?? 0);
}

/** How many ReconRun reconciles this operator process has finished (from its own histogram). */
async function runReconciles(): Promise<number> {
  const text = await env.operator.metrics.registry.getSingleMetricAsString('raas_reconcile_duration_seconds');
  return Number(/raas_reconcile_duration_seconds_count\{kind="reconrun"\} (\d+)/.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      // Each distinct event is refused once, as by a receiver that is briefly down.
      const key = `${req.url} ${body}`;
      const status = refusedOnce.has(key) ? 200 : 500;
      refusedOnce.add(key);
      received.push({ path: req.url ?? '', headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 500 ? 'try again later' : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The receiver is on 127.0.0.1 and the hook Secret in NS: both must be allowed by chart
  // values. The operator watches NS and SALES (a namespace not opted in to Secret reads).
  env = await startOperatorEnv({
    shared: true,
    namespace: NS,
    namespaces: [NS, SALES],
    notifyRetry: { baseMs: 300 },
    chartValues: [`notifications.secretNamespaces={${NS}}`],
    operatorEnv: { RAAS_WEBHOOK_ALLOW_DESTINATIONS: 'loopback' },
  });
  await env.s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: 'orders/2024-01-01.csv', Body: 'id,amount\n1,10.00\n2,20.00\n3,30.00\n' }));
  await env.s3.client.send(new PutObjectCommand({ Bucket: 'psp', Key: 'settlements/2024-01-01.csv', Body: 'id,amount\n1,10.00\n2,20.50\n4,40.00\n' }));
  await env.cluster.secret(NS, 'hook', { url: `${base}/events/T000/secret-token`, slack: `${base}/slack/T000/secret-token` });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe('webhook notifications', { timeout: 180_000 }, () => {
  let runName = '';
  let uid = '';

  it('delivers each event once after a 500, records attempts 2 and delivered in status, in CloudEvents and Slack format', async () => {
    await env.kube.createCustom(
      'reconjobs',
      NS,
      reconJob('payments', [
        { webhook: { secretRef: { name: 'hook' } }, on: ['Succeeded', 'Unbalanced'] },
        { webhook: { secretRef: { name: 'hook', key: 'slack' }, format: 'slack' }, events: ['Unbalanced'], match: { labels: { team: 'payments' } } },
        // Routed away: the name does not match, so no Started event is ever recorded.
        { webhook: { secretRef: { name: 'hook' } }, on: ['Started'], match: { namePattern: 'orders-*' } },
      ]),
    );
    await waitFor('the job to be Ready', async () => statusOf(await env.get('reconjobs', NS, 'payments')).observedGeneration !== undefined);
    const { created } = await backfill(env.kube, { namespace: NS, job: 'payments', from: '2024-01-01', to: '2024-01-01' }, () => undefined);
    runName = created[0]!;
    uid = ((await env.get('reconruns', NS, runName))!.metadata as { uid: string }).uid;

    const final = await waitFor('all three deliveries recorded', async () => {
      const rs = await records(runName);
      return rs.length === 3 && rs.every((r) => r.delivered) ? rs : undefined;
    }, 90_000);
    const s = await runStatus(runName);
    expect(s).toMatchObject({ phase: 'Succeeded', balanced: false });
    expect(final.map((r) => `${r.sink} ${r.event}`).sort()).toEqual(['slack:hook/slack Unbalanced', 'webhook:hook Succeeded', 'webhook:hook Unbalanced']);
    for (const r of final) {
      expect(r).toMatchObject({ id: `${uid}.${r.event}`, delivered: true, attempts: 2 });
      expect(r).not.toHaveProperty('lastError');
      expect(Date.parse(r.time!)).toBeGreaterThan(0);
    }

    // Exactly one accepted CloudEvent per event, each refused once before.
    const events = accepted('/events/T000/secret-token');
    expect(events).toHaveLength(2);
    expect(received.filter((r) => r.path.startsWith('/events/') && r.status === 500)).toHaveLength(2);
    const byType = Object.fromEntries(events.map((e) => [JSON.parse(e.body).type as string, e]));
    expect(Object.keys(byType).sort()).toEqual(['dev.raas.run.succeeded', 'dev.raas.run.unbalanced']);
    for (const [type, e] of Object.entries(byType)) {
      expect(e.headers['content-type']).toBe('application/cloudevents+json');
      const ce = JSON.parse(e.body);
      const event = type === 'dev.raas.run.succeeded' ? 'Succeeded' : 'Unbalanced';
      expect(ce).toMatchObject({
        specversion: '1.0',
        id: `${uid}.${event}`,
        source: `/apis/raas.dev/v1alpha1/namespaces/${NS}/reconjobs/payments`,
        subject: `${NS}/${runName}`,
        datacontenttype: 'application/json',
        time: new Date(String(s.completionTime)).toISOString(),
        data: {
          job: 'payments',
          namespace: NS,
          run: runName,
          trigger: 'Backfill',
          window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' },
          phase: 'Succeeded',
          balanced: false,
          counts: { left: 3, right: 3, matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 },
          mismatchedByColumn: { amount: 1 },
          diffTotals: { amount: '0.50' },
          results: { uri: 's3://results/payments/2024-01-01/', summaryUri: 's3://results/payments/2024-01-01/summary.json' },
        },
      });
    }
    const slack = accepted('/slack/T000/secret-token');
    expect(slack).toHaveLength(1);
    expect(slack[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(slack[0]!.body)).toEqual({
      text: `raas: ${NS}/payments run ${runName} unbalanced (window 2024-01-01T00:00:00+00:00 to 2024-01-02T00:00:00+00:00, Backfill): matched 1, mismatched 1, left-only 1, right-only 1; diff totals amount 0.50; results s3://results/payments/2024-01-01/`,
    });

    // The failed attempts are Warning Events on the run, and counted by sink and result.
    const warnings = (await env.list('v1/events', NS))
      .filter((e) => (e.involvedObject as { name?: string }).name === runName && e.reason === 'NotificationFailed');
    expect(warnings).toHaveLength(3);
    expect(String(warnings[0]!.message)).toMatch(/attempt 1 failed: webhook at http:\/\/127\.0\.0\.1:\d+ answered 500 Internal Server Error; next attempt in \d+ s/);
    expect(JSON.stringify(warnings) + JSON.stringify(final)).not.toContain('try again later'); // never the receiver's body
    expect(JSON.stringify(warnings)).not.toContain('secret-token');
    expect(await metric('raas_notifications_total', { namespace: NS, job: 'payments', sink: 'webhook:hook', result: 'failed' })).toBe(2);
    expect(await metric('raas_notifications_total', { namespace: NS, job: 'payments', sink: 'webhook:hook', result: 'delivered' })).toBe(2);
    expect(await metric('raas_notifications_total', { namespace: NS, job: 'payments', sink: 'slack:hook/slack', result: 'delivered' })).toBe(1);
  });

  it('an operator restart afterwards re-sends nothing', async () => {
    const before = received.length;
    await env.restartOperator();
    // Two full passes over every run by the new process (the start and a 2 s resync) is
    // when a lost record would have been re-sent.
    await waitFor('two reconciles of the run by the new operator', async () => (await runReconciles()) >= 2 && env.operator.operator.runQueue.depth === 0, 30_000);
    await env.operator.operator.runQueue.idle();
    expect(received.length).toBe(before);
    expect((await records(runName)).every((r) => r.delivered && r.attempts === 2)).toBe(true);
  });

  it('a kafka entry without a configured Kafka is a recorded failure, not a crash', async () => {
    await env.kube.createCustom('reconjobs', NS, reconJob('no-kafka', [{ kafka: { topic: 'recon-events' }, events: ['Succeeded'] }]));
    await waitFor('the job to be Ready', async () => statusOf(await env.get('reconjobs', NS, 'no-kafka')).observedGeneration !== undefined);
    const { created } = await backfill(env.kube, { namespace: NS, job: 'no-kafka', from: '2024-01-01', to: '2024-01-01' }, () => undefined);
    const rec = await waitFor('the failed delivery in status', async () => (await records(created[0]!)).find((r) => r.attempts >= 1), 90_000);
    expect(rec).toMatchObject({ sink: 'kafka:recon-events', event: 'Succeeded', delivered: false, lastError: NOT_CONFIGURED_KAFKA });
    expect((await runStatus(created[0]!)).phase).toBe('Succeeded');
    expect(await metric('raas_notifications_total', { namespace: NS, job: 'no-kafka', sink: 'kafka:recon-events', result: 'failed' })).toBeGreaterThanOrEqual(1);
  });

  it('a namespace not opted in to Secret reads, and a metadata-service URL: recorded failures that say what to change', async () => {
    await env.cluster.namespace(SALES);
    await env.cluster.secret(SALES, 's3-creds', env.s3.env);
    await env.cluster.secret(SALES, 'hook', { url: `${base}/events/sales/secret-token` });
    await env.cluster.secret(NS, 'metadata-hook', { url: 'http://169.254.169.254/latest/meta-data/iam' });
    await env.kube.createCustom('reconjobs', SALES, s3ReconJob('sales-job', SALES, { notify: [{ webhook: { secretRef: { name: 'hook' } }, events: ['Succeeded'] }] }));
    await env.kube.createCustom('reconjobs', NS, reconJob('ssrf', [{ webhook: { secretRef: { name: 'metadata-hook' } }, events: ['Succeeded'] }]));
    for (const [ns, job] of [[SALES, 'sales-job'], [NS, 'ssrf']] as const) {
      await waitFor('the job to be Ready', async () => statusOf(await env.get('reconjobs', ns, job)).observedGeneration !== undefined);
    }
    const sales = (await backfill(env.kube, { namespace: SALES, job: 'sales-job', from: '2024-01-01', to: '2024-01-01' }, () => undefined)).created[0]!;
    const ssrf = (await backfill(env.kube, { namespace: NS, job: 'ssrf', from: '2024-01-01', to: '2024-01-01' }, () => undefined)).created[0]!;
    const salesRec = await waitFor('the refused Secret read in status', async () => {
      const rs = (statusOf(await env.get('reconruns', SALES, sales)).notifications ?? []) as NotificationRecord[];
      return rs.find((r) => r.attempts >= 1);
    }, 90_000);
    expect(salesRec).toMatchObject({ delivered: false });
    expect(salesRec.lastError).toContain(`the operator may not read Secret ${SALES}/hook (webhook secretRef): add ${SALES} to the chart value notifications.secretNamespaces`);
    const ssrfRec = await waitFor('the refused destination in status', async () => (await records(ssrf)).find((r) => r.attempts >= 1), 90_000);
    expect(ssrfRec.lastError).toMatch(/link-local address \(169\.254\.169\.254\); the operator refuses link-local destinations unless the chart allows them/);
    expect(JSON.stringify(ssrfRec)).not.toContain('meta-data');
    expect(received.filter((r) => r.path.includes('/sales/'))).toEqual([]);
  });
});

