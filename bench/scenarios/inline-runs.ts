/**
 * inline-runs: what running a tiny model's batches on the event loop (the `inlineRunMicros` setting,
 * native/engine.h RunInline) gives over handing every batch to the engine's scheduler thread. Two
 * `graphserve serve` children serve the identity over FP32 [batch, 3] (test/fixtures/models) with the same
 * settings but one: inlineRunMicros 100 (the default) and 0 (never inline). Both get the same JSON bodies,
 * alternating `reps` times, at `concurrency` (no thread wake-up and no completion callback per batch) and,
 * for reference, at one connection (where the hand-off is all of a request's wait).
 *
 * ratio = inline ÷ scheduler thread, median req/s at `concurrency` (target ≥ 1: inline runs never lose).
 * Each child's inline batches (graphserve_engine_inline_batches_total) are reported: 0 for the baseline, or
 * the setting was ignored.
 */
import { settingsOf } from '../lib/compare';
import { type ChildServer, identityModelPath, metricValue, startBoth, startGraphserve } from '../lib/http-child';
import { measurePair, pairChart } from '../lib/http-pair';
import { verifyHttp } from '../lib/http-verify';
import { imagePool } from '../lib/inputs';
import { jsonBody } from '../lib/oip-bodies';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 1;
const MODEL_NAME = 'identity';
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;
const POOL = 16;

/** A child's counter for the model from its metrics (0 when absent). */
async function counter(server: ChildServer, name: string): Promise<number> {
  return (await metricValue(server, `${name}{model="${MODEL_NAME}"}`)) ?? 0;
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const rows = imagePool(POOL, 3, 3);
  const bodies = rows.map((r) => jsonBody({ name: 'x', shape: [1, 3] }, r));
  const model = { name: MODEL_NAME, modelPath: identityModelPath(), maxBatchSize: 32, threads: 1 };
  const [inline, threaded] = await startBoth(
    () => startGraphserve({ ...model, settings: { inlineRunMicros: 100 } }),
    () => startGraphserve({ ...model, settings: { inlineRunMicros: 0 } }),
  );
  try {
    const verification = await verifyHttp(
      rows,
      [inline, threaded].map((s, i) => ({
        label: i === 0 ? 'inline' : 'scheduler thread',
        url: s.url + INFER_PATH,
        bodies,
        concurrent: false,
      })),
    );
    ctx.log(`  verified ${verification.checked} identity outputs of both children against their inputs`);
    const pair = (connections: number) =>
      measurePair(
        ctx,
        { label: `scheduler thread c=${connections}`, target: { server: threaded, path: INFER_PATH, bodies } },
        { label: `inline c=${connections}`, target: { server: inline, path: INFER_PATH, bodies } },
        connections,
      );
    const loaded = await pair(ctx.concurrency);
    const one = await pair(1);
    const batches = 'graphserve_engine_batches_total';
    const inlineBatches = 'graphserve_engine_inline_batches_total';
    const share = {
      inline: { batches: await counter(inline, batches), inlineBatches: await counter(inline, inlineBatches) },
      threaded: { batches: await counter(threaded, batches), inlineBatches: await counter(threaded, inlineBatches) },
    };
    if (share.threaded.inlineBatches !== 0 || share.inline.inlineBatches === 0) {
      throw new Error(`inline batches: ${JSON.stringify(share)}: the setting was ignored`);
    }
    return {
      scenario: 'inline-runs',
      ratio: loaded.rateRatio,
      target: TARGET,
      unit: 'req/s',
      summary:
        `identity FP32 [1,3] JSON, c=${ctx.concurrency}: inline ${loaded.ours.rate.toFixed(0)} req/s ` +
        `(p99 ${loaded.ours.p99Ms} ms) vs scheduler thread ${loaded.baseline.rate.toFixed(0)} ` +
        `(p99 ${loaded.baseline.p99Ms} ms); c=1: ${one.ours.rate.toFixed(0)} vs ${one.baseline.rate.toFixed(0)} ` +
        `req/s (${one.rateRatio}×, p50 ${one.ours.p50Ms} vs ${one.baseline.p50Ms} ms)`,
      figures: {
        loaded,
        c1: one,
        batches: share,
        verification,
        settings: settingsOf(ctx, {
          model: 'identity_fp32.onnx',
          intraOpThreads: 1,
          maxBatchSize: 32,
          client: 'autocannon',
        }),
      },
      chart: [...pairChart(ctx, loaded), ...pairChart(ctx, one)],
    };
  } finally {
    await Promise.all([inline.stop(), threaded.stop()]);
  }
}

export const inlineRuns: Scenario = {
  name: 'inline-runs',
  description: 'engine: a tiny model run on the event loop (inlineRunMicros) ÷ on the scheduler thread, req/s',
  byDefault: true,
  run,
};
