/**
 * Large JSON bodies, decoded off the event loop (src/protocol/off-thread-json.ts), over real HTTP to a
 * real ONNX model: the same answers as the event-loop path, the same 400s, and a bounded queue (503).
 */
import { join } from 'node:path';
import { loadAddon } from '../../bindings/loader';
import { QueueFullError } from '../../src/errors';
import { newFunction, silentLogger } from '../../src';
import type { Event } from '../../src/event';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { OnnxModelServer } from '../../src/model/onnx-model-server';
import { OffThreadJsonDecoder, kDefaultOffThreadJsonOptions } from '../../src/protocol/off-thread-json';
import type { OffThreadJsonOptions } from '../../src/protocol';
import { serve, type RunningServer } from '../../src/server/http/http';

const MODEL = join(__dirname, '..', 'fixtures', 'models', 'identity_fp32.onnx'); // x [batch, 3] → y
const INFER = '/v2/models/identity/infer';
const ROWS = 40_000; // about 2 MiB of JSON: over the default threshold of 1 MiB

function values(n: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 7919) % 100_003) / 3.7 - 13_000);
}

function inferBody(data: unknown, shape = [ROWS, 3]): Buffer {
  return Buffer.from(JSON.stringify({ id: 'big', inputs: [{ name: 'x', datatype: 'FP32', shape, data }] }));
}

async function graphServer(offThreadJson: OffThreadJsonOptions): Promise<GraphServer> {
  const fn = newFunction('large-json');
  fn.addModel('identity', { className: OnnxModelServer, modelPath: MODEL });
  return fn.toGraphServer({ logger: silentLogger, offThreadJson });
}

async function post(server: RunningServer, body: Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(server.url + INFER, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe('large JSON bodies over HTTP', () => {
  const servers: Record<'offLoop' | 'onLoop', RunningServer | undefined> = { offLoop: undefined, onLoop: undefined };
  const counters: { decoder?: OffThreadJsonDecoder } = {};

  beforeAll(async () => {
    const off = await graphServer({});
    counters.decoder = off.bodies;
    servers.offLoop = await serve(off, { host: '127.0.0.1', port: 0 });
    servers.onLoop = await serve(await graphServer({ enabled: false }), { host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await servers.offLoop?.close();
    await servers.onLoop?.close();
  });

  it('answers a 2 MiB FP32 body decoded off the loop exactly as on the loop', async () => {
    const x = values(ROWS * 3);
    const body = inferBody(x);
    expect(body.length).toBeGreaterThan(kDefaultOffThreadJsonOptions.minBytes);
    const before = counters.decoder!.offThread;
    const off = await post(servers.offLoop!, body);
    expect(counters.decoder!.offThread).toBe(before + 1);
    const on = await post(servers.onLoop!, body);
    expect(off.status).toBe(200);
    expect(off.text).toBe(on.text);
    const y = (JSON.parse(off.text) as { outputs: Array<{ shape: number[]; data: number[] }> }).outputs[0]!;
    expect(y.shape).toEqual([ROWS, 3]);
    expect(y.data).toEqual(Array.from(Float32Array.from(x)));
  });

  it.each<[string, (text: string) => string]>([
    ['malformed JSON', (text) => text.replace('"shape"', 'shape')],
    ['a shape that does not match the data', (text) => text.replace(`[${ROWS},3]`, `[${ROWS},4]`)],
    ['data one element longer than its shape', (text) => text.replace(/\]\}\]\}$/, ',1]}]}')],
  ])('answers %s in a large body with the same 4xx and {error, code} on both paths', async (_what, spoil) => {
    const body = Buffer.from(spoil(inferBody(values(ROWS * 3)).toString()));
    const off = await post(servers.offLoop!, body);
    const on = await post(servers.onLoop!, body);
    expect(off.status).toBeGreaterThanOrEqual(400);
    expect(off.status).toBeLessThan(500);
    expect(off).toEqual(on);
    expect(Object.keys(JSON.parse(off.text) as object).sort()).toEqual(['code', 'error']);
  });
});

