/**
 * What goes wrong over gRPC answers the status code of the error class behind it, and the server stays up:
 * bad input (wrong datatype, raw contents of the wrong size, contents in the wrong field, unknown model or
 * version), an oversize message, a full queue, a client deadline or cancel (the work is given up), the
 * stream's per-request errors, and draining on close(). @grpc/grpc-js is the client, on loopback port 0.
 */
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { V2ModelServer, type ModelRequest, type PredictOptions } from '../../src';
import { newFunction } from '../../src/function/function';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { OnnxModelServer } from '../../src/model/onnx-model-server';
import { serveGrpc, type RunningGrpcServer } from '../../src/server/grpc/grpc';
import { silentLogger } from '../../src/step/context';
import { grpcFailure, inferClient, type InferClient, type InferReply } from './grpc-client';

const FIXTURES = join(__dirname, '..', 'fixtures', 'models');
const IRIS = join(__dirname, '..', '..', 'examples', 'models', 'iris', 'model.onnx');
const SLOW = join(FIXTURES, 'slow.onnx'); // x [batch, 256], several ms per row
const WIDTH = 256;
const MAX_MESSAGE = 128 * 1024;

/** Waits for its signal, then records why it was given up (predict() never answers on its own). */
class Waiter extends V2ModelServer {
  static reasons: unknown[] = [];
  static started = 0;
  override load(): void {
    this.model = 'waiter';
  }
  override predict(_req: ModelRequest, options?: PredictOptions): Promise<unknown> {
    Waiter.started++;
    return new Promise((resolve) => {
      options?.signal?.addEventListener('abort', () => {
        Waiter.reasons.push(options.signal!.reason);
        resolve('too late');
      });
    });
  }
}

/** An MLRun-style model: predict() answers a plain list, which HTTP sends in an envelope and gRPC cannot carry. */
class Envelope extends V2ModelServer {
  override load(): void {
    this.model = 'envelope';
  }
  override predict(): unknown {
    return [1, 2, 3];
  }
}

let graph: GraphServer;
let server: RunningGrpcServer;
let client: InferClient;

beforeAll(async () => {
  const fn = newFunction('grpc-errors');
  fn.setTopology('router');
  fn.addModel('iris', { className: OnnxModelServer, modelPath: IRIS });
  fn.addModel('identity', { className: OnnxModelServer, modelPath: join(FIXTURES, 'identity_fp32.onnx') });
  fn.addModel('waiter', { className: Waiter });
  fn.addModel('envelope', { className: Envelope });
  fn.addModel('json-step', {
    handler: () => ({
      model_name: 'json-step',
      id: 'j',
      outputs: [{ name: 'y', datatype: 'INT64', shape: [2], data: [7, -1] }],
    }),
  });
  fn.addModel('slow', {
    className: OnnxModelServer,
    modelPath: SLOW,
    intraOpThreads: 1,
    batching: { maxBatchSize: 1, maxQueueSize: 1 },
  });
  graph = await fn.toGraphServer({ logger: silentLogger });
  server = await serveGrpc(graph, { host: '127.0.0.1', port: 0, maxMessageSize: MAX_MESSAGE });
  client = inferClient(server.target);
});

afterAll(async () => {
  client?.close();
  await server?.close();
});

function f32(values: number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];

function irisRaw(raw: Buffer, datatype = 'FP32'): Record<string, unknown> {
  return { model_name: 'iris', inputs: [{ name: 'input', datatype, shape: [1, 4] }], raw_input_contents: [raw] };
}

/** The iris model still answers, with its probabilities. */
async function irisAnswers(): Promise<void> {
  const res = await client.call<InferReply>('ModelInfer', irisRaw(f32(IRIS_ROW)));
  expect(res.outputs.length).toBeGreaterThan(0);
}

function slowRaw(rows: number): Record<string, unknown> {
  return {
    model_name: 'slow',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, WIDTH] }],
    raw_input_contents: [f32(new Array<number>(rows * WIDTH).fill(0.1))],
  };
}

