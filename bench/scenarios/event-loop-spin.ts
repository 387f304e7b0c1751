/**
 * event-loop-spin: what the event loop's spin after a run on the JS thread (`--event-loop-spin-micros`,
 * bindings/event-loop-spin.ts) gives a tiny model at one connection, where every request comes to a server
 * that has just answered the one before. Two `graphserve serve` children serve iris (examples/models: four
 * FP32 in, a label and three probabilities out, run on the event loop) with the same settings but one: the
 * default spin (200 µs) and `--event-loop-spin-micros 0`. Both get the same JSON bodies from autocannon,
 * alternating `reps` times, at one connection and, to show the spin costs nothing under load, at
 * `concurrency`.
 *
 * ratio = spin ÷ no spin, median req/s at c=1 (target ≥ 1: the spin never loses). Each child's spins
 * (graphserve_event_loop_spins_total) are reported: 0 for the baseline, or the setting was ignored.
 */
import * as path from 'node:path';
import { kDefaultEventLoopSpinMicros } from '../../bindings/event-loop-spin';
import { settingsOf } from '../lib/compare';
import { type ChildServer, metricValue, repoRoot, startBoth, startGraphserve } from '../lib/http-child';
import { measurePair, pairChart } from '../lib/http-pair';
import { imagePool } from '../lib/inputs';
import { postOnce } from '../lib/large-body';
import { type HttpBody, jsonBody } from '../lib/oip-bodies';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 1;
const MODEL_NAME = 'iris';
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;
const POOL = 16;
const SPINS = 'graphserve_event_loop_spins_total';

function irisModelPath(): string {
  return path.join(repoRoot(), 'examples', 'models', 'iris', 'model.onnx');
}

/** Both children answer every body alike (the same label and probabilities): returns how many were compared. */
async function verify(servers: readonly ChildServer[], bodies: readonly HttpBody[]): Promise<number> {
  for (const { body } of bodies) {
    const answers = await Promise.all(servers.map((s) => postOnce(s.url + INFER_PATH, body)));
    for (const a of answers) if (a.status !== 200) throw new Error(`iris answered ${a.status}: ${a.text}`);
    const outputs = answers.map((a) => JSON.stringify((JSON.parse(a.text) as { outputs: unknown }).outputs));
    if (outputs[0] !== outputs[1]) throw new Error(`the two children answer differently: ${outputs.join(' vs ')}`);
  }
  return bodies.length;
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const bodies = imagePool(POOL, 4, 5).map((row) => jsonBody({ name: 'input', shape: [1, 4] }, row));
  const model = { name: MODEL_NAME, modelPath: irisModelPath(), maxBatchSize: 32, threads: 1 };
  const [spinning, sleeping] = await startBoth(
    () => startGraphserve(model),
    () => startGraphserve(model, ['--event-loop-spin-micros', '0']),
  );
  try {
    const compared = await verify([spinning, sleeping], bodies);
    ctx.log(`  verified: both children give the same outputs for ${compared} iris bodies`);
    const pair = (connections: number) =>
      measurePair(
        ctx,
        { label: `no spin c=${connections}`, target: { server: sleeping, path: INFER_PATH, bodies } },
        { label: `spin c=${connections}`, target: { server: spinning, path: INFER_PATH, bodies } },
        connections,
      );
    const one = await pair(1);
    const loaded = await pair(ctx.concurrency);
    const spins = {
      spin: (await metricValue(spinning, SPINS)) ?? 0,
      noSpin: (await metricValue(sleeping, SPINS)) ?? 0,
    };
    if (spins.noSpin !== 0 || spins.spin === 0) {
      throw new Error(`event-loop spins: ${JSON.stringify(spins)}: the setting was ignored`);
    }
    return {
      scenario: 'event-loop-spin',
      ratio: one.rateRatio,
      target: TARGET,
      unit: 'req/s',
      summary:
        `iris JSON, c=1: spin ${one.ours.rate.toFixed(0)} req/s (p50 ${one.ours.p50Ms} ms) vs no spin ` +
        `${one.baseline.rate.toFixed(0)} (p50 ${one.baseline.p50Ms} ms); c=${ctx.concurrency}: ` +
        `${loaded.ours.rate.toFixed(0)} vs ${loaded.baseline.rate.toFixed(0)} req/s (${loaded.rateRatio}×)`,
      figures: {
        c1: one,
        loaded,
        spins,
        verified: compared,
        settings: settingsOf(ctx, {
          model: 'examples/models/iris',
          intraOpThreads: 1,
          maxBatchSize: 32,
          spinMicros: kDefaultEventLoopSpinMicros,
          client: 'autocannon',
        }),
      },
      chart: [...pairChart(ctx, one), ...pairChart(ctx, loaded)],
    };
  } finally {
    await Promise.all([spinning.stop(), sleeping.stop()]);
  }
}

export const eventLoopSpin: Scenario = {
  name: 'event-loop-spin',
  description: "event loop spinning after a tiny model's runs ÷ sleeping at once, iris req/s at c=1",
  byDefault: true,
  run,
};
