// Kafka notifications end to end: the operator (real control plane, process kubelet
// running the real runner) sends CloudEvents to a real Apache Kafka broker (KRaft, on
// 127.0.0.1), read back with a kafkajs consumer. Then the broker dies before a run finishes:
// the failure shows in status and metrics, and once the broker is back every event of the
// run is in the topic exactly once.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { Kube, loadKubeConfig } from '../../operator/kube/client.ts';
import { startKafkaBroker, type KafkaBroker } from '../support/kafka/broker.ts';
import { s3ReconJob, startOperatorEnv, statusOf, waitFor, type OperatorEnv } from '../support/operator-env.ts';
import { RAAS_BIN } from '../support/run-cli.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';
import type { NotificationRecord } from '../../operator/api/reconrun.ts';

const NS = 'finance';
const TOPIC = 'recon-events';

const kafkaBroker = sharedService('Kafka broker', startKafkaBroker, (b) => b.stop());
const operatorEnv = sharedService(
  'operator test environment',
  async () => {
    // The broker first: the operator is configured with its address, as through Helm.
    const broker = await brokerPromise!;
    // Short backoff so the retries after the outage come within seconds, not minutes.
    const env = await startOperatorEnv({ kafkaBrokers: broker.brokers.join(','), notifyRetry: { baseMs: 500, maxMs: 2_000 } });
    for (const day of ['2024-01-01', '2024-01-02']) {
      await env.s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: `orders/${day}.csv`, Body: 'id,amount\n1,10.00\n2,20.00\n3,30.00\n' }));
      await env.s3.client.send(new PutObjectCommand({ Bucket: 'psp', Key: `settlements/${day}.csv`, Body: 'id,amount\n1,10.00\n2,20.50\n4,40.00\n' }));
    }
    await env.kube.createCustom('reconjobs', NS, s3ReconJob('orders', NS, { notify: [{ kafka: { topic: TOPIC }, on: ['Started', 'Succeeded', 'Failed', 'Balanced', 'Unbalanced'] }] }));
    await waitFor('the job to be Ready', async () => statusOf(await env.get('reconjobs', NS, 'orders')).observedGeneration !== undefined);
    return env;
  },
  (env) => env.stop(),
);
let brokerPromise: Promise<KafkaBroker> | undefined;

async function setup(ctx: SkipContext): Promise<{ broker: KafkaBroker; env: OperatorEnv }> {
  brokerPromise ??= kafkaBroker(ctx);
  const broker = await brokerPromise;
  return { broker, env: await operatorEnv(ctx) };
}


interface ReadMessage {
  key: string;
  headers: Record<string, string>;
  event: { id: string; type: string; subject: string; specversion: string; source: string; data: Record<string, unknown> };
}

