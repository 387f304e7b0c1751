/**
 * ModelStreamInfer with a client that stops reading its answers: the server must stop reading requests once the
 * answers it has written wait unread (the stream's write buffer is full), instead of running every request the
 * client sends and holding all their answers in memory. When the client reads again, every request is answered,
 * none lost. The client is node:http2 sending gRPC frames (@grpc/grpc-js's client reads every answer off the
 * connection whether its stream is read or not, so it cannot stop reading); loopback port 0.
 */
import { connect, type ClientHttp2Stream } from 'node:http2';
import { join } from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { V2ModelServer } from '../../src';
import { newFunction } from '../../src/function/function';
import { serveGrpc, type RunningGrpcServer } from '../../src/server/grpc/grpc';
import { STREAM_MAX_IN_FLIGHT } from '../../src/server/grpc/stream';
import { silentLogger } from '../../src/step/context';

const PROTO_DIR = join(__dirname, '..', '..', 'proto');
const METHOD = '/inference.GRPCInferenceService/ModelStreamInfer';

/** Elements of each answer: 256 KiB of FP32. */
const ANSWER_ELEMENTS = 64 * 1024;
/** Requests the client sends without reading an answer: 64 MiB of answers in all. */
const REQUESTS = 256;

/** Answers every request at once with a large tensor, counting the requests it was given. */
class Large extends V2ModelServer {
  static started = 0;
  override load(): void {
    this.model = 'large';
  }
  override predict(): unknown {
    Large.started++;
    return [{ name: 'y', datatype: 'FP32', shape: [ANSWER_ELEMENTS], data: new Float32Array(ANSWER_ELEMENTS) }];
  }
}

interface StreamAnswer {
  error_message: string;
  infer_response: { id: string; raw_output_contents: Buffer[] };
}

const definition = loadSync(join(PROTO_DIR, 'grpc_service.proto'), {
  keepCase: true,
  defaults: true,
  includeDirs: [PROTO_DIR],
});
const rpc = (definition['inference.GRPCInferenceService'] as unknown as ServiceDefinition)['ModelStreamInfer']!;

let server: RunningGrpcServer;

beforeAll(async () => {
  const fn = newFunction('grpc-stream-backpressure');
  fn.addModel('large', { className: Large });
  const graph = await fn.toGraphServer({ logger: silentLogger });
  server = await serveGrpc(graph, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
});

/** One ModelInferRequest as a gRPC message frame (uncompressed flag, length, bytes). */
function frame(id: string): Buffer {
  const message = rpc.requestSerialize({
    model_name: 'large',
    id,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }],
    raw_input_contents: [Buffer.alloc(4)],
  });
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** Every answer of the stream, read from its frames to the end; rejects when the call fails. */
function answers(stream: ClientHttp2Stream): Promise<StreamAnswer[]> {
  const chunks: Buffer[] = [];
  let grpcStatus: unknown;
  stream.on('trailers', (trailers) => (grpcStatus = trailers['grpc-status']));
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('end', () => {
      if (grpcStatus !== '0') return reject(new Error(`grpc-status ${String(grpcStatus)}`));
      const all = Buffer.concat(chunks);
      const out: StreamAnswer[] = [];
      for (let at = 0; at < all.length;) {
        const length = all.readUInt32BE(at + 1);
        out.push(rpc.responseDeserialize(all.subarray(at + 5, at + 5 + length)) as StreamAnswer);
        at += 5 + length;
      }
      resolve(out);
    });
  });
}

/** Resolves once `count()` has not changed for 10 polls in a row, 50 ms apart (at most 20 s in all). */
async function settled(count: () => number): Promise<number> {
  let last = -1;
  let still = 0;
  for (let i = 0; i < 400 && still < 10; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = count();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

describe('gRPC ModelStreamInfer, a client that does not read its answers', () => {
  it('stops reading requests while answers wait unread, then answers every request once read again', async () => {
    const session = connect(`http://${server.target}`);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': METHOD,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      stream.pause(); // the answers are not read: HTTP/2 flow control soon holds the server's writes
      const failed = new Promise<never>((_resolve, reject) => stream.on('error', reject));
      failed.catch(() => undefined); // awaited below; until then a failure must not go unhandled
      for (let i = 0; i < REQUESTS; i++) stream.write(frame(`r${i}`));
      stream.end();
      const started = await settled(() => Large.started);
      expect(started).toBeGreaterThan(0);
      // What the server took on while blocked: the requests that ran before its write buffer filled, and those
      // running at once. Without the bound: every one the client sent.
      expect(started).toBeLessThan(REQUESTS / 2);
      expect(started).toBeLessThanOrEqual(2 * STREAM_MAX_IN_FLIGHT);

      const all = answers(stream);
      stream.resume();
      const got = await Promise.race([all, failed]);
      for (const m of got) {
        expect(m.error_message).toBe('');
        expect(m.infer_response.raw_output_contents[0]!.length).toBe(4 * ANSWER_ELEMENTS);
      }
      expect(got.map((m) => m.infer_response.id).sort()).toEqual(
        Array.from({ length: REQUESTS }, (_, i) => `r${i}`).sort(),
      );
    } finally {
      session.close();
    }
    expect(Large.started).toBe(REQUESTS);
  });
});
