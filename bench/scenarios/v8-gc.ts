/**
 * v8-gc: what `graphserve serve` sets for V8's garbage collector (src/cli/v8-gc.ts: the old generation may grow
 * to 4x the live heap, no memory reducer) gives a server that has been through heavy JSON traffic and then
 * answers binary requests one at a time, the order of ../../../shared/tools/peers' cells (PP-OCR JSON at c=64,
 * then binary at c=1).
 *
 * Two `graphserve serve` children with the same model settings (PP-OCR cls, max batch 32, no delay, one ORT
 * thread): the default, and `--heap-growing-percent 0 --memory-reducer` (V8's own settings). Each repetition,
 * for each child in turn: PP-OCR JSON bodies at `concurrency` for `seconds` (not measured: V8 then sizes the old
 * generation from a loaded heap), then Triton binary bodies at c=1, measured. The child's full collections during
 * the binary phase (warm-up included) are read from its `nodejs_gc_duration_seconds_count{kind="major"}` metric.
 *
 * ratio = median binary req/s of the default ÷ that of V8's settings (target ≥ 1). Before timing, both children's
 * outputs must match onnxruntime-node's within 1e-4.
 */
import { settingsOf } from '../lib/compare';
import { type ChildServer, metricValue, startBoth, startGraphserve } from '../lib/http-child';
import { type HttpPhase, type HttpTarget, alternateHttp, measureHttp } from '../lib/http-load';
import { pairResult, pairScenarioResult } from '../lib/http-pair';
import { verifyHttp } from '../lib/http-verify';
import { IMAGE_SHAPE, elementsPerImage, imagePool } from '../lib/inputs';
import { binaryBody, jsonBody } from '../lib/oip-bodies';
import { peerOutputs } from '../lib/peer';
import { median } from '../lib/stats';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 1;
const MODEL_NAME = 'ppocr-cls';
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;
const POOL_IMAGES = 16;
const VERIFY_IMAGES = 8;
const THREADS = 1;
const MAJOR_GCS = 'nodejs_gc_duration_seconds_count{kind="major"}';
/** `serve`'s options for V8's own garbage collector settings. */
const V8_SETTINGS = ['--heap-growing-percent', '0', '--memory-reducer'];

/** The child's full garbage collections so far, from its metrics. */
async function majorGcs(server: ChildServer): Promise<number> {
  const value = await metricValue(server, MAJOR_GCS);
  if (value === undefined) throw new Error(`${MAJOR_GCS} is missing from the child's metrics`);
  return value;
}

/** One child's side: the JSON spell, then the measured binary phase; pushes the full GCs of the latter. */
function side(ctx: BenchContext, json: HttpTarget, binary: HttpTarget, majors: number[]): () => Promise<HttpPhase> {
  return async () => {
    await measureHttp(ctx, json, ctx.concurrency);
    const before = await majorGcs(binary.server);
    const phase = await measureHttp(ctx, binary, 1);
    majors.push((await majorGcs(binary.server)) - before);
    return phase;
  };
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const images = imagePool(POOL_IMAGES, elementsPerImage());
  const spec = { name: 'x', shape: [1, ...IMAGE_SHAPE] };
  const binary = images.map((d) => binaryBody(spec, d));
  const json = images.map((d) => jsonBody(spec, d));
  const model = { name: MODEL_NAME, modelPath: ctx.modelPath, maxBatchSize: 32, threads: THREADS };
  const [tuned, heuristic] = await startBoth(
    () => startGraphserve(model),
    () => startGraphserve(model, V8_SETTINGS),
  );
  try {
    const want = await peerOutputs(ctx.modelPath, images.slice(0, VERIFY_IMAGES), IMAGE_SHAPE, THREADS);
    const verification = await verifyHttp(
      want,
      [tuned, heuristic].flatMap((s, i) =>
        [binary, json].map((bodies) => ({
          label: i === 0 ? 'default' : "V8's settings",
          url: s.url + INFER_PATH,
          bodies: bodies.slice(0, VERIFY_IMAGES),
          concurrent: true,
        })),
      ),
    );
    ctx.log(`  verified ${verification.checked} outputs (JSON and binary) of both children against onnxruntime-node`);
    const target = (server: ChildServer, bodies: typeof binary): HttpTarget => ({ server, path: INFER_PATH, bodies });
    const gcs: [number[], number[]] = [[], []];
    const [h, t] = (await alternateHttp(ctx, [
      { label: "V8's settings", measure: side(ctx, target(heuristic, json), target(heuristic, binary), gcs[0]) },
      { label: "serve's settings", measure: side(ctx, target(tuned, json), target(tuned, binary), gcs[1]) },
    ])) as [HttpPhase[], HttpPhase[]];
    const r = pairResult("V8's settings", h, "serve's settings", t, 1);
    const fullGcs = { heuristic: median(gcs[0]), tuned: median(gcs[1]), samples: { heuristic: gcs[0], tuned: gcs[1] } };
    return pairScenarioResult(ctx, r, {
      scenario: 'v8-gc',
      target: TARGET,
      summary:
        `PP-OCR cls binary c=1 after JSON c=${ctx.concurrency}: serve's GC settings ${r.ours.rate.toFixed(0)} ` +
        `req/s (p99 ${r.ours.p99Ms} ms, ${fullGcs.tuned} full GCs) vs V8's ${r.baseline.rate.toFixed(0)} ` +
        `req/s (p99 ${r.baseline.p99Ms} ms, ${fullGcs.heuristic} full GCs)`,
      figures: {
        tuned: r.ours,
        heuristic: r.baseline,
        fullGcsInBinaryPhase: fullGcs,
        verification,
        settings: settingsOf(ctx, {
          model: ctx.modelName,
          intraOpThreads: THREADS,
          maxBatchSize: 32,
          measuredConcurrency: 1,
          client: 'autocannon',
        }),
      },
    });
  } finally {
    await Promise.all([tuned.stop(), heuristic.stop()]);
  }
}

export const v8Gc: Scenario = {
  name: 'v8-gc',
  description: "server: serve's V8 GC settings ÷ V8's own, PP-OCR binary c=1 req/s after JSON at c=64",
  byDefault: true,
  run,
};
