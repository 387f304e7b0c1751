/**
 * Every request has a bound: the request timeout (server-wide, or the model's own) answers 504 and
 * abandons the work: user code sees its signal abort, and a request still in the ONNX engine's queue is
 * taken out unrun. A client that leaves before its answer has its queued work dropped the same way.
 */
import * as net from 'node:net';
import { join } from 'node:path';
import {
  Cancellation,
  MockServerError,
  V2ModelServer,
  newFunction,
  silentLogger,
  type ModelRequest,
  type PredictOptions,
} from '../../src';
import { OnnxModelServer } from '../../src/model/onnx-model-server';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { serve } from '../../src/server/http/http';
import { portOf } from './http-support';

const SLOW = join(__dirname, '..', 'fixtures', 'models', 'slow.onnx'); // x [batch, 256], several ms per row
const WIDTH = 256;

/** Waits for its signal, then records why it was aborted; `delayMs` set: answers after that long instead. */
class Waiter extends V2ModelServer {
  reasons: unknown[] = [];
  override load(): void {
    this.model = 'waiter';
  }
  override predict(req: ModelRequest, options?: PredictOptions): Promise<unknown> {
    const delayMs = this.getParam<number | undefined>('delayMs');
    if (delayMs !== undefined) return new Promise((resolve) => setTimeout(() => resolve(req.inputs), delayMs));
    return new Promise((resolve) => {
      options?.signal?.addEventListener('abort', () => {
        this.reasons.push(options.signal!.reason);
        resolve('too late');
      });
    });
  }
}

async function failure(promise: Promise<unknown>): Promise<MockServerError> {
  try {
    await promise;
  } catch (err) {
    return err as MockServerError;
  }
  throw new Error('expected the request to fail');
}

describe('the request timeout', () => {
  it('answers 504 GS_TIMEOUT and aborts the signal predict() got', async () => {
    const fn = newFunction('timeouts');
    fn.addModel('waiter', { className: Waiter });
    const server = await fn.toMockServer({ logger: silentLogger, requestTimeout: 0.2 });
    const err = await failure(server.test('/v2/models/waiter/infer', { inputs: [1] }));
    expect(err.status).toBe(504);
    expect(err.body).toEqual({ error: 'no answer within the request timeout (0.2 s)', code: 'GS_TIMEOUT' });
    await server.waitForCompletion();
    const waiter = server.graphServer.graph as unknown as { routes: Map<string, Waiter> };
    expect(waiter.routes.get('waiter')!.reasons).toHaveLength(1);
    expect(waiter.routes.get('waiter')!.reasons[0]).toMatchObject({ code: 'GS_TIMEOUT' });
  });

  it("uses a model's own requestTimeout instead of the server's", async () => {
    const fn = newFunction('own-timeouts');
    fn.addModel('strict', { className: Waiter, requestTimeout: 0.1 });
    fn.addModel('patient', { className: Waiter, requestTimeout: 0, delayMs: 400 });
    const server = await fn.toMockServer({ logger: silentLogger, requestTimeout: 0.2 });
    const err = await failure(server.test('/v2/models/strict/infer', { inputs: [1] }));
    expect(err.body).toEqual({ error: 'no answer within the request timeout (0.1 s)', code: 'GS_TIMEOUT' });
    // No limit for this model, although its answer comes after the server-wide timeout.
    expect(await server.test('/v2/models/patient/infer', { inputs: [2] })).toMatchObject({ outputs: [2] });
    await server.waitForCompletion();
  });

  it('rejects a requestTimeout that is not a number of seconds', async () => {
    const fn = newFunction('bad-timeout');
    fn.addModel('m', { className: Waiter, requestTimeout: '5s' });
    await expect(fn.toMockServer({ logger: silentLogger })).rejects.toThrow(
      'requestTimeout must be a number of seconds >= 0, got "5s"',
    );
  });
});

/** A graph serving slow.onnx one row per batch: a request waits in the queue while a big one runs. */
async function slowGraph(requestTimeout: number): Promise<{ graph: GraphServer; model: OnnxModelServer }> {
  const fn = newFunction('engine');
  fn.addModel('slow', {
    className: OnnxModelServer,
    modelPath: SLOW,
    intraOpThreads: 1,
    batching: { maxBatchSize: 1 },
  });
  const graph = await fn.toGraphServer({ logger: silentLogger, requestTimeout });
  const model = (graph.graph as unknown as { routes: Map<string, OnnxModelServer> }).routes.get('slow')!;
  return { graph, model };
}

/** An OIP request body for `rows` rows of slow.onnx. */
function body(rows: number): string {
  const data = new Array<number>(rows * WIDTH).fill(0.1);
  return JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, WIDTH], data }] });
}

function infer(graph: GraphServer, rows: number, cancellation?: Cancellation) {
  const event = { id: 'x', path: '/v2/models/slow/infer', method: 'POST', headers: {}, body: Buffer.from(body(rows)) };
  return graph.run(cancellation ? { ...event, cancellation } : event);
}

/** Resolves once `model`'s engine runs `inFlight` requests and holds `queued` in its queue (bounded). */
async function engineHolds(model: OnnxModelServer, inFlight: number, queued: number): Promise<void> {
  const holds = (): boolean => {
    const stats = model.session!.stats();
    return stats.inFlight === inFlight && stats.queued === queued;
  };
  for (let i = 0; i < 2000 && !holds(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(model.session!.stats()).toMatchObject({ inFlight, queued });
}

describe('abandoned ONNX work leaves the engine queue', () => {
  let engine: { graph: GraphServer; model: OnnxModelServer } | undefined;

  afterEach(async () => {
    await engine?.graph.waitForCompletion();
    await engine?.model.dispose();
  });

  it('takes a request out of the queue when its client leaves', async () => {
    engine = await slowGraph(0);
    const { graph, model } = engine;
    const big = infer(graph, 64); // runs for a while
    const client = new Cancellation(); // what a transport hands in for its client
    const small = infer(graph, 1, client);
    await engineHolds(model, 1, 1); // the big one runs, the small one waits
    client.abort('gone');
    expect((await small).status).toBe(499);
    expect((await big).status).toBe(200);
    expect(model.session!.stats()).toMatchObject({ cancelled: 1, batches: 1 }); // only the big request ran
  });

  it('takes a request out of the queue when its timeout passes', async () => {
    engine = await slowGraph(0.3);
    const { graph, model } = engine;
    const answers = await Promise.all([infer(graph, 256), infer(graph, 1)]); // 256 rows run far past 0.3 s
    expect(answers.map((a) => a.status)).toEqual([504, 504]);
    await graph.waitForCompletion();
    // The big one had started and ran to its end; the small one never left the queue to run.
    expect(model.session!.stats()).toMatchObject({ cancelled: 1, batches: 1, queued: 0 });
  });

  it('takes a request out of the queue when its HTTP client hangs up', async () => {
    engine = await slowGraph(0);
    const { graph, model } = engine;
    const server = await serve(graph, { host: '127.0.0.1', port: 0 });
    try {
      const big = fetch(`${server.url}/v2/models/slow/infer`, { method: 'POST', body: body(64) });
      await engineHolds(model, 1, 0);
      const payload = body(1);
      const socket = net.connect(portOf(server.url), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        `POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
      );
      await engineHolds(model, 1, 1);
      socket.destroy(); // the client hangs up while its request waits
      expect((await big).status).toBe(200);
      await graph.waitForCompletion();
      expect(model.session!.stats()).toMatchObject({ cancelled: 1, batches: 1, queued: 0 });
    } finally {
      await server.close();
    }
  });
});
