// The Kafka sink: one producer per operator process, shared by every ReconJob, configured
// once from the environment (the Helm chart sets it from values and a Secret). Built to fail
// fast: a broker that is down must cost a delivery a few seconds, not a minute of kafkajs'
// default retries, because the caller has its own backoff (routing.ts) and records each
// attempt in status.
import type * as KafkaJs from 'kafkajs';
import type { Kafka, LogEntry, Producer, SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  /** TCP connect (and TLS/SASL handshake) limit per broker. Default 3000. */
  connectionTimeoutMs?: number;
  /** Limit on one produce/metadata request. Default 5000. */
  requestTimeoutMs?: number;
}

export class KafkaConfigError extends Error {}

/**
 * RAAS_KAFKA_BROKERS (comma list of host:port; unset = no Kafka sink), RAAS_KAFKA_CLIENT_ID,
 * RAAS_KAFKA_SSL=true, RAAS_KAFKA_SASL_MECHANISM plain|scram-sha-256|scram-sha-512 with
 * RAAS_KAFKA_USERNAME and RAAS_KAFKA_PASSWORD.
 */
export function kafkaSettingsFromEnv(env: NodeJS.ProcessEnv): KafkaSettings | undefined {
  const brokers = (env.RAAS_KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (brokers.length === 0) return undefined;
  for (const b of brokers) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
      throw new KafkaConfigError(`RAAS_KAFKA_BROKERS entry "${b}" must be host:port, e.g. kafka-0.kafka:9092`);
    }
  }
  const sslText = (env.RAAS_KAFKA_SSL ?? 'false').toLowerCase();
  if (sslText !== 'true' && sslText !== 'false') throw new KafkaConfigError(`RAAS_KAFKA_SSL "${env.RAAS_KAFKA_SSL}" must be true or false`);
  const settings: KafkaSettings = { brokers, clientId: env.RAAS_KAFKA_CLIENT_ID || 'raas-operator', ssl: sslText === 'true' };
  const mechanism = env.RAAS_KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  if (mechanism) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new KafkaConfigError(`RAAS_KAFKA_SASL_MECHANISM "${env.RAAS_KAFKA_SASL_MECHANISM}" must be one of ${SASL_MECHANISMS.join(', ')}`);
    }
    const username = env.RAAS_KAFKA_USERNAME;
    const password = env.RAAS_KAFKA_PASSWORD;
    if (!username || password === undefined) throw new KafkaConfigError(`RAAS_KAFKA_SASL_MECHANISM ${mechanism} needs RAAS_KAFKA_USERNAME and RAAS_KAFKA_PASSWORD`);
    settings.sasl = { mechanism: mechanism as SaslMechanism, username, password };
  } else if (env.RAAS_KAFKA_USERNAME || env.RAAS_KAFKA_PASSWORD) {
    throw new KafkaConfigError('RAAS_KAFKA_USERNAME/RAAS_KAFKA_PASSWORD are set but RAAS_KAFKA_SASL_MECHANISM is not; set it to plain, scram-sha-256 or scram-sha-512');
  }
  return settings;
}

export interface KafkaMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export class KafkaSink {
  private kafka: Kafka | undefined;
  private producer: Promise<Producer> | undefined;
  private closed = false;

  constructor(
    readonly settings: KafkaSettings,
    private readonly log: Logger,
  ) {}

  // kafkajs is imported on the first send, so an operator without Kafka notifications
  // never loads it (start-up time and memory).
  private async client(): Promise<{ kafka: Kafka; lib: typeof KafkaJs }> {
    const lib = await import('kafkajs');
    const { settings } = this;
    const requestTimeout = settings.requestTimeoutMs ?? 5_000;
    this.kafka ??= new lib.Kafka({
      clientId: settings.clientId,
      brokers: settings.brokers,
      ssl: settings.ssl,
      ...(settings.sasl ? { sasl: settings.sasl as SASLOptions } : {}),
      connectionTimeout: settings.connectionTimeoutMs ?? 3_000,
      authenticationTimeout: settings.connectionTimeoutMs ?? 3_000,
      requestTimeout,
      // Without it kafkajs waits on a request to a dead connection until the socket notices.
      enforceRequestTimeout: true,
      retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1_000 },
      // kafkajs logs every failed connection as an error; the failure is already reported
      // once per attempt (status, Event, metric, one warn line), so its own lines are debug.
      logLevel: lib.logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.log.debug({ kafkajs: entry.namespace, ...entry.log }, entry.log.message),
    });
    return { kafka: this.kafka, lib };
  }

  /** Sends one message; resolves when the broker acknowledged it (acks from all in-sync replicas). */
  async send(topic: string, message: KafkaMessage): Promise<void> {
    if (this.closed) throw new Error('the Kafka producer is closed (operator stopping)');
    const pending = (this.producer ??= this.connect());
    let producer: Producer;
    try {
      producer = await pending;
    } catch (err) {
      this.drop(pending);
      throw new Error(`cannot connect to Kafka (${this.settings.brokers.join(',')}): ${kafkaErrorText(err)}`, { cause: err });
    }
    try {
      await producer.send({ topic, acks: -1, timeout: this.settings.requestTimeoutMs ?? 5_000, messages: [message] });
    } catch (err) {
      // A producer that saw its broker go away may keep stale metadata and sockets; the
      // next attempt starts from a fresh connection instead.
      this.drop(pending);
      throw new Error(`Kafka (${this.settings.brokers.join(',')}) topic ${topic}: ${kafkaErrorText(err)}`, { cause: err });
    }
  }

  private async connect(): Promise<Producer> {
    const { kafka, lib } = await this.client();
    const producer = kafka.producer({
      // The default partitioner of kafkajs 2 (murmur2, as the Java client); named so kafkajs
      // does not warn about the change from 1.x on every start.
      createPartitioner: lib.Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      // Enough for a topic the broker auto-creates on first use to get its leader (about a
      // second); a broker that refuses connections still fails within seconds.
      retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 1_000 },
    });
    try {
      await producer.connect();
      return producer;
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** Forgets a failed producer; concurrent sends may fail on it too, hence the identity check. */
  private drop(failed: Promise<Producer>): void {
    if (this.producer === failed) this.producer = undefined;
    void failed.then((p) => p.disconnect()).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.producer;
    this.producer = undefined;
    await p?.then((x) => x.disconnect()).catch(() => undefined);
  }
}

/** kafkajs wraps the cause (e.g. ECONNREFUSED) in retry errors; the innermost one says most. */
function kafkaErrorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!parts.includes(msg)) parts.push(msg);
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return parts.join(': ') || 'unknown error';
}