/** Resolves once the slow model's engine (in `of`) runs `inFlight` requests and holds `queued` (bounded). */
async function engineHolds(inFlight: number, queued: number, of: GraphServer = graph): Promise<void> {
  const model = (of.graph as unknown as { routes: Map<string, OnnxModelServer> }).routes.get('slow')!;
  const holds = (): boolean => {
    const stats = model.session!.stats();
    return stats.inFlight === inFlight && stats.queued === queued;
  };
  for (let i = 0; i < 2000 && !holds(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(model.session!.stats()).toMatchObject({ inFlight, queued });
}

describe('bad gRPC input answers INVALID_ARGUMENT or NOT_FOUND, and the server stays up', () => {
  it('rejects a datatype the model does not take', async () => {
    const raw = Buffer.from(new Float64Array(IRIS_ROW).buffer);
    const err = await grpcFailure(client.call('ModelInfer', irisRaw(raw, 'FP64')));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/input/);
    await irisAnswers();
  });

  it('rejects raw contents of the wrong size for the shape', async () => {
    const err = await grpcFailure(client.call('ModelInfer', irisRaw(f32([5.1, 3.5, 1.4]))));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/12 bytes but 4 FP32 elements need 16/);
    expect(err.metadata.get('graphserve-error-code')).toEqual(['GS_INVALID_TENSOR']);
    await irisAnswers();
  });

  it('rejects raw_input_contents that do not match the inputs one to one', async () => {
    const req = { ...irisRaw(f32(IRIS_ROW)), raw_input_contents: [f32(IRIS_ROW), f32(IRIS_ROW)] };
    const err = await grpcFailure(client.call('ModelInfer', req));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe('raw_input_contents has 2 entries for 1 inputs');
  });

  it('rejects typed contents in the field of another datatype, and FP16 in typed contents', async () => {
    const wrongField = {
      model_name: 'iris',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { int_contents: [5, 3, 1, 0] } }],
    };
    const err = await grpcFailure(client.call('ModelInfer', wrongField));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe("input 'input': FP32 elements go in contents.fp32_contents, not contents.int_contents");
    const half = {
      model_name: 'iris',
      inputs: [{ name: 'input', datatype: 'FP16', shape: [1, 4], contents: { fp32_contents: IRIS_ROW } }],
    };
    const halfErr = await grpcFailure(client.call('ModelInfer', half));
    expect(halfErr.details).toMatch(/FP16 has no typed contents field; send it in raw_input_contents/);
  });

  it('rejects typed contents with a different element count than the shape', async () => {
    const req = {
      model_name: 'iris',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3] } }],
    };
    const err = await grpcFailure(client.call('ModelInfer', req));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/shape holds 4 elements but the data has 3/);
  });

  it('answers NOT_FOUND for an unknown model or version, INVALID_ARGUMENT for a name that is no name', async () => {
    const unknown = await grpcFailure(client.call('ModelInfer', { ...irisRaw(f32(IRIS_ROW)), model_name: 'nope' }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toMatch(/^model nope does not exist/);
    const version = await grpcFailure(client.call('ModelInfer', { ...irisRaw(f32(IRIS_ROW)), model_version: '3' }));
    expect(version.code).toBe(status.NOT_FOUND);
    const slash = await grpcFailure(client.call('ModelInfer', { ...irisRaw(f32(IRIS_ROW)), model_name: 'a/b' }));
    expect(slash.code).toBe(status.INVALID_ARGUMENT);
    const empty = await grpcFailure(client.call('ModelInfer', { ...irisRaw(f32(IRIS_ROW)), model_name: '' }));
    expect(empty.details).toBe('the model name is required');
    await irisAnswers();
  });

  it('refuses a message over the size limit with RESOURCE_EXHAUSTED; the other models still answer', async () => {
    const rows = Math.ceil(MAX_MESSAGE / 12) + 1; // identity_fp32 takes x [-1, 3]
    const request = (n: number, values: number[]) => ({
      model_name: 'identity',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 3] }],
      raw_input_contents: [f32(values)],
    });
    const err = await grpcFailure(client.call('ModelInfer', request(rows, new Array<number>(rows * 3).fill(1))));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    await irisAnswers();
    const echoed = await client.call<InferReply>('ModelInfer', request(1, [1, 2, 3]));
    expect(Buffer.compare(echoed.raw_output_contents[0]!, f32([1, 2, 3]))).toBe(0);
  });
});

describe("answers that are not a model server's tensors", () => {
  const request = (model: string) => ({
    model_name: model,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }],
  });

  it('answers INTERNAL for a model whose outputs are not tensors (an MLRun envelope)', async () => {
    const err = await grpcFailure(client.call('ModelInfer', request('envelope')));
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).toBe('model envelope answered outputs that are not tensors; gRPC carries tensors only');
    await irisAnswers();
  });

  it('carries JSON tensors a step answers as raw contents, or as typed contents when asked', async () => {
    const raw = await client.call<InferReply>('ModelInfer', request('json-step'));
    expect(raw.outputs).toEqual([expect.objectContaining({ name: 'y', datatype: 'INT64', shape: ['2'] })]);
    expect(Buffer.compare(raw.raw_output_contents[0]!, Buffer.from(new BigInt64Array([7n, -1n]).buffer))).toBe(0);
    const typed = await client.call<InferReply>('ModelInfer', {
      ...request('json-step'),
      parameters: { binary_data_output: { bool_param: false } },
    });
    expect(typed.outputs[0]!.contents).toMatchObject({ int64_contents: ['7', '-1'] });
  });
});

