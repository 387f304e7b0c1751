/**
 * The access log (src/server/http/access-log.ts) and CORS on a real HTTP server on loopback, with the iris
 * model in ONNX Runtime: one JSON line per request with its id, method, path, model, version, status,
 * error code, response time and batch size, whoever answered it.
 */
import { join } from 'node:path';
import { newFunction } from '../../src/function/function';
import '../../src/model/onnx-model-server';
import { HEADER_LENGTH } from '../../src/protocol';
import type { AccessLogEntry } from '../../src/server/http/access-log';
import { serve, type RunningServer } from '../../src/server/http/http';
import { silentLogger } from '../../src/step/context';

const IRIS = join(__dirname, '..', '..', 'examples', 'models', 'iris', 'model.onnx');
const ROW = [5.1, 3.5, 1.4, 0.2];

let server: RunningServer;
const lines: string[] = [];

/** The access-log entries written so far, parsed. */
const entries = (): AccessLogEntry[] => lines.map((line) => JSON.parse(line) as AccessLogEntry);

beforeAll(async () => {
  const fn = newFunction('access-log');
  fn.setTopology('router');
  fn.addModel('iris', { className: 'OnnxModelServer', name: 'iris:1', modelPath: IRIS });
  const graph = await fn.toGraphServer({ logger: silentLogger });
  server = await serve(graph, {
    host: '127.0.0.1',
    port: 0,
    bodyLimit: 4096,
    accessLog: { write: (line: string) => lines.push(line) },
    corsOrigins: ['http://app.example'],
  });
});

afterAll(async () => {
  await server?.close();
});

/** Sends a request and waits (at most 5 s) for its access-log line, written once the response is finished. */
async function logged(
  path: string,
  init: RequestInit,
): Promise<{ res: Response; text: string; entry: AccessLogEntry }> {
  const before = lines.length;
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  for (let i = 0; i < 500 && lines.length === before; i++) await new Promise((r) => setTimeout(r, 10));
  expect(lines.length).toBe(before + 1);
  expect(lines[before]!.endsWith('\n')).toBe(true);
  return { res, text, entry: entries()[before]! };
}

describe('the access log', () => {
  it('writes one JSON line for an OIP inference: id, model, version, status, time, batch size', async () => {
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 4], data: [...ROW, ...ROW, ...ROW] }] };
    const { res, entry } = await logged('/v2/models/iris/infer', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'acc-1' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(entry).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reqId: 'acc-1',
      method: 'POST',
      path: '/v2/models/iris/infer',
      model: 'iris',
      version: '1',
      status: 200,
      code: null,
      responseTimeMs: expect.any(Number),
      batchSize: 3,
    });
    expect(entry.responseTimeMs).toBeGreaterThan(0);
  });

  it('reads the batch size of a binary answer from its JSON header', async () => {
    const body = {
      parameters: { binary_data_output: true },
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [...ROW, ...ROW] }],
    };
    const { res, entry } = await logged('/v2/models/iris/versions/1/infer', {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(res.headers.get(HEADER_LENGTH)).not.toBeNull();
    expect(entry).toMatchObject({ status: 200, model: 'iris', version: '1', batchSize: 2 });
  });

  it("counts the rows of an MLRun-dialect answer, and takes the server's request id", async () => {
    const { res, text, entry } = await logged('/v2/models/iris/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [ROW, ROW] }),
    });
    expect(res.status).toBe(200);
    expect(entry).toMatchObject({ status: 200, batchSize: 2 });
    expect(entry.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry.reqId).toBe((JSON.parse(text) as { id: string }).id);
  });

  it("logs an error's code: unknown model, body over the limit, unknown path", async () => {
    const unknown = await logged('/v2/models/nope/infer', { method: 'POST', body: '{"inputs": [1]}' });
    expect(unknown.entry).toMatchObject({ status: 404, code: 'GS_MODEL_NOT_FOUND', model: 'nope', batchSize: null });
    const big = await logged('/v2/models/iris/infer', { method: 'POST', body: 'x'.repeat(8192) });
    expect(big.entry).toMatchObject({ status: 413, code: expect.stringMatching(/^GS_/), model: 'iris' });
    const path = await logged('/nowhere', { method: 'GET' });
    expect(path.entry).toMatchObject({ status: 404, code: expect.stringMatching(/^GS_/), model: null, version: null });
  });
});

describe('CORS (--cors-origin)', () => {
  it('answers a preflight from an allowed origin with the methods and exposed headers', async () => {
    const res = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('marks answers to an allowed origin, not to another', async () => {
    const allowed = await fetch(`${server.url}/v2/models`, { headers: { origin: 'http://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('inference-header-content-length');
    const other = await fetch(`${server.url}/v2/models`, { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("still answers a plain OPTIONS with the path's methods", async () => {
    const res = await fetch(`${server.url}/v2/models/iris/infer`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('is off by default: no CORS headers', async () => {
    const fn = newFunction('no-cors');
    fn.setTopology('router');
    fn.addModel('iris', { className: 'OnnxModelServer', modelPath: IRIS });
    const plain = await serve(await fn.toGraphServer({ logger: silentLogger }), { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${plain.url}/v2/models`, { headers: { origin: 'http://app.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
