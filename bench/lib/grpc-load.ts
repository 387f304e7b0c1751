/**
 * gRPC for the grpc scenario: a `graphserve serve` child listening on HTTP and gRPC (both port 0), requests
 * pre-encoded once as ModelInferRequest messages with raw_input_contents, and a closed-loop load generator
 * of @grpc/grpc-js clients that is the counterpart of autocannon on the HTTP side: `concurrency` calls in
 * flight, each caller cycling through the prepared messages, messages sent and received as bytes (no
 * encoding or decoding while timed, as autocannon sends prepared bodies and does not parse answers), only OK
 * answers completed inside the window counted, latencies per answer in fractional ms.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoDir } from '../../src/server/grpc/proto';
import {
  type ChildServer,
  type GraphserveModel,
  benchNodeFlags,
  distRoot,
  readCpuSeconds,
  stopChild,
  writeRepository,
} from './http-child';
import type { HttpPhase } from './http-load';
import type { BenchContext } from './types';

/** How long the server may take to load its model and print both addresses, milliseconds. */
const START_TIMEOUT_MS = 60_000;
/** Seconds before one call is given up (as autocannon's request timeout). */
const CALL_TIMEOUT_S = 30;
const INFER_METHOD = '/inference.GRPCInferenceService/ModelInfer';

/** The server child: HTTP as the HTTP scenarios' ChildServer, and its gRPC address. */
export interface GrpcServer extends ChildServer {
  /** 127.0.0.1:port */
  grpcTarget: string;
}

interface Codec {
  encode(message: unknown): Buffer;
  decode(bytes: Buffer): Record<string, unknown>;
}

let codec: Codec | undefined;

/** ModelInferRequest encoding and ModelInferResponse decoding, from the package's own proto. */
export function inferCodec(): Codec {
  if (codec === undefined) {
    const dir = protoDir();
    const definition = loadSync(path.join(dir, 'grpc_service.proto'), {
      keepCase: true,
      longs: String,
      defaults: true,
      includeDirs: [dir],
    });
    const method = (definition['inference.GRPCInferenceService'] as Record<string, unknown>)['ModelInfer'] as {
      requestSerialize(value: unknown): Buffer;
      responseDeserialize(bytes: Buffer): Record<string, unknown>;
    };
    codec = { encode: (m) => method.requestSerialize(m), decode: (b) => method.responseDeserialize(b) };
  }
  return codec;
}

/** A ModelInferRequest with one FP32 input in raw_input_contents, encoded. */
export function grpcRequest(model: string, input: { name: string; shape: readonly number[] }, data: Float32Array) {
  return inferCodec().encode({
    model_name: model,
    inputs: [{ name: input.name, datatype: 'FP32', shape: input.shape }],
    raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
  });
}

/** The first output of an encoded ModelInferResponse, as FP32. */
export function firstGrpcOutput(bytes: Buffer): Float32Array {
  const raw = (inferCodec().decode(bytes)['raw_output_contents'] as Buffer[])[0];
  if (raw === undefined) throw new Error('the gRPC answer has no raw_output_contents');
  const copy = new Uint8Array(raw);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/** Waits for the HTTP and gRPC "listening on" lines of a `graphserve serve` child. */
function waitForAddresses(child: ChildProcess): Promise<{ url: string; grpcTarget: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`graphserve did not start: ${out}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const http = /listening on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1];
      const grpc = /gRPC listening on ([\d.]+:\d+)/.exec(out)?.[1];
      if (http === undefined || grpc === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolve({ url: http, grpcTarget: grpc });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`graphserve exited with ${String(code)} before listening: ${out}`));
    });
  });
}

/** `graphserve serve` over a temporary repository holding `model`, HTTP and gRPC on port 0. */
export async function startGraphserveGrpc(model: GraphserveModel): Promise<GrpcServer> {
  const repo = writeRepository(model);
  const main = path.join(distRoot(), 'src', 'cli', 'main.js');
  const args = [main, 'serve', '--model-repository', repo, '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0'];
  const child = spawn(process.execPath, [...benchNodeFlags(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    fs.rmSync(repo, { recursive: true, force: true });
  };
  try {
    const { url, grpcTarget } = await waitForAddresses(child);
    const pid = child.pid as number;
    return { label: 'graphserve', url, grpcTarget, pid, cpuSeconds: () => readCpuSeconds(pid), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `channels` gRPC clients, each on its own connection. */
export function grpcClients(target: string, channels: number): Client[] {
  const options = { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 64 << 20 };
  return Array.from({ length: channels }, () => new Client(target, credentials.createInsecure(), options));
}

/** One ModelInfer call with a pre-encoded request; resolves to the encoded answer. */
export function callInfer(client: Client, request: Buffer): Promise<Buffer> {
  const identity = (b: Buffer): Buffer => b;
  const deadline = Date.now() + CALL_TIMEOUT_S * 1000;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(INFER_METHOD, identity, identity, request, new Metadata(), { deadline }, (err, res) =>
      err ? reject(err as ServiceError) : resolve(res as Buffer),
    );
  });
}

export interface GrpcTarget {
  server: GrpcServer;
  clients: readonly Client[];
  requests: readonly Buffer[];
}

/** `concurrency` callers for `seconds`; latencies of the OK answers completed in the window go to `latencies`. */
async function loop(target: GrpcTarget, concurrency: number, seconds: number, latencies?: number[]) {
  const end = performance.now() + seconds * 1000;
  let next = 0;
  let failed = 0;
  const caller = async (index: number): Promise<void> => {
    const client = target.clients[index % target.clients.length] as Client;
    while (performance.now() < end) {
      const request = target.requests[next++ % target.requests.length] as Buffer;
      const t0 = performance.now();
      try {
        await callInfer(client, request);
        const t1 = performance.now();
        if (t1 <= end) latencies?.push(t1 - t0);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => caller(i)));
  return { failed };
}

/** A warm-up of `ctx.warmupSeconds`, then a measured window of `seconds` (the HTTP phase's figures). */
export async function measureGrpc(
  ctx: BenchContext,
  target: GrpcTarget,
  concurrency: number,
  seconds = ctx.seconds,
): Promise<HttpPhase> {
  await loop(target, concurrency, ctx.warmupSeconds);
  const latenciesMs: number[] = [];
  const cpu0 = target.server.cpuSeconds();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const { failed } = await loop(target, concurrency, seconds, latenciesMs);
  const wall = (performance.now() - t0) / 1000;
  return {
    seconds,
    requests: latenciesMs.length,
    requestsPerSecond: latenciesMs.length / seconds,
    latenciesMs,
    failed,
    serverCores: (target.server.cpuSeconds() - cpu0) / wall,
    clientElu: performance.eventLoopUtilization(elu0).utilization,
  };
}
