/**
 * The gRPC server's HTTP/2 flow-control windows (src/server/grpc/flow-control.ts), as a plain node:http2 client
 * sees them: the SETTINGS_INITIAL_WINDOW_SIZE granted to every call and the connection's own window; and large
 * calls multiplexed on one connection, each answered with its own rows.
 */
import * as http2 from 'node:http2';
import { join } from 'node:path';
import { newFunction } from '../../src/function/function';
import type { GraphServer } from '../../src/graph-server/graph-server';
import '../../src/model/onnx-model-server';
import { silentLogger } from '../../src/step/context';
import { InvalidOptionError } from '../../src/errors';
import {
  type GrpcOptions,
  type RunningGrpcServer,
  kDefaultGrpcOptions,
  resolveGrpcOptions,
  serveGrpc,
} from '../../src/server/grpc/grpc';
import { inferClient, type InferReply } from './grpc-client';

const FIXTURES = join(__dirname, '..', 'fixtures', 'models');
const MiB = 1024 * 1024;

/** A gRPC server over a graph of its own (closing a server drains its graph). */
async function start(options: GrpcOptions = {}): Promise<RunningGrpcServer> {
  const fn = newFunction('grpc-flow-control');
  fn.setTopology('router');
  fn.addModel('identity', { className: 'OnnxModelServer', modelPath: join(FIXTURES, 'identity_fp32.onnx') });
  const graph: GraphServer = await fn.toGraphServer({ logger: silentLogger });
  return serveGrpc(graph, { host: '127.0.0.1', port: 0, ...options });
}

/** What the server at `target` grants a new connection: its settings and, once a ping has come back, its window. */
async function granted(target: string): Promise<{ settings: http2.Settings; connectionWindow: number }> {
  const session = http2.connect(`http://${target}`);
  try {
    const settings = await new Promise<http2.Settings>((resolve, reject) => {
      session.once('remoteSettings', resolve);
      session.once('error', reject);
    });
    // The server sends its WINDOW_UPDATE as the connection opens, before the ping's answer.
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
    return { settings, connectionWindow: session.state.remoteWindowSize ?? -1 };
  } finally {
    session.close();
  }
}

describe('gRPC flow-control windows', () => {
  it('grants 4 MiB by default to each call and to the connection, keeping the other settings', async () => {
    expect(kDefaultGrpcOptions.flowControlWindow).toBe(4 * MiB);
    const server = await start();
    try {
      const { settings, connectionWindow } = await granted(server.target);
      expect(settings.initialWindowSize).toBe(4 * MiB);
      expect(settings.maxConcurrentStreams).toBe(kDefaultGrpcOptions.maxConcurrentStreams);
      expect(connectionWindow).toBe(4 * MiB);
    } finally {
      await server.close();
    }
  });

  it("grants the window it is given; 65535 leaves Node's own", async () => {
    for (const bytes of [MiB, 65_535]) {
      const server = await start({ flowControlWindow: bytes });
      try {
        const { settings, connectionWindow } = await granted(server.target);
        expect(settings.initialWindowSize).toBe(bytes);
        expect(connectionWindow).toBe(bytes);
      } finally {
        await server.close();
      }
    }
  });

  it('refuses a window HTTP/2 does not allow', () => {
    expect(() => resolveGrpcOptions({ flowControlWindow: 65_534 })).toThrow(InvalidOptionError);
    expect(() => resolveGrpcOptions({ flowControlWindow: 2 ** 31 })).toThrow(InvalidOptionError);
    expect(() => resolveGrpcOptions({ flowControlWindow: 1.5 * MiB + 0.5 })).toThrow(InvalidOptionError);
  });

  it('answers large calls multiplexed on one connection, each with its own rows', async () => {
    const server = await start();
    const client = inferClient(server.target);
    try {
      const rows = 100_000; // 1.2 MB of FP32 per call: many windows of Node's 64 KiB
      const inputs = Array.from({ length: 8 }, (_, call) =>
        Float32Array.from({ length: rows * 3 }, (_, i) => call + i),
      );
      const replies = await Promise.all(
        inputs.map((data) =>
          client.call<InferReply>('ModelInfer', {
            model_name: 'identity',
            inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 3] }],
            raw_input_contents: [Buffer.from(data.buffer)],
          }),
        ),
      );
      replies.forEach((reply, call) => {
        const raw = reply.raw_output_contents[0]!;
        expect(Buffer.compare(raw, Buffer.from(inputs[call]!.buffer))).toBe(0);
      });
    } finally {
      client.close();
      await server.close();
    }
  });
});
