/**
 * Kafka through @platformatic/kafka (a pure-JS client). The producer creates its topic when it is missing
 * (partitions = `shards`, retention.ms from `retentionInHours`) and publishes with acks from every in-sync
 * replica; messages are keyed, so one key stays in one partition, in order. The consumer joins the group,
 * starts from the group's committed offsets (the earliest for a new group, so nothing published before it
 * joined is missed), and commits, per partition, the offset after the last message the Dispatcher finished.
 *
 * The client is an ES module, which Node (>= 20.19) loads with require; ./pool.ts loads this file only when a
 * Kafka URL is used.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  Consumer,
  Producer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { StreamUnavailableError } from '../errors';
import { backoffMs, Dispatcher } from './delivery';
import type { StreamAddress } from './url';
import {
  kDefaultStreamOptions,
  type ConsumerOptions,
  type InMessage,
  type MessageHandler,
  type OutMessage,
  type StreamConsumer,
  type StreamOptions,
  type StreamProducer,
} from './types';

type KafkaMessage = Message<string, Buffer, string, string>;

/** The client options every Kafka client of an address shares: brokers, TLS, SASL, timeouts. */
function clientOptions(address: StreamAddress, clientId: string) {
  const timeout = kDefaultStreamOptions.connectTimeoutMs;
  return {
    clientId,
    bootstrapBrokers: address.brokers,
    connectTimeout: timeout,
    timeout,
    retries: 3,
    retryDelay: kDefaultStreamOptions.retryMinMs * 2,
    ...(address.tls ? { tls: {} } : {}),
    ...(address.sasl
      ? {
          sasl: {
            mechanism: address.sasl.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
            username: address.username,
            password: address.password,
          },
        }
      : {}),
  };
}

function unavailable(address: StreamAddress, what: string, err: unknown): StreamUnavailableError {
  const reason = err instanceof Error ? err.message : String(err);
  return new StreamUnavailableError(`kafka ${address.display}: ${what} failed: ${reason}`, { cause: err });
}

