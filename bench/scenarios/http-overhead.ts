/**
 * http-overhead: graphserve's per-request cost over HTTP when the model costs next to nothing. The
 * identity over FP32 [batch, 3] (test/fixtures/models/identity_fp32.onnx) is served by `graphserve
 * serve`; the baseline is a plain fastify route in another child that parses the same JSON body and
 * sends it back re-encoded (bench/peer/server.ts --echo-only), the floor for any JSON-over-HTTP server
 * in Node. Both get the same bodies from `concurrency` connections, alternating `reps` times.
 *
 * ratio = graphserve median req/s ÷ echo median req/s (target ≥ 0.6).
 */
import { settingsOf } from '../lib/compare';
import { identityModelPath, startBoth, startGraphserve, startPeer } from '../lib/http-child';
import { measurePair, pairChart } from '../lib/http-pair';
import { verifyHttp } from '../lib/http-verify';
import { imagePool } from '../lib/inputs';
import { type HttpBody, jsonBody } from '../lib/oip-bodies';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 0.6;
const MODEL_NAME = 'identity';
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;
const POOL = 16;

/** The echo route must send back the JSON it was given. */
async function verifyEcho(url: string, bodies: readonly HttpBody[]): Promise<void> {
  for (const b of bodies) {
    const res = await fetch(url, { method: 'POST', headers: b.headers, body: b.body });
    const text = await res.text();
    if (res.status !== 200 || text !== JSON.stringify(JSON.parse(b.body.toString('utf8')))) {
      throw new Error(`fastify echo: status ${res.status}, body differs from the request`);
    }
  }
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const rows = imagePool(POOL, 3, 3);
  const bodies = rows.map((r) => jsonBody({ name: 'x', shape: [1, 3] }, r));
  const [graphserve, echo] = await startBoth(
    () => startGraphserve({ name: MODEL_NAME, modelPath: identityModelPath(), maxBatchSize: 32, threads: 1 }),
    () => startPeer({ name: 'echo', threads: 1, spinning: false }),
  );
  try {
    const verification = await verifyHttp(rows, [
      { label: 'graphserve', url: graphserve.url + INFER_PATH, bodies, concurrent: true },
    ]);
    await verifyEcho(echo.url + '/echo', bodies);
    ctx.log(`  verified ${verification.checked} identity outputs against their inputs and the echo's bodies`);
    const r = await measurePair(
      ctx,
      { label: 'fastify echo', target: { server: echo, path: '/echo', bodies } },
      { label: 'graphserve identity', target: { server: graphserve, path: INFER_PATH, bodies } },
      ctx.concurrency,
    );
    return {
      scenario: 'http-overhead',
      ratio: r.rateRatio,
      target: TARGET,
      unit: 'req/s',
      summary:
        `c=${ctx.concurrency} tiny JSON (FP32 [1,3], ${bodies[0]?.body.length ?? 0} B): graphserve identity ` +
        `${r.ours.rate.toFixed(0)} req/s (p99 ${r.ours.p99Ms} ms) vs fastify JSON echo ${r.baseline.rate.toFixed(0)} ` +
        `req/s (p99 ${r.baseline.p99Ms} ms)`,
      figures: {
        graphserve: r.ours,
        echo: r.baseline,
        pairedRatios: r.pairedRatios,
        p99Ratio: r.p99Ratio,
        verification,
        settings: settingsOf(ctx, { model: 'identity_fp32.onnx', intraOpThreads: 1, client: 'autocannon' }),
      },
      chart: pairChart(ctx, r),
    };
  } finally {
    await Promise.all([graphserve.stop(), echo.stop()]);
  }
}

export const httpOverhead: Scenario = {
  name: 'http-overhead',
  description: 'graphserve req/s on a tiny identity model ÷ a fastify route echoing the same JSON body',
  byDefault: true,
  run,
};
