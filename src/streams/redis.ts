/**
 * Redis Streams through ioredis. The producer XADDs `key` and `value` fields (trimming with MAXLEN ~ or
 * MINID ~ when asked). The consumer creates its group at the start of the stream (MKSTREAM; entries added
 * before the group existed are not missed), first takes back its own pending entries (a restarted consumer
 * of the same name finishes what it had taken), then reads new ones, and now and then claims entries that
 * another consumer of the group took and left idle (it died). An entry is XACKed once the Dispatcher has
 * finished it, and every entry before it in the stream.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Redis, { type RedisOptions } from 'ioredis';
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

/** One stream entry as Redis answers it: its id and its fields, flat. */
type Entry = [id: string, fields: string[]];

/** A connection; `pipelined`: commands issued in one tick go in one round trip (not for blocking reads). */
function connect(address: StreamAddress, pipelined = false): Redis {
  const [host, port] = splitHost(address.brokers[0]!);
  const options: RedisOptions = {
    host,
    port,
    username: address.username,
    password: address.password,
    db: address.db ?? 0,
    lazyConnect: true,
    connectTimeout: kDefaultStreamOptions.connectTimeoutMs,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: pipelined,
    retryStrategy: (times) => backoffMs(times),
    ...(address.tls ? { tls: {} } : {}),
  };
  const client = new Redis(options);
  client.on('error', () => undefined); // reported by the commands that fail
  return client;
}

function splitHost(host: string): [string, number] {
  const colon = host.lastIndexOf(':');
  return [host.slice(0, colon).replace(/^\[|\]$/g, ''), Number(host.slice(colon + 1))];
}

function unavailable(address: StreamAddress, what: string, err: unknown): StreamUnavailableError {
  const reason = err instanceof Error ? err.message : String(err);
  return new StreamUnavailableError(`redis ${address.display}: ${what} failed: ${reason}`, { cause: err });
}

async function open(client: Redis, address: StreamAddress): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw unavailable(address, 'connecting', err);
  }
}

export class RedisProducer implements StreamProducer {
  private readonly client: Redis;
  private readonly trim: string[];

  constructor(
    readonly address: StreamAddress,
    options: StreamOptions = {},
  ) {
    this.client = connect(address, true);
    const maxLength = options.maxLength ?? kDefaultStreamOptions.maxLength;
    const hours = options.retentionInHours ?? kDefaultStreamOptions.retentionInHours;
    this.trim = maxLength > 0 ? ['MAXLEN', '~', String(maxLength)] : [];
    this.retentionMs = hours > 0 ? hours * 3_600_000 : 0;
  }

  private readonly retentionMs: number;
  private readonly inFlight = new Set<Promise<void>>();

  start(): Promise<void> {
    return open(this.client, this.address);
  }

  publish(messages: readonly OutMessage[]): Promise<void> {
    const sent = this.send(messages);
    this.inFlight.add(sent);
    void sent.catch(() => undefined).finally(() => this.inFlight.delete(sent));
    return sent;
  }

  private async send(messages: readonly OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const trim = this.retentionMs > 0 ? ['MINID', '~', String(Date.now() - this.retentionMs)] : this.trim;
    const key = this.address.name;
    try {
      // Auto-pipelined: the XADDs of every publish in this tick go in one round trip, in order.
      await Promise.all(messages.map((m) => this.client.xadd(key, ...trim, '*', 'key', m.key, 'value', m.value)));
    } catch (err) {
      throw unavailable(this.address, 'publishing', err);
    }
  }

  /** ioredis reconnects by itself (with backoff): healthy while its connection is up. */
  isHealthy(): boolean {
    return this.client.status === 'ready';
  }

  /** Closes once the publishes in flight are done. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** The message of one entry: `value` (or `data`, `body`, `event`), else all its fields as one JSON object. */
function toMessage(entry: Entry): InMessage {
  const [id, flat] = entry;
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  const text = fields['value'] ?? fields['data'] ?? fields['body'] ?? fields['event'] ?? JSON.stringify(fields);
  return { key: fields['key'], value: Buffer.from(text), shard: '', position: id, raw: id };
}

export class RedisConsumer implements StreamConsumer {
  private readonly reader: Redis;
  private readonly writer: Redis;
  private dispatcher: Dispatcher | undefined;
  private readonly consumerName: string;
  private readonly taken = new Set<string>();
  private brokerError: unknown;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastClaim = Date.now();

