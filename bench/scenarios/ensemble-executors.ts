/**
 * ensemble-executors: a VotingEnsemble of three CPU-bound JavaScript children (bench/lib/cpu-child.ts)
 * with executorType 'process' (children in piscina worker threads) against the same ensemble with
 * 'thread' (children interleaved on the JS thread). A few callers loop requests through the mock
 * server; ratio = median process req/s ÷ median thread req/s, from alternating repetitions. On N cores
 * the ratio approaches min(N, 3): the thread executor can only ever use one core for JavaScript.
 */
import * as path from 'node:path';
import { newFunction, silentLogger, type MockServer, type VotingEnsemble } from '../../src';
import { alternate, pairedRatios, summarise } from '../lib/compare';
import { runLoop, type LoopOptions } from '../lib/loop';
import { round } from '../lib/stats';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 1.5;
/** Callers: enough to keep every worker busy; more would only lengthen the queue. */
const CALLERS = 4;
const CHILDREN = 3;
/** Work per child and request (about 10 ms on a 2020s x86 core). */
const ITERATIONS = 1_000_000;
const CHILD_MODULE = path.join(__dirname, '..', 'lib', `cpu-child${path.extname(__filename)}`);

async function buildEnsemble(executorType: 'thread' | 'process'): Promise<MockServer> {
  const fn = newFunction(`ensemble-${executorType}`);
  fn.setTopology('router', { className: 'VotingEnsemble', name: 'ens', executorType, voteType: 'regression' });
  for (let i = 0; i < CHILDREN; i++) {
    fn.addModel(`cpu${i}`, { className: 'CpuChild', module: CHILD_MODULE, iterations: ITERATIONS });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CpuChild } = require(CHILD_MODULE) as typeof import('../lib/cpu-child');
  return fn.toMockServer({ namespace: { CpuChild }, logger: silentLogger });
}

function measure(server: MockServer, ctx: BenchContext) {
  const options: LoopOptions = { concurrency: CALLERS, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds };
  return () =>
    runLoop(async (seq) => {
      await server.test('/v2/models/ens/infer', { inputs: [seq % 7] });
      return 1;
    }, options);
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const thread = await buildEnsemble('thread');
  const proc = await buildEnsemble('process');
  const check = async (s: MockServer) =>
    (await s.test('/v2/models/ens/infer', { inputs: [3] })) as { outputs: number[] };
  const [a, b] = [await check(thread), await check(proc)];
  if (a.outputs[0] !== b.outputs[0]) throw new Error(`executors disagree: ${a.outputs[0]} vs ${b.outputs[0]}`);
  try {
    const [threadPhases, procPhases] = await alternate(ctx, [
      { label: "executorType 'thread'", measure: measure(thread, ctx) },
      { label: "executorType 'process'", measure: measure(proc, ctx) },
    ]);
    const baseline = summarise("'thread'", threadPhases!, 'requestsPerSecond');
    const engine = summarise("'process'", procPhases!, 'requestsPerSecond');
    const ratio = round(engine.rate / baseline.rate, 3);
    return {
      scenario: 'ensemble-executors',
      ratio,
      target: TARGET,
      unit: 'req/s',
      summary: `process ${engine.rate} req/s vs thread ${baseline.rate} req/s (${CHILDREN} CPU-bound children)`,
      figures: {
        baseline,
        engine,
        pairedRatios: pairedRatios(threadPhases!, procPhases!, 'requestsPerSecond'),
        settings: {
          callers: CALLERS,
          children: CHILDREN,
          iterations: ITERATIONS,
          seconds: ctx.seconds,
          reps: ctx.reps,
        },
      },
      chart: [
        {
          heading: `VotingEnsemble of ${CHILDREN} CPU-bound JS children, ${CALLERS} callers (req/s)`,
          bars: [
            { label: "executorType 'thread'", value: baseline.rate, side: 'baseline', samples: baseline.samples },
            { label: "executorType 'process'", value: engine.rate, side: 'engine', samples: engine.samples },
          ],
        },
      ],
    };
  } finally {
    await (proc.graphServer.graph as unknown as VotingEnsemble).close();
  }
}

export const ensembleExecutors: Scenario = {
  name: 'ensemble-executors',
  description: "VotingEnsemble of 3 CPU-bound JS children: executorType 'process' (worker threads) vs 'thread'",
  byDefault: false,
  run,
};