describe('the off-thread decode queue', () => {
  function event(body: Buffer): Event {
    return { id: 'q', path: INFER, method: 'POST', headers: { 'content-type': 'application/json' }, body };
  }

  it('answers 503 GS_QUEUE_FULL beyond maxPending bodies being decoded, and serves the others', async () => {
    const server = await graphServer({ minBytes: 1024, maxPending: 1 });
    try {
      const body = inferBody(values(3000), [1000, 3]);
      // run() starts decoding at once: the first body is on the thread pool when the second arrives.
      const [first, second] = await Promise.all([server.run(event(body)), server.run(event(body))]);
      expect(first.status).toBe(200);
      expect(second.status).toBe(503);
      expect(second.body).toEqual({ error: expect.stringMatching(/large JSON bodies/), code: 'GS_QUEUE_FULL' });
      expect((await server.run(event(body))).status).toBe(200); // the queue has room again
    } finally {
      await server.close();
    }
  });

  it('reads at most maxRunning bodies on the pool at once, queues up to maxPending, refuses more', async () => {
    const addon = loadAddon();
    const original = addon.extractJsonNumberArrays;
    let running = 0;
    let most = 0;
    addon.extractJsonNumberArrays = async (text) => {
      most = Math.max(most, ++running);
      try {
        return await original(text);
      } finally {
        running--;
      }
    };
    let decoder: OffThreadJsonDecoder;
    try {
      decoder = new OffThreadJsonDecoder({ minBytes: 0, maxRunning: 2, maxPending: 5 }); // takes the wrapper
    } finally {
      addon.extractJsonNumberArrays = original;
    }
    const x = values(3000);
    const body = inferBody(x, [1000, 3]);
    const json = { 'content-type': 'application/json' };
    const accepted = Array.from({ length: 5 }, () => decoder.decode(body, json) as Promise<unknown>);
    await expect(decoder.decode(body, json)).rejects.toThrow(QueueFullError);
    const results = (await Promise.all(accepted)) as Array<{ inputs: Array<{ data: Float32Array }> }>;
    expect(most).toBe(2);
    for (const r of results) expect(r.inputs[0]!.data).toEqual(Float32Array.from(x));
    expect(decoder.offThread).toBe(5);
    await expect(decoder.decode(body, json)).resolves.toBeDefined(); // room again
  });

  it('decodes bodies below minBytes on the event loop, as before', () => {
    const decoder = new OffThreadJsonDecoder({ minBytes: 1 << 20 });
    const small = inferBody(values(3000), [1000, 3]);
    expect(decoder.decode(small, { 'content-type': 'application/json' })).not.toBeInstanceOf(Promise);
    expect(new OffThreadJsonDecoder({ minBytes: 0 }).decode(small, {})).toBeInstanceOf(Promise);
    expect(new OffThreadJsonDecoder({ minBytes: 0, enabled: false }).decode(small, {})).not.toBeInstanceOf(Promise);
  });

  it('is turned off by GRAPHSERVE_OFF_THREAD_JSON=0, and refuses bad options', () => {
    process.env['GRAPHSERVE_OFF_THREAD_JSON'] = '0';
    try {
      expect(new OffThreadJsonDecoder({ minBytes: 0 }).options.enabled).toBe(false);
    } finally {
      delete process.env['GRAPHSERVE_OFF_THREAD_JSON'];
    }
    expect(new OffThreadJsonDecoder({ minBytes: 0 }).options.enabled).toBe(true);
    expect(() => new OffThreadJsonDecoder({ maxPending: 0 })).toThrow('offThreadJson.maxPending must be');
    expect(() => new OffThreadJsonDecoder({ maxRunning: 1.5 })).toThrow('offThreadJson.maxRunning must be');
    expect(() => new OffThreadJsonDecoder({ minBytes: -1 })).toThrow('offThreadJson.minBytes must be');
  });
});
