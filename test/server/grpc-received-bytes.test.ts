/**
 * A gRPC call lets go of the socket reads its request came in once the request is whole
 * (src/server/grpc/received-bytes.ts): @grpc/grpc-js's per-call decoder otherwise keeps views of them (the
 * compress-flag byte and every chunk) until the call ends, so a call waiting for its model holds its message twice.
 *
 * First against grpc-js's own StreamDecoder fed views of one large "socket read": after a whole message the views
 * are dropped, the next message still decodes exactly, and a decoder inside a message is left alone. Then over
 * loopback, ModelInfer and ModelStreamInfer through a grpc-js client: while the model holds a 1 MiB request, the
 * server's decoder for that call references no received bytes.
 */
import { StreamDecoder } from '@grpc/grpc-js/build/src/stream-decoder';
import { V2ModelServer } from '../../src';
import { newFunction } from '../../src/function/function';
import { serveGrpc, type RunningGrpcServer } from '../../src/server/grpc/grpc';
import { releaseReceivedBytes } from '../../src/server/grpc/received-bytes';
import { silentLogger } from '../../src/step/context';
import { inferClient, type InferClient } from './grpc-client';

/** The decoder fields the release touches (private in grpc-js's typings). */
interface DecoderFields {
  readState: number;
  readCompressFlag: Buffer;
  readPartialMessage: Buffer[];
}

const fields = (decoder: StreamDecoder): DecoderFields => decoder as unknown as DecoderFields;

/** Bytes of the distinct ArrayBuffers the decoder's kept views hold alive. */
function heldBytes(decoder: StreamDecoder): number {
  const d = fields(decoder);
  const buffers = new Set([d.readCompressFlag, ...d.readPartialMessage].map((b) => b.buffer));
  return [...buffers].reduce((sum, b) => sum + b.byteLength, 0);
}

/** `payload` framed as gRPC sends it: flag 0, big-endian length, the bytes. */
function framed(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** `bytes` as Node's HTTP/2 session hands them out: views of one read, `size` bytes each. */
function viewsOfOneRead(bytes: Buffer, size: number): Buffer[] {
  const read = Buffer.alloc(bytes.length + 4096); // a read holds more than one message's bytes
  bytes.copy(read, 100);
  const views: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size)
    views.push(read.subarray(100 + at, 100 + Math.min(at + size, bytes.length)));
  return views;
}

function payload(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff));
}

describe("releaseReceivedBytes on grpc-js's StreamDecoder", () => {
  it('drops the views of the reads once a message is whole; the next message decodes exactly', () => {
    const decoder = new StreamDecoder(-1);
    const first = payload(100_000, 1);
    const messages = viewsOfOneRead(framed(first), 16 * 1024).flatMap((view) => decoder.write(view));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.subarray(5).equals(first)).toBe(true);
    expect(heldBytes(decoder)).toBeGreaterThan(100_000); // what grpc-js keeps until the call ends

    releaseReceivedBytes({ call: { decoder } });
    expect(heldBytes(decoder)).toBeLessThan(1024);
    expect(fields(decoder).readState).toBe(0);

    const second = payload(50_000, 2);
    const next = viewsOfOneRead(framed(second), 16 * 1024).flatMap((view) => decoder.write(view));
    expect(next).toHaveLength(1);
    expect(next[0]!.subarray(5).equals(second)).toBe(true);
  });

  it('leaves a decoder inside a message alone, and finds one behind interceptors', () => {
    const decoder = new StreamDecoder(-1);
    const message = payload(40_000, 3);
    const views = viewsOfOneRead(framed(message), 16 * 1024);
    expect(decoder.write(views[0]!)).toHaveLength(0);
    const kept = fields(decoder).readPartialMessage.length;
    releaseReceivedBytes({ call: { nextCall: { nextCall: { decoder } } } });
    expect(fields(decoder).readPartialMessage).toHaveLength(kept);
    const rest = views.slice(1).flatMap((view) => decoder.write(view));
    expect(rest).toHaveLength(1);
    expect(rest[0]!.subarray(5).equals(message)).toBe(true);
    releaseReceivedBytes({ call: { nextCall: { nextCall: { decoder } } } });
    expect(heldBytes(decoder)).toBeLessThan(1024);
  });

  it('warns once, and changes nothing, when a call has no decoder where expected', () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const call = { call: { decoder: { readState: 0 } } };
      releaseReceivedBytes(call);
      releaseReceivedBytes({});
      expect(call.call.decoder).toEqual({ readState: 0 });
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning.mock.calls[0]![1]).toEqual({ code: 'GRAPHSERVE_GRPC_DECODER' });
    } finally {
      emitWarning.mockRestore();
    }
  });
});

/** Elements of the request: 1 MiB of FP32. */
const ELEMENTS = 256 * 1024;

/** Holds every request until `Held.release()`; `Held.started` resolves when one arrives. */
class Held extends V2ModelServer {
  static started: Promise<void>;
  static release: () => void;
  static #gate: Promise<void>;
  static #arrived: () => void;
  static reset(): void {
    Held.started = new Promise((resolve) => (Held.#arrived = resolve));
    Held.#gate = new Promise((resolve) => (Held.release = resolve));
  }
  override load(): void {
    this.model = 'held';
  }
  override async predict(): Promise<unknown> {
    Held.#arrived();
    await Held.#gate;
    return [{ name: 'y', datatype: 'FP32', shape: [1], data: [1] }];
  }
}

describe('a call over loopback lets go of its received bytes while its model runs', () => {
  let server: RunningGrpcServer;
  let client: InferClient;
  /** Server-side decoders that decoded a 1 MiB request. */
  const decoders = new Set<StreamDecoder>();
  const request = {
    model_name: 'held',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [ELEMENTS] }],
    raw_input_contents: [Buffer.alloc(ELEMENTS * 4, 1)],
  };

  beforeAll(async () => {
    const write = StreamDecoder.prototype.write;
    jest.spyOn(StreamDecoder.prototype, 'write').mockImplementation(function (this: StreamDecoder, data: Buffer) {
      const messages = write.call(this, data);
      if (messages.some((m) => m.length > ELEMENTS * 4)) decoders.add(this);
      return messages;
    });
    const fn = newFunction('grpc-received-bytes');
    fn.addModel('held', { className: Held });
    const graph = await fn.toGraphServer({ logger: silentLogger });
    server = await serveGrpc(graph, { host: '127.0.0.1', port: 0 });
    client = inferClient(server.target);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    client?.close();
    await server?.close();
  });

  beforeEach(() => {
    decoders.clear();
    Held.reset();
  });

  /** The server's decoder for the call holds none of the bytes it received. */
  function expectReleased(): void {
    expect(decoders.size).toBe(1);
    for (const decoder of decoders) expect(heldBytes(decoder)).toBeLessThan(1024);
  }

  it('ModelInfer', async () => {
    const answer = client.call<{ model_name: string }>('ModelInfer', request);
    try {
      await Held.started;
      expectReleased();
    } finally {
      Held.release();
    }
    expect((await answer).model_name).toBe('held');
  });

  it('ModelStreamInfer', async () => {
    const stream = client.stream();
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
    });
    stream.write({ ...request, id: 'one' });
    try {
      await Held.started;
      expectReleased();
    } finally {
      Held.release();
    }
    const reply = await answer;
    stream.end();
    expect(reply['error_message']).toBe('');
    expect((reply['infer_response'] as { id: string }).id).toBe('one');
  });
});
