/**
 * Multi-function graphs for the stream tests, run in this process the way `graphserve serve GRAPH.yaml
 * [--function NAME] [--source URL]` runs them (the same builder and trigger code), and readers of the streams
 * they write, with the brokers' own clients.
 */
import Redis from 'ioredis';
import { newFunction, type ServingFunction } from '../../src/function/function';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { startStreamTriggers } from '../../src/cli/stream-triggers';
import type { StreamTrigger } from '../../src/server/stream/stream-trigger';
import { silentLogger } from '../../src/step/context';
import { BROKERS_TIMEOUT_MS, useBrokers, type TestBrokers } from './brokers';

/** The steps of the test graphs: each leaves a mark in the body. */
export const STEPS = {
  pre: (body: Record<string, unknown>) => ({ ...body, pre: true }),
  enrich: (body: Record<string, unknown>) => ({ ...body, enriched: true }),
  score: (body: Record<string, unknown>) => ({ ...body, score: Number(body.seq) * 2 }),
};

/**
 * A chain of functions: the root runs `pre`, then each queue of `queues` but the last feeds the next
 * function (enrich, then score), and the last queue is the output nobody consumes.
 */
export function pipeline(name: string, queues: string[]): ServingFunction {
  const fn = newFunction(name);
  let step = fn.setTopology('flow').to({ name: 'pre', handler: 'pre' });
  const functions = ['enrich', 'score'];
  queues.forEach((path, i) => {
    step = step.to({ name: `q${i + 1}`, className: '>>', path });
    if (i < queues.length - 1) step = step.to({ name: functions[i]!, handler: functions[i]!, function: functions[i]! });
  });
  return fn;
}

export interface RunningPart {
  server: GraphServer;
  triggers: StreamTrigger[];
  close(): Promise<void>;
}

/** Builds `currentFunction`'s part and starts its triggers (the queue feeding it, and `source`). */
export async function startPart(fn: ServingFunction, currentFunction: string, source?: string): Promise<RunningPart> {
  const server = await fn.toGraphServer({ namespace: STEPS, logger: silentLogger, currentFunction });
  let triggers: StreamTrigger[];
  try {
    triggers = await startStreamTriggers(
      fn,
      server,
      { currentFunction, source, logger: silentLogger },
      () => undefined,
    );
  } catch (err) {
    await server.close();
    throw err;
  }
  return { server, triggers, close: () => server.close() };
}

/** One event as a queue published it. */
export interface Published {
  id: string;
  key?: string;
  body: Record<string, unknown>;
}

/** Resolves once `condition` holds, checking every 50 ms; rejects after `ms` with `what`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A Redis stream's entries, read with ioredis. */
export class RedisReader {
  readonly client: Redis;

  constructor(address: string) {
    const [host, port] = address.split(':');
    this.client = new Redis({ host, port: Number(port), lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  /** Every entry of `key`, its `value` field parsed. */
  async read(key: string): Promise<Published[]> {
    const entries = await this.client.xrange(key, '-', '+');
    return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('value') + 1]!) as Published);
  }

  /** Adds request bodies to a stream (a source), keyed. */
  async add(key: string, messages: { key: string; value: unknown }[]): Promise<void> {
    for (const m of messages) await this.client.xadd(key, '*', 'key', m.key, 'value', JSON.stringify(m.value));
  }

  close(): Promise<unknown> {
    return this.client.quit();
  }
}

/** The events of `published` by id (duplicates of at-least-once delivery folded). */
export function byId(published: Published[]): Map<string, Published> {
  return new Map(published.map((p) => [p.id, p]));
}

/** A test file's Redis: its address (host:port) and a reader on it, set in beforeAll. */
export interface RedisFixture {
  address: string;
  reader: RedisReader;
}

/** Registers the beforeAll/afterAll of a test file on Redis: the broker (useBrokers) and a reader on it. */
export function useRedis(): RedisFixture {
  const fixture = {} as RedisFixture;
  let brokers: TestBrokers | undefined;
  beforeAll(async () => {
    brokers = await useBrokers({ redis: true });
    fixture.address = brokers.redis;
    fixture.reader = new RedisReader(brokers.redis);
  }, BROKERS_TIMEOUT_MS);
  afterAll(async () => {
    await fixture.reader?.close();
    await brokers?.stop();
  });
  return fixture;
}