/** Creates the topic unless it exists (another process may create it at the same time). */
async function ensureTopic(address: StreamAddress, options: StreamOptions): Promise<void> {
  const admin = new Admin(clientOptions(address, 'graphserve-admin'));
  try {
    if ((await admin.listTopics()).includes(address.name)) return;
    const hours = options.retentionInHours ?? kDefaultStreamOptions.retentionInHours;
    const configs = hours > 0 ? [{ name: 'retention.ms', value: String(Math.round(hours * 3_600_000)) }] : [];
    const partitions = options.shards ?? kDefaultStreamOptions.shards;
    await admin.createTopics({ topics: [address.name], partitions, replicas: 1, configs }).catch((err: unknown) => {
      if (!alreadyExists(err)) throw err;
    });
  } catch (err) {
    throw unavailable(address, 'creating the topic', err);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Whether a CreateTopics failure only says that the topic exists (made meanwhile by another process). */
function alreadyExists(err: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return false;
    seen.add(value);
    const record = value as Record<string, unknown>;
    if (record['apiId'] === 'TOPIC_ALREADY_EXISTS' || record['errorCode'] === 36) return true;
    return Object.values(record).some(visit) || (Array.isArray(record['errors']) && record['errors'].some(visit));
  };
  return visit(err) || /already exists/i.test(String((err as Error)?.message ?? err));
}

/** Publishes waiting for one send, and their outcome. */
interface PendingPublish {
  messages: readonly OutMessage[];
  resolve(): void;
  reject(err: unknown): void;
}

/** Most messages in one produce request (the rest wait for the next). */
const MAX_BATCH = 500;

/**
 * One send at a time: publishes that arrive while a send is in flight go together in the next one (one
 * produce request instead of one per event; their order is kept).
 */
export class KafkaProducer implements StreamProducer {
  private readonly producer: Producer<string, string, string, string>;
  private readonly waiting: PendingPublish[] = [];
  private sending = false;
  private healthy = true;
  private closed = false;

  constructor(
    readonly address: StreamAddress,
    private readonly options: StreamOptions = {},
  ) {
    this.producer = new Producer({
      ...clientOptions(address, 'graphserve-producer'),
      serializers: stringSerializers,
      acks: ProduceAcks.ALL,
    });
  }

  start(): Promise<void> {
    return ensureTopic(this.address, this.options);
  }

  publish(messages: readonly OutMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ messages, resolve, reject });
      if (!this.sending) {
        this.sending = true;
        setImmediate(() => void this.sendWaiting());
      }
    });
  }

  /** Sends what waits (up to MAX_BATCH messages) in one request, then the rest, until nothing waits. */
  private async sendWaiting(): Promise<void> {
    const batch: PendingPublish[] = [];
    let count = 0;
    while (this.waiting.length > 0 && (count === 0 || count + this.waiting[0]!.messages.length <= MAX_BATCH)) {
      const next = this.waiting.shift()!;
      batch.push(next);
      count += next.messages.length;
    }
    const topic = this.address.name;
    const messages = batch.flatMap((p) => p.messages.map((m) => ({ topic, key: m.key, value: m.value })));
    try {
      await this.producer.send({ messages });
      this.healthy = true;
      for (const p of batch) p.resolve();
    } catch (err) {
      const error = unavailable(this.address, 'publishing', err);
      for (const p of batch) p.reject(error);
      if (this.healthy) void this.probe();
    }
    if (this.waiting.length > 0) setImmediate(() => void this.sendWaiting());
    else this.sending = false;
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  /** After a failed send: asks the broker for the topic's metadata, with backoff, until it answers. */
  private async probe(): Promise<void> {
    this.healthy = false;
    for (let attempt = 0; !this.healthy && !this.closed; attempt++) {
      await sleep(backoffMs(attempt), undefined, { ref: false });
      try {
        await this.producer.metadata({ topics: [this.address.name], forceUpdate: true });
        this.healthy = true;
      } catch {
        // still away: try again later
      }
    }
  }

  /** Closes once what waits has been sent. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.sending) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.producer.close().catch(() => undefined);
  }
}

export class KafkaConsumer implements StreamConsumer {
  private readonly consumer: Consumer<string, Buffer, string, string>;
  private stream: MessagesStream<string, Buffer, string, string> | undefined;
  private dispatcher: Dispatcher | undefined;
  private brokerError: Error | undefined;
  private stopped = false;

  constructor(
    readonly address: StreamAddress,
    private readonly options: ConsumerOptions & StreamOptions,
    private readonly onError: (message: string) => void,
  ) {
    this.consumer = new Consumer({
      ...clientOptions(address, `graphserve-${options.group}`),
      groupId: options.group,
      deserializers: { ...stringDeserializers, value: (data?: Buffer) => data ?? Buffer.alloc(0) },
    });
  }

  async start(handler: MessageHandler): Promise<void> {
    await ensureTopic(this.address, this.options);
    const maxInFlight = this.options.maxInFlight ?? kDefaultStreamOptions.maxInFlight;
    this.dispatcher = new Dispatcher(handler, (done) => this.commit(done), {
      maxInFlight,
      onRetry: (m, err, attempt) =>
        this.onError(`kafka ${this.address.display} ${m.shard}@${m.position} attempt ${attempt}: ${String(err)}`),
    });
    try {
      this.stream = await this.consumer.consume({
        topics: [this.address.name],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
        sessionTimeout: 6_000, // the broker's least (group.min.session.timeout.ms): a dead consumer's partitions move soon
        heartbeatInterval: 500,
        maxWaitTime: 200,
        highWaterMark: maxInFlight,
      });
    } catch (err) {
      throw unavailable(this.address, 'joining the consumer group', err);
    }
    this.stream.on('error', (err: Error) => {
      this.brokerError = err;
      this.onError(`kafka ${this.address.display}: ${err.message}`);
    });
    this.stream.on('fetch', () => (this.brokerError = undefined));
    this.stream.on('data', (message: KafkaMessage) => this.take(message));
  }

  isHealthy(): boolean {
    return !this.stopped && this.brokerError === undefined && !(this.dispatcher?.failing ?? false);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stream?.pause();
    await this.dispatcher?.drain();
    await this.stream?.close().catch(() => undefined);
    await this.consumer.close().catch(() => undefined);
  }

  /** Hands one message to the dispatcher; pauses the stream while the dispatcher is full. */
  private take(message: KafkaMessage): void {
    const dispatcher = this.dispatcher!;
    dispatcher.push({
      key: message.key || undefined,
      value: message.value,
      shard: String(message.partition),
      position: String(message.offset),
      raw: message,
    });
    if (dispatcher.pending >= (this.options.maxInFlight ?? kDefaultStreamOptions.maxInFlight)) {
      this.stream!.pause();
      void dispatcher.capacity().then(() => {
        if (!this.stopped) this.stream!.resume();
      });
    }
  }

  /** Commits the offset after the last of `done` (finished in order, one partition). */
  private async commit(done: InMessage[]): Promise<void> {
    const last = done[done.length - 1]!.raw as KafkaMessage;
    await last.commit();
  }
}
