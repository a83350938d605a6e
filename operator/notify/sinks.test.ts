// The two sinks' edges: Kafka settings from the environment, and the webhook against a real
// HTTP server on 127.0.0.1 (the Kafka sink against a real broker is in
// test/integration/notify-kafka.test.ts).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudEvent } from './events.ts';
import { kafkaSettingsFromEnv } from './kafka.ts';
import { postWebhook, webhookUrl } from './webhook.ts';

describe('kafkaSettingsFromEnv', () => {
  it.each([
    ['not configured', {}, undefined],
    ['brokers only', { RAAS_KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092' }, { brokers: ['kafka-0:9092', 'kafka-1:9092'], clientId: 'raas-operator', ssl: false }],
    ['an IPv6 broker', { RAAS_KAFKA_BROKERS: '[::1]:9092' }, { brokers: ['[::1]:9092'], clientId: 'raas-operator', ssl: false }],
    [
      'TLS and SCRAM',
      { RAAS_KAFKA_BROKERS: 'k:9093', RAAS_KAFKA_CLIENT_ID: 'raas-prod', RAAS_KAFKA_SSL: 'true', RAAS_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', RAAS_KAFKA_USERNAME: 'raas', RAAS_KAFKA_PASSWORD: 's3cret' },
      { brokers: ['k:9093'], clientId: 'raas-prod', ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'raas', password: 's3cret' } },
    ],
    ['plain', { RAAS_KAFKA_BROKERS: 'k:9092', RAAS_KAFKA_SASL_MECHANISM: 'plain', RAAS_KAFKA_USERNAME: 'u', RAAS_KAFKA_PASSWORD: 'p' }, { sasl: { mechanism: 'plain', username: 'u', password: 'p' } }],
  ])('%s', (_name, env, expected) => {
    const s = kafkaSettingsFromEnv(env);
    if (expected === undefined) expect(s).toBeUndefined();
    else expect(s).toMatchObject(expected);
  });

  it.each([
    ['no port', { RAAS_KAFKA_BROKERS: 'kafka-0' }, /RAAS_KAFKA_BROKERS entry "kafka-0" must be host:port/],
    ['a URL', { RAAS_KAFKA_BROKERS: 'kafka://k:9092' }, /must be host:port/],
    ['ssl not a boolean', { RAAS_KAFKA_BROKERS: 'k:9092', RAAS_KAFKA_SSL: 'yes' }, /RAAS_KAFKA_SSL "yes" must be true or false/],
    ['unknown mechanism', { RAAS_KAFKA_BROKERS: 'k:9092', RAAS_KAFKA_SASL_MECHANISM: 'gssapi' }, /must be one of plain, scram-sha-256, scram-sha-512/],
    ['mechanism without credentials', { RAAS_KAFKA_BROKERS: 'k:9092', RAAS_KAFKA_SASL_MECHANISM: 'plain' }, /needs RAAS_KAFKA_USERNAME and RAAS_KAFKA_PASSWORD/],
    ['credentials without mechanism', { RAAS_KAFKA_BROKERS: 'k:9092', RAAS_KAFKA_USERNAME: 'u', RAAS_KAFKA_PASSWORD: 'p' }, /RAAS_KAFKA_SASL_MECHANISM is not/],
  ])('%s is refused', (_name, env, error) => {
    expect(() => kafkaSettingsFromEnv(env)).toThrow(error);
  });
});

describe('webhookUrl', () => {
  const secrets: Record<string, Record<string, string>> = { hook: { url: ' https://hooks.example.com/T0/B0/token\n', other: 'ftp://x', bad: 'not a url' } };
  const read = async (_ns: string, name: string) => secrets[name];
  it('reads the URL from the Secret key, trimmed', async () => {
    expect((await webhookUrl(read, 'finance', 'hook', 'url')).href).toBe('https://hooks.example.com/T0/B0/token');
  });
  it.each([
    ['a missing Secret', 'nope', 'url', /Secret finance\/nope \(webhook secretRef\) not found/],
    ['a missing key, without naming the other keys', 'hook', 'slack', /^Secret finance\/hook has no key "slack" holding the webhook URL; add it, or set secretRef.key to the key that holds the URL$/],
    ['not http', 'hook', 'other', /must be http or https, not ftp:/],
    ['not a URL', 'hook', 'bad', /key "bad" is not a URL/],
  ])('%s', async (_name, secret, key, error) => {
    await expect(webhookUrl(read, 'finance', secret, key)).rejects.toThrow(error);
  });
});

const LOOPBACK = { allowDestinations: new Set(['loopback'] as const) };

describe('postWebhook', () => {
  let server: Server;
  let base: string;
  const got: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const answers: Record<string, { status: number; body?: string; delayMs?: number }> = {
    '/ok': { status: 204 },
    '/created': { status: 201, body: '{}' },
    '/fail': { status: 500, body: 'upstream\n  exploded' },
    '/moved': { status: 301 },
    '/slow': { status: 200, delayMs: 2_000 },
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ url: req.url ?? '', headers: req.headers, body });
        const a = answers[req.url ?? ''] ?? { status: 404 };
        setTimeout(() => res.writeHead(a.status, a.status === 301 ? { location: '/ok' } : {}).end(a.body ?? ''), a.delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const ce = cloudEvent(
    { name: 'r1', namespace: 'finance', uid: 'u1', job: 'orders', trigger: 'Manual', window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' } },
    { phase: 'Failed', failedStage: 'stage', message: 'missing file' },
    'Failed',
    new Date(),
  );

  it('POSTs the CloudEvent as application/cloudevents+json', async () => {
    await postWebhook(new URL(`${base}/ok`), ce, 'cloudevents', LOOPBACK);
    const req = got.at(-1)!;
    expect(req.headers['content-type']).toBe('application/cloudevents+json');
    expect(JSON.parse(req.body)).toEqual(ce);
  });

  it('POSTs a Slack text for format slack', async () => {
    await postWebhook(new URL(`${base}/created`), ce, 'slack', LOOPBACK);
    const req = got.at(-1)!;
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ text: expect.stringMatching(/^raas: finance\/orders run r1 failed .*: failed in stage stage: missing file$/) });
  });

  it.each([
    ['a 500 names the status, never the answer body', '/fail', 30_000, /^webhook at http:\/\/127\.0\.0\.1:\d+ answered 500 Internal Server Error$/],
    ['a redirect is not followed', '/moved', 30_000, /answered 301/],
    ['a 404', '/nothing', 30_000, /answered 404/],
    ['a timeout', '/slow', 300, /did not answer within 0\.3 s/],
  ])('%s', async (_name, path, timeout, error) => {
    const err = await postWebhook(new URL(`${base}${path}`), ce, 'cloudevents', { ...LOOPBACK, timeoutMs: timeout }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(error);
    expect(err?.message).not.toContain(path); // the URL path may hold a token
    expect(err?.message).not.toContain('exploded'); // the receiver's body never reaches status
  });

  it('an unreachable webhook', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(postWebhook(new URL(`http://127.0.0.1:${port}/T0/secret`), ce, 'cloudevents', LOOPBACK)).rejects.toThrow(/^cannot reach the webhook at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/);
  });

  it.each([
    ['loopback without the chart allowing it', () => `${base}/ok`, /a loopback address \(127\.0\.0\.1\); the operator refuses loopback destinations unless the chart allows them \(notifications\.webhook\.allowDestinations: \[loopback\]\)/],
    ['localhost by name', () => `${base.replace('127.0.0.1', 'localhost')}/ok`, /refuses loopback destinations/],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', /link-local address/],
    ['a private address', () => 'http://10.0.0.7:8080/hook', /private address/],
    ['an IPv6 loopback', () => 'http://[::1]:9/hook', /loopback address/],
    ['an IPv4-mapped loopback', () => 'http://[::ffff:127.0.0.1]:9/hook', /loopback address/],
    ['0.0.0.0', () => 'http://0.0.0.0:9/hook', /is not a destination/],
  ])('refuses %s before sending anything', async (_name, url, error) => {
    const before = got.length;
    await expect(postWebhook(new URL(url()), ce, 'cloudevents', { timeoutMs: 2_000 })).rejects.toThrow(error);
    expect(got.length).toBe(before);
  });
});

