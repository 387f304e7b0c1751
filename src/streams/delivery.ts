/**
 * At-least-once delivery for every consumer: a bounded number of messages in flight, messages with the same
 * key handled one after the other in arrival order (different keys concurrently), a message whose handler
 * rejects retried with backoff (it stays in flight, so it holds its key and its shard's acknowledgement), and
 * acknowledgements that never pass a message that is not finished: per shard, `ack` gets the finished
 * messages in arrival order, up to the first unfinished one (Kafka commits the last one's offset).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { kDefaultStreamOptions, type InMessage, type MessageHandler } from './types';

interface Entry {
  message: InMessage;
  done: boolean;
}

/** The backoff before retry `exponent` + 1, ms: `min` doubled `exponent` times, at most `max` (kDefaultStreamOptions). */
export function backoffMs(
  exponent: number,
  min: number = kDefaultStreamOptions.retryMinMs,
  max: number = kDefaultStreamOptions.retryMaxMs,
): number {
  return Math.min(max, min * 2 ** exponent);
}

export interface DispatcherOptions {
  maxInFlight: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Called with each failure before its retry (logs, readiness). */
  onRetry?: (message: InMessage, err: unknown, attempt: number) => void;
  /** Called once a message that failed before finishes. */
  onRecovered?: () => void;
}

export class Dispatcher {
  /** Per shard, the messages in arrival order that are not acknowledged yet. */
  private readonly shards = new Map<string, Entry[]>();
  /** Per key, the tail of its chain of handlers. */
  private readonly chains = new Map<string, Promise<void>>();
  private inFlight = 0;
  private retrying = 0;
  private waiters: (() => void)[] = [];
  private idle: (() => void)[] = [];
  private stopping = false;
  /** Keys with a message abandoned while stopping: their later messages are not run (order per key). */
  private readonly abandonedKeys = new Set<string>();
  /** Finished messages not acknowledged yet, in order per shard; one acknowledgement runs at a time. */
  private toAck: InMessage[] = [];
  private acking: Promise<void> | undefined;

  constructor(
    private readonly handler: MessageHandler,
    /** Acknowledges finished messages of one shard, in order; a rejection is logged by the caller's onRetry. */
    private readonly ack: (messages: InMessage[]) => Promise<void>,
    private readonly options: DispatcherOptions,
  ) {}

  /** Messages taken and not yet acknowledged. */
  get pending(): number {
    return this.inFlight;
  }

  /** True while a message waits for a retry. */
  get failing(): boolean {
    return this.retrying > 0;
  }

  /** Resolves once there is room for one more message (backpressure for the fetch loop). */
  async capacity(): Promise<void> {
    while (this.inFlight >= this.options.maxInFlight) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Takes one message: chained after its key's previous one. */
  push(message: InMessage): void {
    this.inFlight++;
    const entry: Entry = { message, done: false };
    let queue = this.shards.get(message.shard);
    if (!queue) this.shards.set(message.shard, (queue = []));
    queue.push(entry);
    const key = message.key ?? `\u0000${message.shard}:${message.position}`;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.handle(entry, key));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Stops retrying (messages still failing stay unacknowledged) and resolves when nothing is in flight. */
  async drain(): Promise<void> {
    this.stopping = true;
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    while (this.acking) await this.acking;
  }

  private async handle(entry: Entry, key: string): Promise<void> {
    if (this.abandonedKeys.has(key)) return this.finish(entry, false);
    const min = this.options.retryMinMs ?? kDefaultStreamOptions.retryMinMs;
    const max = this.options.retryMaxMs ?? kDefaultStreamOptions.retryMaxMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handler(entry.message);
        if (attempt > 1) this.recovered();
        this.finish(entry, true);
        return;
      } catch (err) {
        if (attempt === 1) this.retrying++;
        this.options.onRetry?.(entry.message, err, attempt);
        if (this.stopping) {
          this.abandonedKeys.add(key);
          this.recovered();
          this.finish(entry, false);
          return;
        }
        await sleep(backoffMs(attempt - 1, min, max));
      }
    }
  }

  private recovered(): void {
    this.retrying--;
    this.options.onRecovered?.();
  }

  /** Marks the entry finished (or abandoned, never acknowledged) and acknowledges what became contiguous. */
  private finish(entry: Entry, done: boolean): void {
    entry.done = done;
    const queue = this.shards.get(entry.message.shard)!;
    if (!done) {
      // Abandoned while stopping: nothing at or after it in its shard may be acknowledged any more.
      queue.splice(queue.indexOf(entry));
    }
    const ready: InMessage[] = [];
    while (queue.length > 0 && queue[0]!.done) ready.push(queue.shift()!.message);
    if (ready.length > 0) {
      this.toAck.push(...ready);
      this.pumpAcks();
    }
    this.inFlight--;
    this.waiters.shift()?.();
    if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Acknowledges what finished meanwhile in one call per shard (Kafka commits only the last offset of each). */
  private pumpAcks(): void {
    if (this.acking || this.toAck.length === 0) return;
    const batch = this.toAck.splice(0);
    const shards = new Map<string, InMessage[]>();
    for (const message of batch) {
      const list = shards.get(message.shard);
      if (list) list.push(message);
      else shards.set(message.shard, [message]);
    }
    const run = async (): Promise<void> => {
      for (const messages of shards.values()) {
        await this.ack(messages).catch((err: unknown) => this.options.onRetry?.(messages[0]!, err, 0));
      }
    };
    this.acking = run().finally(() => {
      this.acking = undefined;
      this.pumpAcks();
    });
  }
}
