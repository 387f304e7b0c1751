/**
 * adaptive-batch: what the engine's adaptive batch size (batching.adaptiveBatchSize, native/batch_tuner.h)
 * gives on the PP-OCR direction classifier, an ORT-bound model on CPU: two `graphserve serve` children with
 * the same settings (max batch 32, no delay, one ORT thread, as ../../../shared/tools/peers runs every
 * server), one with the tuner (the default) and one with `adaptiveBatchSize: false` (every batch as large as
 * the queue allows), under the same load: Triton binary bodies of distinct images at `concurrency`.
 *
 * The two alternate `reps` times; ratio = median adaptive req/s ÷ median fixed req/s (target ≥ 1: the tuner
 * never loses). The adaptive child's batch cap at the end (its `graphserve_engine_batch_cap` metric) is
 * reported. Before timing, both children's outputs must match onnxruntime-node's within 1e-4.
 */
import { settingsOf } from '../lib/compare';
import { type ChildServer, metricValue, startBoth, startGraphserve } from '../lib/http-child';
import { measurePair, pairScenarioResult } from '../lib/http-pair';
import { verifyHttp } from '../lib/http-verify';
import { IMAGE_SHAPE, elementsPerImage, imagePool } from '../lib/inputs';
import { binaryBody } from '../lib/oip-bodies';
import { peerOutputs } from '../lib/peer';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 1;
const MODEL_NAME = 'ppocr-cls';
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;
const POOL_IMAGES = 16;
const VERIFY_IMAGES = 8;
const THREADS = 1;

/** The child's batch cap for the model, from its metrics. */
function batchCap(server: ChildServer): Promise<number | undefined> {
  return metricValue(server, `graphserve_engine_batch_cap{model="${MODEL_NAME}"}`);
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const images = imagePool(POOL_IMAGES, elementsPerImage());
  const spec = { name: 'x', shape: [1, ...IMAGE_SHAPE] };
  const bodies = images.map((d) => binaryBody(spec, d));
  const model = { name: MODEL_NAME, modelPath: ctx.modelPath, maxBatchSize: 32, threads: THREADS };
  const [adaptive, fixed] = await startBoth(
    () => startGraphserve(model),
    () => startGraphserve({ ...model, batching: { adaptiveBatchSize: false } }),
  );
  try {
    const want = await peerOutputs(ctx.modelPath, images.slice(0, VERIFY_IMAGES), IMAGE_SHAPE, THREADS);
    const verification = await verifyHttp(
      want,
      [adaptive, fixed].map((s, i) => ({
        label: i === 0 ? 'adaptive' : 'fixed',
        url: s.url + INFER_PATH,
        bodies: bodies.slice(0, VERIFY_IMAGES),
        concurrent: true,
      })),
    );
    ctx.log(`  verified ${verification.checked} outputs of both children against onnxruntime-node`);
    const r = await measurePair(
      ctx,
      { label: 'batches of up to 32', target: { server: fixed, path: INFER_PATH, bodies } },
      { label: 'adaptive batch size', target: { server: adaptive, path: INFER_PATH, bodies } },
      ctx.concurrency,
    );
    const cap = await batchCap(adaptive);
    const fixedCap = await batchCap(fixed);
    if (fixedCap !== 32)
      throw new Error(`the fixed child's batch cap is ${String(fixedCap)}, not 32: the setting was ignored`);
    return pairScenarioResult(ctx, r, {
      scenario: 'adaptive-batch',
      target: TARGET,
      summary:
        `PP-OCR cls binary, c=${ctx.concurrency}, 1 ORT thread: adaptive ${r.ours.rate.toFixed(0)} req/s ` +
        `(p99 ${r.ours.p99Ms} ms, cap ${String(cap)}) vs batches of up to 32 ${r.baseline.rate.toFixed(0)} req/s ` +
        `(p99 ${r.baseline.p99Ms} ms)`,
      figures: {
        adaptive: r.ours,
        fixed: r.baseline,
        adaptiveBatchCap: cap,
        verification,
        settings: settingsOf(ctx, {
          model: ctx.modelName,
          intraOpThreads: THREADS,
          maxBatchSize: 32,
          client: 'autocannon',
        }),
      },
    });
  } finally {
    await Promise.all([adaptive.stop(), fixed.stop()]);
  }
}

export const adaptiveBatch: Scenario = {
  name: 'adaptive-batch',
  description: 'engine: adaptive batch size req/s ÷ batches of up to 32, PP-OCR cls binary, 1 ORT thread',
  byDefault: true,
  run,
};
