/**
 * The servers and bodies the PP-OCR HTTP scenarios (http-vs-peer, low-load-latency) share: graphserve
 * (batching on, no delay) and the fastify + onnxruntime-node peer over the same model with the same
 * intra-op threads, batch-1 bodies of distinct images as OIP JSON and as Triton binary, and a check that
 * both servers give onnxruntime-node's outputs for both body kinds.
 *
 * The peer runs with ORT's spinning on and off in a brief screening at the scenario's concurrency; the
 * faster is kept, so the baseline is the strongest of the two.
 */
import { type ChildServer, startGraphserve, startPeer } from './http-child';
import { type HttpTarget, measureHttp } from './http-load';
import { type HttpVerification, referenceOutputs, verifyHttp } from './http-verify';
import { IMAGE_SHAPE, elementsPerImage, imagePool } from './inputs';
import { type HttpBody, binaryBody, jsonBody } from './oip-bodies';
import { round } from './stats';
import type { BenchContext } from './types';

export const MODEL_NAME = 'ppocr-cls';
export const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;
/** Distinct images each connection cycles through. */
const POOL_IMAGES = 16;
/** Rows per engine batch at most (the brief allows 16–32; 32 gives the most room at c=64). */
export const MAX_BATCH_SIZE = 32;
/** Outputs checked per server and body kind. */
const VERIFY_IMAGES = 8;

export interface PpocrServers {
  graphserve: ChildServer;
  peer: ChildServer;
  json: HttpBody[];
  binary: HttpBody[];
  verification: HttpVerification;
  /** Peer screening: req/s of each spinning setting. */
  peerScreening: Array<{ label: string; requestsPerSecond: number }>;
  target(server: ChildServer, bodies: readonly HttpBody[]): HttpTarget;
  close(): Promise<void>;
}

function bodies(): { json: HttpBody[]; binary: HttpBody[] } {
  const images = imagePool(POOL_IMAGES, elementsPerImage());
  const spec = { name: 'x', shape: [1, ...IMAGE_SHAPE] };
  return { json: images.map((d) => jsonBody(spec, d)), binary: images.map((d) => binaryBody(spec, d)) };
}

async function verify(graphserve: ChildServer, peers: readonly ChildServer[], b: ReturnType<typeof bodies>) {
  const url = (s: ChildServer): string => s.url + INFER_PATH;
  const json = b.json.slice(0, VERIFY_IMAGES);
  const binary = b.binary.slice(0, VERIFY_IMAGES);
  const reference = await referenceOutputs(url(peers[0] as ChildServer), json);
  return verifyHttp(reference, [
    { label: 'graphserve JSON', url: url(graphserve), bodies: json, concurrent: true },
    { label: 'graphserve binary', url: url(graphserve), bodies: binary, concurrent: true },
    ...peers.map((p) => ({ label: `${p.label} binary`, url: url(p), bodies: binary, concurrent: false })),
  ]);
}

/** Measures each peer briefly with JSON bodies at `connections`; keeps the faster, stops the other. */
async function screenPeers(ctx: BenchContext, peers: ChildServer[], json: readonly HttpBody[], connections: number) {
  const screening: Array<{ label: string; requestsPerSecond: number; server: ChildServer }> = [];
  for (const server of peers) {
    const phase = await measureHttp(ctx, { server, path: INFER_PATH, bodies: json }, connections, ctx.screenSeconds);
    screening.push({ label: server.label, requestsPerSecond: round(phase.requestsPerSecond), server });
    ctx.log(`  screen ${server.label}: ${phase.requestsPerSecond.toFixed(0)} req/s`);
  }
  screening.sort((x, y) => y.requestsPerSecond - x.requestsPerSecond);
  for (const s of screening.slice(1)) await s.server.stop();
  return { best: (screening[0] as { server: ChildServer }).server, screening };
}

/** Starts graphserve and both peers, verifies them, and keeps the peer that screens faster at `connections`. */
export async function openPpocrServers(ctx: BenchContext, connections: number): Promise<PpocrServers> {
  const b = bodies();
  const started: ChildServer[] = [];
  try {
    const graphserve = await startGraphserve({
      name: MODEL_NAME,
      modelPath: ctx.modelPath,
      maxBatchSize: MAX_BATCH_SIZE,
      threads: ctx.threads,
    });
    started.push(graphserve);
    const peers: ChildServer[] = [];
    for (const spinning of [true, false]) {
      const peer = await startPeer({ modelPath: ctx.modelPath, name: MODEL_NAME, threads: ctx.threads, spinning });
      started.push(peer);
      peers.push(peer);
    }
    const verification = await verify(graphserve, peers, b);
    ctx.log(
      `  verified ${verification.checked} HTTP outputs against onnxruntime-node (max diff ${verification.maxAbsDiff})`,
    );
    const { best, screening } = await screenPeers(ctx, peers, b.json, connections);
    return {
      graphserve,
      peer: best,
      ...b,
      verification,
      peerScreening: screening.map(({ label, requestsPerSecond }) => ({ label, requestsPerSecond })),
      target: (server, bodyList) => ({ server, path: INFER_PATH, bodies: bodyList }),
      close: () => Promise.all([graphserve.stop(), best.stop()]).then(() => undefined),
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
}
