/**
 * StreamPool: the stream clients of one serving function. Producers are shared by URL (every queue, the
 * error stream and the tracking stream that name one topic share one connection); consumers are made per
 * trigger. close() closes them all.
 */
import { InvalidOptionError } from '../errors';
import type * as KafkaModule from './kafka';
import { RedisConsumer, RedisProducer } from './redis';
import type { ConsumerOptions, StreamConsumer, StreamOptions, StreamProducer } from './types';
import { checkInteger, parseStreamUrl, type StreamAddress } from './url';

/** Options a URL's query may carry, with their names there (MLRun's, snake_case) and here. */
const QUERY_OPTIONS: Readonly<Record<string, keyof StreamOptions>> = Object.freeze({
  shards: 'shards',
  partitions: 'shards',
  retention_in_hours: 'retentionInHours',
  maxlen: 'maxLength',
});

/** The options of a stream: the URL's query, then `given` (a queue step's own options win). */
export function streamOptionsOf(url: string, address: StreamAddress, given: StreamOptions = {}): StreamOptions {
  const options: StreamOptions = {};
  for (const [key, value] of Object.entries(address.query)) {
    const name = QUERY_OPTIONS[key];
    if (name === undefined) throw new InvalidOptionError(`stream URL ${address.display}: unknown option ${key}`);
    options[name] = checkInteger(url, key, value);
  }
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new InvalidOptionError(`stream ${address.display}: ${key} must be a non-negative number`);
    }
    options[key as keyof StreamOptions] = value;
  }
  return options;
}

/** ./kafka.ts, loaded on first use: its client is an ES module, which only some loaders (Node's own) can require. */
function kafka(): typeof KafkaModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./kafka') as typeof KafkaModule;
}

export class StreamPool {
  private readonly producers = new Map<string, Promise<StreamProducer>>();
  private readonly consumers = new Set<StreamConsumer>();
  private closed = false;

  /**
   * The started producer for `url` (made and started on first use; a failed start is forgotten, so the
   * next call tries again). Rejects InvalidOptionError for a bad URL, StreamUnavailableError for a broker
   * that cannot be reached.
   */
  producer(url: string, options: StreamOptions = {}): Promise<StreamProducer> {
    const address = parseStreamUrl(url);
    const merged = streamOptionsOf(url, address, options);
    const id = `${address.kind}:${address.brokers.join(',')}/${address.name}`;
    let producer = this.producers.get(id);
    if (!producer) {
      const made =
        address.kind === 'kafka' ? new (kafka().KafkaProducer)(address, merged) : new RedisProducer(address, merged);
      producer = made.start().then(() => made);
      producer.catch(() => {
        this.producers.delete(id);
        void made.close();
      });
      this.producers.set(id, producer);
    }
    return producer;
  }

  /** A new consumer of `url` (not started); closed with the pool. */
  consumer(url: string, options: ConsumerOptions & StreamOptions, onError: (message: string) => void): StreamConsumer {
    if (this.closed) throw new InvalidOptionError('the stream pool is closed');
    const address = parseStreamUrl(url);
    const merged = { ...options, ...streamOptionsOf(url, address, pickStream(options)) };
    const consumer =
      address.kind === 'kafka'
        ? new (kafka().KafkaConsumer)(address, merged, onError)
        : new RedisConsumer(address, merged, onError);
    this.consumers.add(consumer);
    return consumer;
  }

  /** Stops every consumer (finishing what they hold), then closes every producer. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.stop()));
    const producers = await Promise.allSettled([...this.producers.values()]);
    this.producers.clear();
    await Promise.allSettled(producers.map((p) => (p.status === 'fulfilled' ? p.value.close() : undefined)));
  }
}

function pickStream(options: StreamOptions): StreamOptions {
  return { shards: options.shards, retentionInHours: options.retentionInHours, maxLength: options.maxLength };
}