/** Every message in the topic, read by a fresh consumer group up to the current end. */
async function readTopic(brokers: string[], topic = TOPIC): Promise<ReadMessage[]> {
  const kafka = new Kafka({ brokers, clientId: 'raas-test-reader', logLevel: logLevel.NOTHING, connectionTimeout: 2_000, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 } });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const end = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  const out: ReadMessage[] = [];
  const consumer = kafka.consumer({ groupId: `raas-test-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<number, number>();
    const caughtUp = () => [...end].every(([p, high]) => (seen.get(p) ?? 0) >= high);
    await new Promise<void>((resolve, reject) => {
      if (caughtUp()) return resolve();
      const timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach offsets ${JSON.stringify([...end])} within 30 s`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.set(partition, Number(message.offset) + 1);
            out.push({
              key: message.key?.toString() ?? '',
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
              event: JSON.parse(message.value?.toString() ?? 'null'),
            });
            if (caughtUp()) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

const records = async (env: OperatorEnv, run: string) => (statusOf(await env.get('reconruns', NS, run)).notifications ?? []) as NotificationRecord[];

async function failedMetric(env: OperatorEnv): Promise<number> {
  const { default: parse } = await import('parse-prometheus-text-format');
  const families = parse(await (await fetch(`http://127.0.0.1:${env.operator.port}/metrics`)).text());
  const m = families.find((f) => f.name === 'raas_notifications_total')?.metrics.find((x) => x.labels?.sink === `kafka:${TOPIC}` && x.labels?.result === 'failed');
  return Number(m?.value ?? 0);
}

describe('Kafka notifications', { timeout: 240_000 }, () => {
  it('sends the events of a run as structured CloudEvents keyed by the run name', async (ctx) => {
    const { broker, env } = await setup(ctx);
    const { created } = await backfill(env.kube, { namespace: NS, job: 'orders', from: '2024-01-01', to: '2024-01-01' }, () => undefined);
    const run = created[0]!;
    const uid = ((await env.get('reconruns', NS, run))!.metadata as { uid: string }).uid;
    const recs = await waitFor('every event delivered', async () => {
      const rs = await records(env, run);
      return rs.some((r) => r.event === 'Unbalanced') && rs.every((r) => r.delivered) ? rs : undefined;
    }, 120_000);
    expect(recs.map((r) => r.event)).toEqual(expect.arrayContaining(['Succeeded', 'Unbalanced']));
    expect(recs.map((r) => r.event)).not.toContain('Balanced');
    // First time right, although the topic did not exist: the broker creates it on first use.
    const failures = (await env.list('v1/events', NS)).filter((e) => e.reason === 'NotificationFailed').map((e) => e.message);
    for (const r of recs) expect(r, JSON.stringify(failures)).toMatchObject({ sink: `kafka:${TOPIC}`, id: `${uid}.${r.event}`, delivered: true, attempts: 1 });

    const mine = (await readTopic(broker.brokers)).filter((m) => m.key === run);
    expect(mine.map((m) => m.event.id).sort()).toEqual(recs.map((r) => r.id).sort());
    const unbalanced = mine.find((m) => m.event.type === 'dev.raas.run.unbalanced')!;
    expect(unbalanced.headers['content-type']).toBe('application/cloudevents+json');
    expect(unbalanced.event).toMatchObject({
      specversion: '1.0',
      id: `${uid}.Unbalanced`,
      source: `/apis/raas.dev/v1alpha1/namespaces/${NS}/reconjobs/orders`,
      subject: `${NS}/${run}`,
      data: { job: 'orders', run, trigger: 'Backfill', phase: 'Succeeded', balanced: false, counts: { matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 }, diffTotals: { amount: '0.50' } },
    });
  });

  it('a broker that is down is retried: the failure shows in status and metrics, then each event arrives exactly once', async (ctx) => {
    const { broker, env } = await setup(ctx);
    env.cluster.kubelet.pause();
    const { created } = await backfill(env.kube, { namespace: NS, job: 'orders', from: '2024-01-02', to: '2024-01-02' }, () => undefined);
    const run = created[0]!;
    await waitFor('its Job', async () => (await env.list('batch/v1/jobs', NS, `raas.dev/run=${run}`))[0]);
    // The pod is bound but not running (the kubelet is paused), so the run is still Pending:
    // every event of this run is sent into a dead broker.
    expect(statusOf(await env.get('reconruns', NS, run)).phase).not.toBe('Running');
    await broker.kill();
    env.cluster.kubelet.resume();

    const failed = await waitFor('a failed delivery in status', async () => (await records(env, run)).find((r) => r.event === 'Unbalanced' && r.attempts >= 1 && !r.delivered), 120_000);
    expect(failed.lastError).toMatch(/Kafka/);
    expect(await failedMetric(env)).toBeGreaterThanOrEqual(1);
    expect(statusOf(await env.get('reconruns', NS, run)).phase).toBe('Succeeded');

    await broker.restart();
    const recs = await waitFor('every event delivered after the restart', async () => {
      const rs = await records(env, run);
      return rs.length > 0 && rs.every((r) => r.delivered) ? rs : undefined;
    }, 120_000);
    expect(recs.find((r) => r.event === 'Unbalanced')!.attempts).toBeGreaterThanOrEqual(2);

    const mine = (await readTopic(broker.brokers)).filter((m) => m.key === run);
    const ids = mine.map((m) => m.event.id).sort();
    expect(ids).toEqual(recs.map((r) => r.id).sort()); // exactly one message per event id
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('raas sandbox --kafka-brokers sends the sandbox\'s notifications to that Kafka', async (ctx) => {
    const { broker } = await setup(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'raas-sandbox-kafka-'));
    const kubeconfig = join(dir, 'kubeconfig');
    let printed = '';
    const child = spawn(process.execPath, [RAAS_BIN, 'sandbox', '--kubeconfig', kubeconfig, '--log-level', 'warn', '--kafka-brokers', broker.brokers.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (printed += d.toString()));
    child.stderr.on('data', (d: Buffer) => (printed += d.toString()));
    try {
      await waitFor('the sandbox kubeconfig and its banner', () => (existsSync(kubeconfig) && printed.includes('stop with Ctrl-C')) || child.exitCode !== null, 90_000);
      expect(child.exitCode, printed).toBeNull();
      expect(printed).toContain(`send CloudEvents to Kafka at ${broker.brokers.join(',')}`);
      const kube = new Kube(loadKubeConfig(kubeconfig));
      const manifest = YAML.parse(await readFile('examples/sandbox/reconjob.yaml', 'utf8')) as { metadata: { name: string }; spec: Record<string, unknown> };
      manifest.spec.notify = [{ kafka: { topic: 'sandbox-events' }, events: ['Succeeded'] }];
      await kube.createCustom('reconjobs', 'default', manifest);
      await waitFor('the job to be Ready', async () => {
        const jobs = await kube.listCustom<{ status?: { observedGeneration?: number } }>('reconjobs', 'default');
        return jobs.items[0]?.status?.observedGeneration !== undefined;
      });
      const { created } = await backfill(kube, { namespace: 'default', job: manifest.metadata.name, from: '2024-01-01', to: '2024-01-01' }, () => undefined);
      const run = created[0]!;
      await waitFor('the Succeeded event delivered', async () => {
        const rr = (await kube.listCustom<{ metadata: { name: string }; status?: { notifications?: NotificationRecord[] } }>('reconruns', 'default')).items.find((r) => r.metadata.name === run);
        return rr?.status?.notifications?.some((n) => n.delivered);
      }, 120_000);
      const got = (await readTopic(broker.brokers, 'sandbox-events')).filter((m) => m.key === run);
      expect(got.map((m) => m.event.type)).toEqual(['dev.raas.run.succeeded']);
      expect(got[0]!.event.subject).toBe(`default/${run}`);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
