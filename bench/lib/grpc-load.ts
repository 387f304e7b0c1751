/**
 * gRPC for the grpc scenario: a `graphserve serve` child listening on HTTP and gRPC (both port 0), requests
 * pre-encoded once as ModelInferRequest messages with raw_input_contents, the calls of its closed loop
 * (./closed-loop.ts) over plain HTTP/2 with those messages framed once (no encoding or decoding while timed, as
 * the HTTP side sends prepared bodies and does not parse answers), and @grpc/grpc-js calls for the check of
 * outputs before timing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as http2 from 'node:http2';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoDir } from '../../src/server/grpc/proto';
import {
  type ChildServer,
  type GraphserveModel,
  benchNodeFlags,
  cpuClocks,
  distRoot,
  stopChild,
  writeRepository,
} from './http-child';
import type { Call } from './closed-loop';

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
    return { label: 'graphserve', url, grpcTarget, pid, ...cpuClocks(pid), stop };
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

/** A gRPC message as it travels in an HTTP/2 DATA frame: not compressed, 4-byte big-endian length, the bytes. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** `count` plain HTTP/2 connections to a gRPC server at `target` (host:port). */
export function h2Sessions(target: string, count: number): http2.ClientHttp2Session[] {
  return Array.from({ length: count }, () => http2.connect(`http://${target}`));
}

const CALL_HEADERS = Object.freeze({
  ':method': 'POST',
  ':path': INFER_METHOD,
  'content-type': 'application/grpc',
  te: 'trailers',
});

/**
 * ModelInfer calls of prepared frames over plain HTTP/2 (caller i on session i modulo their number), the answer
 * read to its end and not decoded; OK when grpc-status is 0. The gRPC counterpart of an HTTP load generator:
 * what a call costs the client is the HTTP/2 stream, not a gRPC library's machinery.
 */
export function h2GrpcCall(sessions: readonly http2.ClientHttp2Session[], frames: readonly Buffer[]): Call {
  return (caller, n) =>
    new Promise<void>((resolve, reject) => {
      const session = sessions[caller % sessions.length] as http2.ClientHttp2Session;
      const stream = session.request(CALL_HEADERS);
      let status: unknown;
      stream.on('response', (headers) => (status = headers['grpc-status'] ?? status));
      stream.on('trailers', (trailers) => (status = trailers['grpc-status']));
      stream.on('data', () => undefined);
      stream.on('end', () => (status === '0' ? resolve() : reject(new Error(`grpc-status ${String(status)}`))));
      stream.on('error', reject);
      stream.end(frames[n % frames.length]);
    });
}
