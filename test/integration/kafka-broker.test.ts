import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { startKafkaBroker } from '../support/kafka/broker.ts';
import { sharedService } from '../support/require-service.ts';

const kafkaBroker = sharedService('Kafka broker', startKafkaBroker, (b) => b.stop());

function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({
    brokers,
    clientId: 'raas-kafka-broker-test',
    // Connection errors during the outage are the point of the test; as log lines they
    // would only bury the assertions' output.
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    // Also the budget of the metadata refreshes that a producer's send retries run inside
    // of: kafkajs's default (5 retries up to 30 s apart) would nest into a minute-long send.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 },
  });
}

function newProducer(kafka: Kafka): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    // A short, bounded retry budget: a send to a dead broker gives up within seconds
    // instead of kafkajs's default of about half a minute.
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 1_000 },
  });
}

async function createTopic(kafka: Kafka): Promise<string> {
  const topic = `raas-test-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** The partition's high watermark: how many messages the broker holds for a fresh topic. */
async function storedCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Reads the topic from the beginning with a fresh group until `count` values arrived. */
async function consumeValues(kafka: Kafka, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `raas-test-${randomUUID()}` });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await withTimeout(
      new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString('utf8') ?? '<null>');
            if (values.length >= count) resolve();
          },
        });
      }),
      30_000,
      `consuming ${count} message(s) from ${topic} (got ${JSON.stringify(values)})`,
    );
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('Kafka broker (KRaft, single node, on 127.0.0.1)', () => {
  it('delivers a produced message to a consumer', async (ctx) => {
    const broker = await kafkaBroker(ctx);
    expect(broker.brokers).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    const kafka = kafkaClient(broker.brokers);
    const topic = await createTopic(kafka);

    const producer = newProducer(kafka);
    await producer.connect();
    try {
      const [ack] = await producer.send({ topic, messages: [{ key: 'k', value: 'hello' }] });
      expect(ack).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' });
    } finally {
      await producer.disconnect();
    }

    expect(await consumeValues(kafka, topic, 1)).toEqual(['hello']);
  });

  it('fails sends while killed, accepts them after a restart, and keeps exactly the acknowledged ones', async (ctx) => {
    const broker = await kafkaBroker(ctx);
    const kafka = kafkaClient(broker.brokers);
    const topic = await createTopic(kafka);
    const acknowledged: string[] = [];

    const producer = newProducer(kafka);
    await producer.connect();
    try {
      await producer.send({ topic, messages: [{ value: 'before-outage' }] });
      acknowledged.push('before-outage');

      await broker.kill();
      const started = Date.now();
      await expect(
        withTimeout(producer.send({ topic, messages: [{ value: 'during-outage' }] }), 30_000, 'a send to the killed broker'),
      ).rejects.toThrow(/retr|connect/i);
      // Bounded by the producer's retry budget, not by the 30 s guard above.
      expect(Date.now() - started).toBeLessThan(20_000);

      await broker.restart();
      // The same producer, reconnecting to the same address, now gets an acknowledgement.
      const [ack] = await withTimeout(
        producer.send({ topic, messages: [{ value: 'after-restart' }] }),
        30_000,
        'a send after the restart',
      );
      expect(ack?.errorCode).toBe(0);
      acknowledged.push('after-restart');
    } finally {
      await producer.disconnect();
    }

    // The broker holds as many messages as were acknowledged (none lost to the SIGKILL, the
    // refused one never stored), and a consumer reads exactly those, in order.
    expect(await storedCount(kafka, topic)).toBe(acknowledged.length);
    expect(await consumeValues(kafka, topic, acknowledged.length)).toEqual(acknowledged);
  }, 120_000);
});