  constructor(
    readonly address: StreamAddress,
    private readonly options: ConsumerOptions,
    private readonly onError: (message: string) => void,
  ) {
    this.reader = connect(address);
    this.writer = connect(address, true);
    this.consumerName = options.consumerName ?? `${options.group}-consumer`;
  }

  async start(handler: MessageHandler): Promise<void> {
    await open(this.reader, this.address);
    await open(this.writer, this.address);
    try {
      await this.writer.xgroup('CREATE', this.address.name, this.options.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String(err).includes('BUSYGROUP')) throw unavailable(this.address, 'creating the consumer group', err);
    }
    this.dispatcher = new Dispatcher(handler, (done) => this.ack(done), {
      maxInFlight: this.options.maxInFlight ?? kDefaultStreamOptions.maxInFlight,
      onRetry: (m, err, attempt) =>
        this.onError(`redis ${this.address.display} ${m.position} attempt ${attempt}: ${String(err)}`),
    });
    this.loop = this.run();
  }

  isHealthy(): boolean {
    return !this.stopped && this.brokerError === undefined && !(this.dispatcher?.failing ?? false);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.loop;
    await this.dispatcher?.drain();
    this.reader.disconnect();
    await this.writer.quit().catch(() => this.writer.disconnect());
  }

  /** Own pending entries first (id 0), then new ones ('>'); a failed read is retried with backoff. */
  private async run(): Promise<void> {
    let from = '0';
    let failures = 0;
    while (!this.stopped) {
      await this.dispatcher!.capacity();
      if (this.stopped) break;
      try {
        const entries = await this.read(from);
        this.brokerError = undefined;
        failures = 0;
        for (const entry of entries) this.take(entry);
        // Own pending entries are read after the last one taken, until there are none; then new ones.
        if (from !== '>') from = entries.length === 0 ? '>' : entries[entries.length - 1]![0];
        if (from === '>') await this.claimIdle();
      } catch (err) {
        if (this.stopped) break;
        this.brokerError = err;
        this.onError(`redis ${this.address.display}: reading failed: ${String(err)}`);
        await sleep(backoffMs(failures++));
      }
    }
  }

  private async read(from: string): Promise<Entry[]> {
    const room = Math.max(
      1,
      (this.options.maxInFlight ?? kDefaultStreamOptions.maxInFlight) - this.dispatcher!.pending,
    );
    const block = from === '>' ? ['BLOCK', String(kDefaultStreamOptions.blockMs)] : [];
    const args = ['GROUP', this.options.group, this.consumerName, 'COUNT', String(room), ...block];
    const reply = (await this.reader.call('XREADGROUP', ...args, 'STREAMS', this.address.name, from)) as
      [string, Entry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  /** Takes over entries another consumer of the group left idle for claimIdleMs (it died holding them). */
  private async claimIdle(): Promise<void> {
    const idle = kDefaultStreamOptions.claimIdleMs;
    if (Date.now() - this.lastClaim < idle / 2) return;
    this.lastClaim = Date.now();
    const reply = (await this.writer.call(
      'XAUTOCLAIM',
      this.address.name,
      this.options.group,
      this.consumerName,
      String(idle),
      '0-0',
      'COUNT',
      '100',
    )) as [string, Entry[]];
    for (const entry of reply[1] ?? []) if (entry && !this.taken.has(entry[0])) this.take(entry);
  }

  private take(entry: Entry): void {
    // A pending entry re-read with an empty body was deleted from the stream: acknowledge and forget it.
    if (!Array.isArray(entry[1])) {
      void this.writer.xack(this.address.name, this.options.group, entry[0]).catch(() => undefined);
      return;
    }
    this.taken.add(entry[0]);
    this.dispatcher!.push(toMessage(entry));
  }

  private async ack(done: InMessage[]): Promise<void> {
    const ids = done.map((m) => m.position);
    await this.writer.xack(this.address.name, this.options.group, ...ids);
    for (const id of ids) this.taken.delete(id);
  }
}
