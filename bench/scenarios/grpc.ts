/**
 * grpc: graphserve's gRPC transport (ModelInfer with raw_input_contents) against its HTTP transport with
 * Triton's binary extension, on the PP-OCR direction classifier at c=64, both served by the same
 * `graphserve serve` child (batching on, max batch 32, no delay). Both sides use the same closed loop in this
 * process (../lib/closed-loop.ts): 64 callers, one connection each, prepared requests of 16 distinct images,
 * answers read to their end and not decoded; HTTP calls go through undici, gRPC calls through node:http2 with
 * prepared gRPC frames (grpc-status checked), the cheapest client of each kind in Node: on 2 shared cores a
 * client's own CPU is taken from the server (autocannon is cheaper than any gRPC client; @grpc/grpc-js costs
 * about twice node:http2 per call, and node:http2 still about twice undici: client ELU 0.20-0.25 against
 * 0.11-0.12). That is not what holds gRPC back: driven by h2load on both sides instead (C, HTTP/1.1 and h2c,
 * by hand on 2026-12-01), the ratio was no better. @grpc/grpc-js checks the outputs before timing.
 *
 * HTTP and gRPC alternate `reps` times; ratio = median gRPC req/s ÷ median HTTP binary req/s (target ≥ 1).
 * A third side alternates with them, reported beside the ratio: the same gRPC calls multiplexed on one
 * connection, as a gRPC client's channel sends them (tritonclient's, grpc-js's), which HTTP/1.1 cannot do
 * (src/server/grpc/flow-control.ts is what keeps those calls from queueing on one window).
 * Before timing, outputs over both transports must match onnxruntime-node's within 1e-4.
 *
 * The transport floor, measured after: the same calls (same clients, bodies and frames) to bare node:http and
 * node:http2 servers that read each body and answer 16 bytes (bench/peer/transport-floor.ts), alternating
 * `reps` times: floor ratio = bare node:http2 req/s ÷ bare node:http req/s, what Node's own HTTP/2 allows
 * before any gRPC library or model, and each floor's server CPU per call.
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
import { startBoth, startTransportFloor } from '../lib/http-child';
import { alternateHttp, type HttpPhase, type HttpSummary } from '../lib/http-load';
import { pairResult, pairScenarioResult } from '../lib/http-pair';
import { IMAGE_SHAPE, elementsPerImage, imagePool, maxAbsDiff } from '../lib/inputs';
import { type HttpBody, binaryBody, postInfer } from '../lib/oip-bodies';
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

/**
 * Server CPU per answer, ms: less moved by other work on a shared machine than req/s. `part`: the whole process, or
 * its event loop (the main thread; the rest is ONNX Runtime's and V8's threads).
 */
function cpuMsPerRequest(s: HttpSummary, part: 'serverCores' | 'serverLoopCores' = 'serverCores'): number {
  return round((s[part] / s.rate) * 1000, 3);
}

/** The transport floor (see the module comment): bare node:http against bare node:http2, same calls. */
async function measureFloor(ctx: BenchContext, http: readonly HttpBody[], frames: readonly Buffer[]) {
  const c = ctx.concurrency;
  const [http1, h2] = await startBoth(
    () => startTransportFloor('http1'),
    () => startTransportFloor('h2'),
  );
  const sessions = h2Sessions(new URL(h2.url).host, c);
  const pool = httpPool(http1.url, c);
  try {
    const [h, g] = (await alternateHttp(ctx, [
      { label: http1.label, measure: () => measureLoop(ctx, http1, httpCall(pool, INFER_PATH, http), c) },
      { label: h2.label, measure: () => measureLoop(ctx, h2, h2GrpcCall(sessions, frames), c) },
    ])) as [HttpPhase[], HttpPhase[]];
    const r = pairResult(http1.label, h, h2.label, g, c);
    return {
      ratio: r.rateRatio,
      http1: r.baseline,
      h2: r.ours,
      serverCpuMsPerRequest: { http1: cpuMsPerRequest(r.baseline), h2: cpuMsPerRequest(r.ours) },
    };
  } finally {
    sessions.forEach((session) => session.close());
    await pool.close();
    await Promise.all([http1.stop(), h2.stop()]);
  }
}

type Floor = Awaited<ReturnType<typeof measureFloor>>;
type Measured = Awaited<ReturnType<typeof measureServer>>;

