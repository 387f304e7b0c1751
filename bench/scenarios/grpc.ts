/**
 * grpc: graphserve's gRPC transport (ModelInfer with raw_input_contents) against its HTTP transport with
 * Triton's binary extension, on the PP-OCR direction classifier at c=64, both served by the same
 * `graphserve serve` child (batching on, max batch 32, no delay). Both sides use the same closed loop in this
 * process (../lib/closed-loop.ts): 64 callers, one connection each, prepared requests of 16 distinct images,
 * answers read to their end and not decoded; HTTP calls go through undici, gRPC calls through node:http2 with
 * prepared gRPC frames (grpc-status checked), two clients of comparable cost per call: on 2 shared cores a
 * client's own CPU is taken from the server (autocannon is cheaper than any gRPC client; @grpc/grpc-js costs
 * about twice node:http2 per call). @grpc/grpc-js checks the outputs before timing.
 *
 * HTTP and gRPC alternate `reps` times; ratio = median gRPC req/s ÷ median HTTP binary req/s (target ≥ 1).
 * Before timing, outputs over both transports must match onnxruntime-node's within 1e-4.
 */
import { settingsOf } from '../lib/compare';
import { httpCall, httpPool, measureLoop } from '../lib/closed-loop';
import {
  type GrpcServer,
  callInfer,
  firstGrpcOutput,
  grpcClients,
  grpcFrame,
  grpcRequest,
  h2GrpcCall,
  h2Sessions,
  startGraphserveGrpc,
} from '../lib/grpc-load';
import { alternateHttp, type HttpPhase } from '../lib/http-load';
import { pairChart, pairResult } from '../lib/http-pair';
import { IMAGE_SHAPE, elementsPerImage, imagePool, maxAbsDiff } from '../lib/inputs';
import { binaryBody, postInfer } from '../lib/oip-bodies';
import { peerOutputs } from '../lib/peer';
import { round } from '../lib/stats';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';
import { TOLERANCE } from '../lib/verify';

const TARGET = 1;
const MODEL_NAME = 'ppocr-cls';
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;
const POOL_IMAGES = 16;
const VERIFY_IMAGES = 8;

/** Both transports' outputs for the first images, against onnxruntime-node run alone; throws on a mismatch. */
async function verify(ctx: BenchContext, server: GrpcServer, images: Float32Array[], grpc: Buffer[]) {
  const picked = images.slice(0, VERIFY_IMAGES);
  const want = await peerOutputs(ctx.modelPath, picked, IMAGE_SHAPE, ctx.threads);
  const clients = grpcClients(server.grpcTarget, 1);
  try {
    const spec = { name: 'x', shape: [1, ...IMAGE_SHAPE] };
    const http = await Promise.all(picked.map((d) => postInfer(server.url + INFER_PATH, binaryBody(spec, d))));
    const overGrpc = (await Promise.all(grpc.slice(0, VERIFY_IMAGES).map((r) => callInfer(clients[0]!, r)))).map(
      firstGrpcOutput,
    );
    let worst = 0;
    want.forEach((w, i) => {
      const diff = Math.max(maxAbsDiff(http[i]!, w), maxAbsDiff(overGrpc[i]!, w));
      if (!(diff <= TOLERANCE)) throw new Error(`output ${i} differs from onnxruntime-node's by ${diff}`);
      worst = Math.max(worst, diff);
    });
    return { checked: 2 * picked.length, maxAbsDiff: worst, tolerance: TOLERANCE };
  } finally {
    clients.forEach((c) => c.close());
  }
}

/** The scenario's result from both sides' repetitions. */
function resultOf(ctx: BenchContext, h: HttpPhase[], g: HttpPhase[], verification: object): ScenarioResult {
  const r = pairResult('HTTP binary', h, 'gRPC raw', g, ctx.concurrency);
  const { baseline: hs, ours: gs } = r;
  return {
    scenario: 'grpc',
    ratio: r.rateRatio,
    target: TARGET,
    unit: 'req/s',
    summary:
      `PP-OCR cls, c=${ctx.concurrency}: ` +
      `gRPC raw ${gs.rate.toFixed(0)} req/s (p50 ${gs.p50Ms} ms, p99 ${gs.p99Ms} ms) ` +
      `vs HTTP binary ${hs.rate.toFixed(0)} req/s (p50 ${hs.p50Ms} ms, p99 ${hs.p99Ms} ms)`,
    figures: {
      grpc: gs,
      http: hs,
      pairedRatios: r.pairedRatios,
      // server CPU per answer, ms: less moved by other work on a shared machine than req/s
      serverCpuMsPerRequest: {
        grpc: round((gs.serverCores / gs.rate) * 1000, 3),
        http: round((hs.serverCores / hs.rate) * 1000, 3),
      },
      p50Ratio: r.p50Ratio,
      p99Ratio: r.p99Ratio,
      verification,
      settings: settingsOf(ctx, {
        model: ctx.modelName,
        connections: ctx.concurrency,
        client:
          'one closed loop: undici (HTTP), node:http2 with prepared gRPC frames (gRPC), one connection per caller',
      }),
    },
    chart: pairChart(ctx, r),
  };
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const images = imagePool(POOL_IMAGES, elementsPerImage());
  const spec = { name: 'x', shape: [1, ...IMAGE_SHAPE] };
  const http = images.map((d) => binaryBody(spec, d, true));
  const grpc = images.map((d) => grpcRequest(MODEL_NAME, spec, d));
  const model = { name: MODEL_NAME, modelPath: ctx.modelPath, maxBatchSize: 32, threads: ctx.threads };
  const server = await startGraphserveGrpc(model);
  const c = ctx.concurrency;
  const sessions = h2Sessions(server.grpcTarget, c);
  const frames = grpc.map(grpcFrame);
  const pool = httpPool(server.url, c);
  try {
    const verification = await verify(ctx, server, images, grpc);
    ctx.log(`  verified ${verification.checked} outputs (HTTP and gRPC) against onnxruntime-node`);
    const [h, g] = (await alternateHttp(ctx, [
      { label: 'HTTP binary', measure: () => measureLoop(ctx, server, httpCall(pool, INFER_PATH, http), c) },
      { label: 'gRPC raw', measure: () => measureLoop(ctx, server, h2GrpcCall(sessions, frames), c) },
    ])) as [HttpPhase[], HttpPhase[]];
    return resultOf(ctx, h, g, verification);
  } finally {
    sessions.forEach((session) => session.close());
    await pool.close();
    await server.stop();
  }
}

export const grpc: Scenario = {
  name: 'grpc',
  description: 'graphserve: gRPC raw-contents req/s ÷ HTTP binary req/s, PP-OCR cls at c=64, same server',
  byDefault: true,
  run,
};
