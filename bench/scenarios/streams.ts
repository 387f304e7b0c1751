/**
 * streams: events/s and end-to-end latency through a two-function graph whose functions are joined by a
 * stream queue, over Kafka and over Redis Streams, against the same graph in one process (the mock server's
 * '*': the queue passes events through). Graph: pre (root) → queue → enrich → done (function 'enrich'). The
 * root and the child run in this process as two GraphServers, each with its own stream clients (the root
 * publishes, the child consumes in its group and runs enrich and done), as `graphserve serve` and
 * `graphserve serve --function enrich` would. `concurrency` callers each send one event and wait until `done`
 * has seen it (a closed loop): latency is end to end, through the broker. ratio = Kafka events/s ÷ in-process
 * events/s (Redis's beside it). Brokers come from scripts/brokers (GRAPHSERVE_TEST_KAFKA / _REDIS if set).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { startStreamTriggers } from '../../src/cli/stream-triggers';
import { newFunction, silentLogger, type GraphServer, type ServingFunction } from '../../src';
import { alternate, summarise } from '../lib/compare';
import { runLoop, type LoopResult } from '../lib/loop';
import { round } from '../lib/stats';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

/** No target in benchmarks.md: a broker hop costs what it costs; the ratio says how much. */
const TARGET = 0;

interface BrokersModule {
  startBrokers(which: {
    kafka?: boolean;
    redis?: boolean;
  }): Promise<{ kafka?: string; redis?: string; stop(): Promise<void> }>;
}

/** Events waiting for `done`, by number. */
const waiting = new Map<number, () => void>();

const STEPS = {
  pre: (body: { n: number }) => ({ ...body, pre: true }),
  enrich: (body: { n: number }) => ({ ...body, enriched: true }),
  done: (body: { n: number }) => {
    waiting.get(body.n)?.();
    waiting.delete(body.n);
    return body;
  },
};

function graph(queue: string): ServingFunction {
  const fn = newFunction('bench-streams');
  fn.setTopology('flow')
    .to({ name: 'pre', handler: 'pre' })
    .to({ name: 'q1', className: '>>', path: queue, shards: 2 })
    .to({ name: 'enrich', handler: 'enrich', function: 'enrich' })
    .to({ name: 'done', handler: 'done', function: 'enrich' });
  return fn;
}

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

let counter = 0;

/** One call: an event into the root, resolved when `done` ran on it. */
function caller(root: GraphServer): () => Promise<number> {
  return async () => {
    const n = counter++;
    const finished = new Promise<void>((resolve) => waiting.set(n, resolve));
    const answer = await root.run({ id: `e${n}`, path: '/', method: 'POST', headers: {}, body: { n } });
    if (answer.status !== 200) throw new Error(`event ${n}: ${answer.status} ${JSON.stringify(answer.body)}`);
    await finished;
    return 1;
  };
}

/** The root and the child of the graph over `queue`, started; close() stops both. */
async function split(queue: string) {
  const fn = graph(queue);
  const build = { namespace: STEPS, logger: silentLogger };
  const child = await fn.toGraphServer({ ...build, currentFunction: 'enrich' });
  await startStreamTriggers(fn, child, { currentFunction: 'enrich', logger: silentLogger }, () => undefined);
  const root = await fn.toGraphServer({ ...build, currentFunction: '' });
  return { root, close: async () => Promise.all([root.close(), child.close()]) };
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startBrokers } = require(path.join(repoRoot(), 'scripts', 'brokers', 'brokers.js')) as BrokersModule;
  const fromEnv = { kafka: process.env['GRAPHSERVE_TEST_KAFKA'], redis: process.env['GRAPHSERVE_TEST_REDIS'] };
  const started = await startBrokers({ kafka: !fromEnv.kafka, redis: !fromEnv.redis });
  const kafka = fromEnv.kafka ?? started.kafka!;
  const redis = fromEnv.redis ?? started.redis!;
  const stamp = Date.now().toString(36);
  const local = (await graph(`kafka://${kafka}/unused`).toMockServer({ namespace: STEPS, logger: silentLogger }))
    .graphServer;
  const overKafka = await split(`kafka://${kafka}/bench-${stamp}`);
  const overRedis = await split(`redis://${redis}/bench-${stamp}`);
  try {
    const loop = (root: GraphServer) => () =>
      runLoop(caller(root), { concurrency: ctx.concurrency, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds });
    const [localPhases, kafkaPhases, redisPhases] = await alternate<LoopResult>(ctx, [
      { label: 'one process', measure: loop(local) },
      { label: 'Kafka', measure: loop(overKafka.root) },
      { label: 'Redis Streams', measure: loop(overRedis.root) },
    ]);
    const baseline = summarise('one process', localPhases!, 'requestsPerSecond');
    const viaKafka = summarise('Kafka', kafkaPhases!, 'requestsPerSecond');
    const viaRedis = summarise('Redis Streams', redisPhases!, 'requestsPerSecond');
    const line = (s: typeof baseline) => `${s.label} ${s.rate} ev/s (p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms)`;
    return {
      scenario: 'streams',
      ratio: round(viaKafka.rate / baseline.rate, 3),
      target: TARGET,
      unit: 'events/s',
      summary: `${line(viaKafka)}; ${line(viaRedis)}; ${line(baseline)}; c=${ctx.concurrency}`,
      figures: {
        baseline,
        kafka: viaKafka,
        redis: viaRedis,
        redisRatio: round(viaRedis.rate / baseline.rate, 3),
        settings: { concurrency: ctx.concurrency, seconds: ctx.seconds, reps: ctx.reps, kafkaPartitions: 2 },
      },
      chart: [
        {
          heading: `Two-function graph, ${ctx.concurrency} callers, end to end (events/s)`,
          bars: [
            { label: 'one process', value: baseline.rate, side: 'baseline', samples: baseline.samples },
            { label: 'over Kafka', value: viaKafka.rate, side: 'engine', samples: viaKafka.samples },
            { label: 'over Redis Streams', value: viaRedis.rate, side: 'engine', samples: viaRedis.samples },
          ],
        },
      ],
    };
  } finally {
    await Promise.all([overKafka.close(), overRedis.close(), local.close()]);
    await started.stop();
  }
}

export const streams: Scenario = {
  name: 'streams',
  description:
    'a two-function graph joined by a queue over Kafka and over Redis Streams vs the same graph in one process',
  byDefault: false,
  run,
};
