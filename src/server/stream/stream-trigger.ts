/**
 * The stream transport: consumes a Kafka topic or a Redis stream and hands each message to GraphServer as an
 * Event, like HTTP hands it requests; it only translates. Two kinds of stream:
 * - 'queue': what a queue step of the graph published (src/streams/envelope.ts): the event comes back whole
 *   (id, key, path, method, headers, body) and the function runs its part of the graph on it;
 * - 'source' (--source, MLRun's stream trigger): each message's value is the body (JSON), the event path is
 *   '/', so the model and operation come from the body; the id is the message key, else a new one.
 * Events carry `trigger` {kind: 'kafka' | 'redis', name: the topic or stream key}.
 *
 * Delivery (src/streams/delivery.ts): a message is acknowledged once GraphServer.runToEnd answered it, that is
 * once the function's steps and its publishes downstream have ended. A 503 answer (a broker that cannot be
 * reached, a model still loading, the server stopping) is retried with backoff and never acknowledged before
 * it succeeds; any other failure is the event's own (it went to the error stream): logged, counted,
 * acknowledged. A message that is not an event (not JSON, no body) is logged, counted and acknowledged.
 */
import { randomUUID } from 'node:crypto';
import { StreamUnavailableError } from '../../errors';
import type { Event, EventResponse, EventTrigger } from '../../event';
import type { GraphServer } from '../../graph-server/graph-server';
import type { ServingLogger } from '../../step/context';
import {
  messageToEnvelope,
  parseStreamUrl,
  type InMessage,
  type StreamConsumer,
  type StreamOptions,
  type StreamPool,
} from '../../streams';

export type StreamTriggerMode = 'queue' | 'source';

export interface StreamTriggerOptions extends StreamOptions {
  url: string;
  mode: StreamTriggerMode;
  /** The consumer group: the function's name. */
  group: string;
  /** Messages processed at once, at most (default kDefaultStreamOptions.maxInFlight). */
  maxInFlight?: number;
  /** Redis: this consumer's name in the group (default `<group>-consumer`). */
  consumerName?: string;
  logger: ServingLogger;
}

/** What a trigger did so far. */
export interface StreamTriggerStats {
  /** Events the graph answered with success. */
  processed: number;
  /** Events the graph failed (answered >= 400, not 503): acknowledged, and in the error stream. */
  failed: number;
  /** Messages that were not events: acknowledged without running. */
  skipped: number;
  /** Attempts answered 503 and retried. */
  retried: number;
}

export class StreamTrigger {
  readonly stats: StreamTriggerStats = { processed: 0, failed: 0, skipped: 0, retried: 0 };
  private readonly consumer: StreamConsumer;
  /** Every event's trigger (one frozen object, as HTTP_TRIGGER): {kind: 'kafka' | 'redis', name: the topic or key}. */
  private readonly trigger: Readonly<EventTrigger>;

  constructor(
    private readonly graphServer: GraphServer,
    pool: StreamPool,
    private readonly options: StreamTriggerOptions,
  ) {
    const address = parseStreamUrl(options.url);
    this.trigger = Object.freeze({ kind: address.kind, name: address.name });
    const { logger } = options;
    this.consumer = pool.consumer(options.url, options, (message) => logger.warn(message, { stream: address.display }));
  }

  /** Joins the group and starts consuming; rejects StreamUnavailableError when the broker cannot be reached. */
  async start(): Promise<void> {
    await this.consumer.start((message) => this.handle(message));
    this.graphServer.addReadinessCheck(() => this.consumer.isHealthy());
  }

  isHealthy(): boolean {
    return this.consumer.isHealthy();
  }

  /** Stops consuming: finishes the events in flight, acknowledges them, leaves the group. */
  stop(): Promise<void> {
    return this.consumer.stop();
  }

  private async handle(message: InMessage): Promise<void> {
    const event = this.toEvent(message);
    if (event === undefined) return;
    const response = await this.graphServer.runToEnd(event);
    if (response.status === 503) {
      this.stats.retried++;
      throw new StreamUnavailableError(`event ${event.id}: ${describe(response)}`);
    }
    if (response.status >= 400) {
      this.stats.failed++;
      this.options.logger.warn(`stream event ${event.id} failed: ${describe(response)}`, { status: response.status });
      return;
    }
    this.stats.processed++;
  }

  /** The event of a message; undefined (logged, counted) when the message is not one. */
  private toEvent(message: InMessage): Event | undefined {
    const trigger = this.trigger;
    if (this.options.mode === 'source') {
      const id = message.key ?? randomUUID().replaceAll('-', '');
      const headers = { 'content-type': 'application/json' };
      const contentType = 'application/json';
      return { id, key: message.key, path: '/', method: 'POST', headers, body: message.value, contentType, trigger };
    }
    try {
      const envelope = messageToEnvelope(message.value);
      // GraphServer parses a string body as JSON text: a string travels as the JSON text of that string.
      const body = typeof envelope.body === 'string' ? JSON.stringify(envelope.body) : envelope.body;
      const { id, path, method, headers, key } = envelope;
      return { id, key, path, method, headers, body, trigger };
    } catch (err) {
      this.stats.skipped++;
      const where = `${trigger.kind} ${trigger.name} ${message.shard}@${message.position}`;
      this.options.logger.error(`skipped a message on ${where}: ${(err as Error).message}`);
      return undefined;
    }
  }
}

function describe(response: EventResponse): string {
  const body = response.body as { error?: unknown } | undefined;
  return typeof body?.error === 'string' ? body.error : `status ${response.status}`;
}