/** The scenario's result from both sides' repetitions and the floor. */
function resultOf(ctx: BenchContext, m: Measured, floor: Floor): ScenarioResult {
  const r = pairResult('HTTP binary', m.h, 'gRPC raw', m.g, ctx.concurrency);
  const { baseline: hs, ours: gs } = r;
  const channel = pairResult('HTTP binary', m.h, 'gRPC raw, one channel', m.channel, ctx.concurrency);
  const cs = channel.ours;
  return pairScenarioResult(ctx, r, {
    scenario: 'grpc',
    target: TARGET,
    summary:
      `PP-OCR cls, c=${ctx.concurrency}: ` +
      `gRPC raw ${gs.rate.toFixed(0)} req/s (p50 ${gs.p50Ms} ms, p99 ${gs.p99Ms} ms) ` +
      `vs HTTP binary ${hs.rate.toFixed(0)} req/s (p50 ${hs.p50Ms} ms, p99 ${hs.p99Ms} ms); ` +
      `gRPC raw on one channel ${cs.rate.toFixed(0)} req/s (p99 ${cs.p99Ms} ms, ${channel.rateRatio} of HTTP); ` +
      `server event loop ${cpuMsPerRequest(gs, 'serverLoopCores')} vs ${cpuMsPerRequest(hs, 'serverLoopCores')} ms CPU an answer; ` +
      `transport floor: bare node:http2 ${floor.h2.rate.toFixed(0)} vs bare node:http ${floor.http1.rate.toFixed(0)} ` +
      `req/s (${floor.ratio})`,
    figures: {
      grpc: gs,
      http: hs,
      oneChannel: { ...cs, ratio: channel.rateRatio, pairedRatios: channel.pairedRatios },
      serverCpuMsPerRequest: {
        grpc: cpuMsPerRequest(gs),
        http: cpuMsPerRequest(hs),
        oneChannel: cpuMsPerRequest(cs),
      },
      eventLoopCpuMsPerRequest: {
        grpc: cpuMsPerRequest(gs, 'serverLoopCores'),
        http: cpuMsPerRequest(hs, 'serverLoopCores'),
        oneChannel: cpuMsPerRequest(cs, 'serverLoopCores'),
      },
      floor,
      verification: m.verification,
      settings: settingsOf(ctx, {
        model: ctx.modelName,
        connections: ctx.concurrency,
        client:
          'one closed loop: undici (HTTP), node:http2 with prepared gRPC frames (gRPC), one connection per ' +
          'caller (the one-channel side: one connection for all callers)',
      }),
    },
  });
}

/** Both transports of one graphserve child, alternating, after the check of their outputs. */
async function measureServer(ctx: BenchContext, images: Float32Array[], http: HttpBody[], grpc: Buffer[]) {
  const model = { name: MODEL_NAME, modelPath: ctx.modelPath, maxBatchSize: 32, threads: ctx.threads };
  const server = await startGraphserveGrpc(model);
  const c = ctx.concurrency;
  const sessions = h2Sessions(server.grpcTarget, c);
  const channel = h2Sessions(server.grpcTarget, 1);
  const frames = grpc.map(grpcFrame);
  const pool = httpPool(server.url, c);
  try {
    const verification = await verify(ctx, server, images, grpc);
    ctx.log(`  verified ${verification.checked} outputs (HTTP and gRPC) against onnxruntime-node`);
    const [h, g, one] = (await alternateHttp(ctx, [
      { label: 'HTTP binary', measure: () => measureLoop(ctx, server, httpCall(pool, INFER_PATH, http), c) },
      { label: 'gRPC raw', measure: () => measureLoop(ctx, server, h2GrpcCall(sessions, frames), c) },
      { label: 'gRPC raw, one channel', measure: () => measureLoop(ctx, server, h2GrpcCall(channel, frames), c) },
    ])) as [HttpPhase[], HttpPhase[], HttpPhase[]];
    return { h, g, channel: one, verification };
  } finally {
    [...sessions, ...channel].forEach((session) => session.close());
    await pool.close();
    await server.stop();
  }
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const images = imagePool(POOL_IMAGES, elementsPerImage());
  const spec = { name: 'x', shape: [1, ...IMAGE_SHAPE] };
  const http = images.map((d) => binaryBody(spec, d, true));
  const grpc = images.map((d) => grpcRequest(MODEL_NAME, spec, d));
  const measured = await measureServer(ctx, images, http, grpc);
  ctx.log('  transport floor: bare node:http and node:http2 servers, the same calls');
  const floor = await measureFloor(ctx, http, grpc.map(grpcFrame));
  return resultOf(ctx, measured, floor);
}

export const grpc: Scenario = {
  name: 'grpc',
  description: 'graphserve: gRPC raw-contents req/s ÷ HTTP binary req/s, PP-OCR cls at c=64, same server',
  byDefault: true,
  run,
};
