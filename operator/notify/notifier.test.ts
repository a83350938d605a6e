// The Notifier's bookkeeping between a send and the status write that records it, with a
// real webhook server on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationRecord, NotifySpec, RunRef } from './events.ts';
import { NOT_CONFIGURED_KAFKA, Notifier } from './notifier.ts';
import { withNewEvents } from './routing.ts';

let server: Server;
let url: string;
const bodies: string[] = [];
let nextStatus = 200;
let hold: Promise<void> | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      void (hold ?? Promise.resolve()).then(() => res.writeHead(nextStatus).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const run: RunRef = { name: 'r1', namespace: 'finance', uid: 'uid-1', job: 'orders', trigger: 'Manual', window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' } };
const job = { name: 'orders', namespace: 'finance' };
const notify: NotifySpec[] = [{ webhook: { secretRef: { name: 'hook' } }, on: ['Failed'] }, { kafka: { topic: 'recon' }, on: ['Failed'] }];
const status = { phase: 'Failed' as const, message: 'boom', failedStage: 'stage' };

function setup() {
  const settled: string[] = [];
  const metrics: string[] = [];
  const warnings: string[] = [];
  const n = new Notifier({
    log: pino({ level: 'silent' }),
    readSecret: async () => ({ url }),
    // The receiver is a server on 127.0.0.1, which the chart must allow explicitly.
    allowDestinations: new Set(['loopback'] as const),
    metrics: { notification: (ns, j, sink, ok) => metrics.push(`${ns}/${j} ${sink} ${ok ? 'delivered' : 'failed'}`) },
    warn: async (_run, reason, message) => void warnings.push(`${reason}: ${message}`),
    retry: { baseMs: 1_000 },
    onSettled: (k) => settled.push(k),
  });
  return { n, settled, metrics, warnings };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Notifier', () => {
  it('sends what is due, keeps each result until the cached status shows it, and never sends it twice', async () => {
    const { n, settled, metrics, warnings } = setup();
    nextStatus = 200;
    bodies.length = 0;
    const written = withNewEvents(notify, job, run.uid, { phase: 'Running' }, status, []);
    const now = new Date();
    const { due } = n.plan('finance/r1', notify, job, written, now);
    expect(due.map((d) => d.sink.id)).toEqual(['webhook:hook', 'kafka:recon']);
    n.deliver('finance/r1', run, status, due, written);
    // In flight: not due again, and no retry timer asked for while the send is under way.
    expect(n.plan('finance/r1', notify, job, written, now)).toEqual({ due: [] });
    await until('both attempts', () => settled.length === 2);
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0]!)).toMatchObject({ id: 'uid-1.Failed', type: 'dev.raas.run.failed', subject: 'finance/r1' });

    // The informer has not seen the status write yet: the results come from the notifier.
    const merged = n.records('finance/r1', run.uid, written);
    const webhook = merged.find((r) => r.sink === 'webhook:hook')!;
    const kafka = merged.find((r) => r.sink === 'kafka:recon')!;
    expect(webhook).toMatchObject({ delivered: true, attempts: 1 });
    expect(webhook).not.toHaveProperty('lastError');
    expect(kafka).toMatchObject({ delivered: false, attempts: 1, lastError: NOT_CONFIGURED_KAFKA });
    expect(metrics.sort()).toEqual(['finance/orders kafka:recon failed', 'finance/orders webhook:hook delivered']);
    expect(warnings).toEqual([expect.stringMatching(/^NotificationFailed: Failed to kafka:recon: attempt 1 failed: Kafka is not configured .*; next attempt in 1 s$/)]);
    const later = n.plan('finance/r1', notify, job, merged, new Date());
    expect(later.due).toEqual([]);
    expect(later.retryInMs).toBeGreaterThan(0);
    expect(later.retryInMs).toBeLessThanOrEqual(1_000);

    // Once the cache shows the write, the cache is the truth again.
    expect(n.records('finance/r1', run.uid, merged)).toEqual(merged);
    expect(n.unrecorded()).toEqual([]);
    expect(n.records('finance/r1', run.uid, written)).toEqual(written);
    await n.close();
  });

  it('a new run under an old name does not inherit the old one\'s results', async () => {
    const { n, settled } = setup();
    const written = withNewEvents(notify.slice(0, 1), job, run.uid, { phase: 'Running' }, status, []);
    n.deliver('finance/r1', run, status, n.plan('finance/r1', notify, job, written, new Date()).due, written);
    await until('the attempt', () => settled.length === 1);
    const fresh: NotificationRecord[] = [];
    expect(n.records('finance/r1', 'uid-2', fresh)).toEqual([]);
    await n.close();
  });

  it('drain waits for sends under way and starts no new ones', async () => {
    const { n, settled } = setup();
    bodies.length = 0;
    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    const written = withNewEvents(notify.slice(0, 1), job, run.uid, { phase: 'Running' }, status, []);
    n.deliver('finance/r1', run, status, n.plan('finance/r1', notify, job, written, new Date()).due, written);
    await until('the request to arrive', () => bodies.length > 0);
    let drained = false;
    const d = n.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBe(false);
    release();
    hold = undefined;
    await d;
    expect(settled).toEqual(['finance/r1']);
    expect(n.unrecorded()).toEqual(['finance/r1']);
    expect(n.plan('finance/r1', notify, job, written, new Date())).toEqual({ due: [] });
    await n.close();
  });
});