describe('gRPC bounds', () => {
  it('answers RESOURCE_EXHAUSTED (GS_QUEUE_FULL) when the model queue is full', async () => {
    const big = client.call('ModelInfer', slowRaw(64));
    await engineHolds(1, 0);
    const queued = client.call('ModelInfer', slowRaw(1));
    await engineHolds(1, 1);
    const err = await grpcFailure(client.call('ModelInfer', slowRaw(1)));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.metadata.get('graphserve-error-code')).toEqual(['GS_QUEUE_FULL']);
    await expect(big).resolves.toBeDefined();
    await expect(queued).resolves.toBeDefined();
  });

  it("gives the work up when the client's deadline passes: DEADLINE_EXCEEDED, the model sees GS_TIMEOUT", async () => {
    Waiter.reasons = [];
    const req = {
      model_name: 'waiter',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }],
    };
    const err = await grpcFailure(client.call('ModelInfer', req, { deadline: Date.now() + 300 }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    await graph.waitForCompletion();
    expect(Waiter.reasons).toHaveLength(1);
    expect(Waiter.reasons[0]).toMatchObject({ code: 'GS_TIMEOUT' });
  });

  it('gives the work up when the client cancels the call: the model sees GS_CANCELLED', async () => {
    Waiter.reasons = [];
    const started = Waiter.started;
    const stream = client.stream();
    stream.on('error', () => undefined);
    stream.write({
      model_name: 'waiter',
      id: 'w1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }],
    });
    for (let i = 0; i < 400 && Waiter.started === started; i++) await new Promise((r) => setTimeout(r, 5));
    stream.cancel();
    for (let i = 0; i < 400 && Waiter.reasons.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(Waiter.reasons[0]).toMatchObject({ code: 'GS_CANCELLED' });
  });
});

describe('gRPC ModelStreamInfer', () => {
  it('answers every request with its own id, errors in error_message, and ends after the client does', async () => {
    const stream = client.stream();
    const answers: Record<string, unknown>[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: Record<string, unknown>) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 5; i++) stream.write({ ...irisRaw(f32(IRIS_ROW)), id: `s${i}` });
    stream.write({ ...irisRaw(f32([1, 2, 3])), id: 'bad' });
    stream.write({ ...irisRaw(f32(IRIS_ROW)), model_name: 'nope', id: 'unknown' });
    stream.end();
    await ended;
    expect(answers).toHaveLength(7);
    const byId = new Map(
      answers.map((a) => [(a['infer_response'] as { id: string }).id, a['error_message'] as string]),
    );
    expect([...byId.keys()].sort()).toEqual(['bad', 's0', 's1', 's2', 's3', 's4', 'unknown']);
    for (let i = 0; i < 5; i++) expect(byId.get(`s${i}`)).toBe('');
    expect(byId.get('bad')).toMatch(/12 bytes but 4 FP32 elements need 16/);
    expect(byId.get('unknown')).toMatch(/^model nope does not exist/);
  });
});

describe('closing the gRPC server', () => {
  it('lets the calls in flight finish and answers new ones UNAVAILABLE (GS_SHUTTING_DOWN)', async () => {
    const fn = newFunction('grpc-drain');
    fn.addModel('slow', { className: OnnxModelServer, modelPath: SLOW, intraOpThreads: 1 });
    const own = await fn.toGraphServer({ logger: silentLogger });
    const running = await serveGrpc(own, { host: '127.0.0.1', port: 0 });
    const c = inferClient(running.target);
    try {
      const inFlight = c.call<InferReply>('ModelInfer', slowRaw(32));
      await engineHolds(1, 0, own);
      const closed = running.close();
      const late = await grpcFailure(c.call('ModelInfer', slowRaw(1)));
      expect(late.code).toBe(status.UNAVAILABLE);
      expect(late.metadata.get('graphserve-error-code')).toEqual(['GS_SHUTTING_DOWN']);
      const answer = await inFlight;
      expect(answer.outputs[0]!.shape.map(Number)[0]).toBe(32);
      await closed;
    } finally {
      c.close();
      await running.close();
    }
  });
});
