/**
 * The stream abstraction under queues, stream triggers and the error/tracking streams: a producer publishes
 * keyed messages, a consumer delivers them to a handler and acknowledges (Kafka: commits; Redis: XACK) only
 * what the handler finished. Kafka (./kafka.ts) and Redis Streams (./redis.ts) implement it.
 */
import type { StreamAddress } from './url';

/** One message to publish. Messages with the same key keep their order (one Kafka partition, one Redis stream). */
export interface OutMessage {
  key: string;
  /** JSON text. */
  value: string;
}

/** One message consumed. */
export interface InMessage {
  key: string | undefined;
  value: Buffer;
  /** Where it came from: the Kafka partition, or '' for a Redis stream (one shard). */
  shard: string;
  /** Its position in the shard: the Kafka offset, the Redis entry id. */
  position: string;
  /** The client's own message, for the acknowledgement. */
  raw: unknown;
}

/** Options of a stream, as a queue step or a URL's query gives them (MLRun's names in camelCase). */
export interface StreamOptions {
  /** Kafka: partitions of the topic when it is created (MLRun's `shards`). Redis: ignored (one stream). */
  shards?: number;
  /** Kafka: the topic's retention.ms when it is created; Redis: entries older than this are trimmed (MINID). */
  retentionInHours?: number;
  /** Redis: the stream is trimmed to about this many entries (MAXLEN ~); 0 = no limit. */
  maxLength?: number;
}

/** Options of a consumer. */
export interface ConsumerOptions {
  /** The consumer group (the function's name). */
  group: string;
  /** Messages being processed at once, at most; the consumer stops fetching while that many are in flight. */
  maxInFlight?: number;
  /** Redis: the consumer's name in the group; a restarted process with the same name takes its pending entries back. */
  consumerName?: string;
}

export const kDefaultStreamOptions = Object.freeze({
  shards: 1,
  retentionInHours: 0, // 0 = the broker's default (Kafka: 7 days; Redis: no trim)
  maxLength: 0,
  maxInFlight: 16,
  /** Backoff between retries of a message (or of a reconnect), ms: doubles from min to max. */
  retryMinMs: 100,
  retryMaxMs: 5_000,
  /** How long one connect or publish may take before it fails, ms. */
  connectTimeoutMs: 10_000,
  /** Redis: longest block of one XREADGROUP, ms (also how fast stop() is seen). */
  blockMs: 500,
  /** Redis: pending entries of other consumers idle this long are claimed (their consumer died), ms. */
  claimIdleMs: 30_000,
});

export interface StreamProducer {
  readonly address: StreamAddress;
  /** Connects and makes sure the topic/stream exists; rejects (StreamUnavailableError) when the broker cannot be reached. */
  start(): Promise<void>;
  /** Publishes in order; resolves once the broker has them (Kafka: all in-sync replicas acknowledged). */
  publish(messages: readonly OutMessage[]): Promise<void>;
  /**
   * False from a failed publish until the broker answers again (checked in the background, with backoff), so
   * a function whose queue's broker went away reports not ready.
   */
  isHealthy(): boolean;
  close(): Promise<void>;
}

/** Handles one message; resolves when it is finished (then it is acknowledged), rejects to have it retried. */
export type MessageHandler = (message: InMessage) => Promise<void>;

export interface StreamConsumer {
  readonly address: StreamAddress;
  /** Joins the group and starts delivering; rejects (StreamUnavailableError) when the broker cannot be reached. */
  start(handler: MessageHandler): Promise<void>;
  /** False while the broker cannot be reached or a message waits for a retry. */
  isHealthy(): boolean;
  /** Stops fetching, finishes the messages in flight, acknowledges them and leaves the group. */
  stop(): Promise<void>;
}
