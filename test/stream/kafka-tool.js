'use strict';
/**
 * The stream tests' own Kafka client (@platformatic/kafka), run as a child process: the client is an ES module,
 * which Node's require loads but Jest's module loader cannot.
 *
 *   node kafka-tool.js produce BROKER TOPIC             JSON lines {key, value} on stdin, published in order
 *   node kafka-tool.js consume BROKER TOPIC COUNT MS    prints a JSON array of {key, value, partition, offset}
 *                                                      once COUNT messages were read (from the earliest), or MS passed
 */
const { Admin, Consumer, Producer, stringDeserializers, stringSerializers } = require('@platformatic/kafka');
const { randomUUID } = require('node:crypto');
const { clearTimeout } = require('node:timers');

async function ensureTopic(broker, topic) {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [broker] });
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 }).catch(() => undefined);
    }
  } finally {
    await admin.close();
  }
}

async function produce(broker, topic) {
  await ensureTopic(broker, topic);
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const messages = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line))
    .map((m) => ({ topic, key: m.key, value: JSON.stringify(m.value) }));
  const producer = new Producer({
    clientId: 'test-producer',
    bootstrapBrokers: [broker],
    serializers: stringSerializers,
  });
  await producer.send({ messages });
  await producer.close();
}

async function consume(broker, topic, count, ms) {
  await ensureTopic(broker, topic);
  const consumer = new Consumer({
    clientId: 'test-consumer',
    groupId: `test-${randomUUID()}`,
    bootstrapBrokers: [broker],
    deserializers: stringDeserializers,
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: 'earliest',
    autocommit: false,
    maxWaitTime: 200,
    sessionTimeout: 10000,
    heartbeatInterval: 500,
  });
  const got = [];
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stream.on('data', (m) => {
      got.push({ key: m.key, value: JSON.parse(m.value), partition: m.partition, offset: String(m.offset) });
      if (got.length >= count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  process.stdout.write(JSON.stringify(got));
  await stream.close();
  await consumer.close();
}

const [command, broker, topic, count, ms] = process.argv.slice(2);
const run = command === 'produce' ? produce(broker, topic) : consume(broker, topic, Number(count), Number(ms));
run.then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
