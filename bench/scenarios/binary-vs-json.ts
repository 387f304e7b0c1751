/**
 * binary-vs-json: what Triton's binary tensor extension saves over OIP JSON for a large tensor, both
 * against the same `graphserve serve` child. The model is the identity over FP32 [batch, n]
 * (test/fixtures/models/identity_dyn.onnx) with a 1 MiB input, [1, 262144]; the binary side sends the
 * tensor as raw bytes and asks for the output the same way (`binary_data_output`), the JSON side sends
 * and receives it as a JSON number list. A few connections (4) keep several large requests in flight.
 *
 * JSON and binary alternate `reps` times; ratio = median binary req/s ÷ median JSON req/s (target ≥ 3).
 * Before timing, both kinds must return their input unchanged.
 */
import * as path from 'node:path';
import { settingsOf } from '../lib/compare';
import { type ChildServer, repoRoot, startGraphserve } from '../lib/http-child';
import { measurePair, pairChart } from '../lib/http-pair';
import { verifyHttp } from '../lib/http-verify';
import { imagePool } from '../lib/inputs';
import { binaryBody, jsonBody } from '../lib/oip-bodies';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 3;
const ELEMENTS = 262144; // 1 MiB of FP32
const CONNECTIONS = 4;
const POOL = 4;
const MODEL_NAME = 'identity-dyn';
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;

function modelPath(): string {
  return path.join(repoRoot(), 'test', 'fixtures', 'models', 'identity_dyn.onnx');
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const tensors = imagePool(POOL, ELEMENTS, 7);
  const spec = { name: 'x', shape: [1, ELEMENTS] };
  const json = tensors.map((t) => jsonBody(spec, t));
  const binary = tensors.map((t) => binaryBody(spec, t, true));
  const server: ChildServer = await startGraphserve({
    name: MODEL_NAME,
    modelPath: modelPath(),
    maxBatchSize: 32,
    threads: ctx.threads,
  });
  try {
    const url = server.url + INFER_PATH;
    const verification = await verifyHttp(tensors, [
      { label: 'graphserve JSON', url, bodies: json, concurrent: true },
      { label: 'graphserve binary', url, bodies: binary, concurrent: true },
    ]);
    ctx.log(`  verified ${verification.checked} identity outputs (JSON and binary) against their inputs`);
    const r = await measurePair(
      ctx,
      { label: 'graphserve JSON', target: { server, path: INFER_PATH, bodies: json } },
      { label: 'graphserve binary', target: { server, path: INFER_PATH, bodies: binary } },
      CONNECTIONS,
    );
    return {
      scenario: 'binary-vs-json',
      ratio: r.rateRatio,
      target: TARGET,
      unit: 'req/s',
      summary:
        `1 MiB FP32 identity [1,${ELEMENTS}], c=${CONNECTIONS}: binary ${r.ours.rate.toFixed(1)} req/s ` +
        `(p50 ${r.ours.p50Ms} ms) vs JSON ${r.baseline.rate.toFixed(1)} req/s (p50 ${r.baseline.p50Ms} ms); ` +
        `JSON body ${((json[0]?.body.length ?? 0) / 2 ** 20).toFixed(1)} MiB`,
      figures: {
        binary: r.ours,
        json: r.baseline,
        pairedRatios: r.pairedRatios,
        p50Ratio: r.p50Ratio,
        bodyBytes: { json: json[0]?.body.length, binary: binary[0]?.body.length },
        verification,
        settings: settingsOf(ctx, { model: 'identity_dyn.onnx', connections: CONNECTIONS, client: 'autocannon' }),
      },
      chart: pairChart(ctx, r),
    };
  } finally {
    await server.stop();
  }
}

export const binaryVsJson: Scenario = {
  name: 'binary-vs-json',
  description: 'graphserve: binary-extension req/s ÷ OIP JSON req/s for a 1 MiB FP32 tensor (identity)',
  byDefault: true,
  run,
};
