/**
 * Content-Encoding over real HTTP: compressed request bodies (tritonclient's
 * request_compression_algorithm) are decoded before GraphServer sees them, within the body limit;
 * responses are compressed only for clients that ask with Accept-Encoding.
 */
import * as zlib from 'node:zlib';
import { V2ModelServer, newFunction, silentLogger, type ModelRequest } from '../../src';
import { serve, type RunningServer } from '../../src/server/http/http';
import { request } from './http-support';

class Echo extends V2ModelServer {
  override load(): void {
    this.model = 'echo';
  }
  override predict(req: ModelRequest): unknown {
    return req.inputs;
  }
}

const BODY_LIMIT = 1024 * 1024;
let server: RunningServer;
let infer: string;

beforeAll(async () => {
  const fn = newFunction('encoding');
  fn.addModel('echo', { className: Echo });
  const graph = await fn.toGraphServer({ logger: silentLogger });
  server = await serve(graph, { host: '127.0.0.1', port: 0, bodyLimit: BODY_LIMIT });
  infer = `${server.url}/v2/models/echo/infer`;
});

afterAll(() => server.close());

const JSON_TYPE = { 'content-type': 'application/json' };
const payload = JSON.stringify({ inputs: [1, 2, 3] });

describe('compressed request bodies', () => {
  it.each([
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
  ] as const)('decodes a %s body', async (encoding, encode) => {
    const res = await request(infer, {
      method: 'POST',
      headers: { ...JSON_TYPE, 'content-encoding': encoding },
      body: encode(Buffer.from(payload)),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ model_name: 'echo', outputs: [1, 2, 3] });
  });

  it('answers 415 for an encoding it cannot decode', async () => {
    const res = await request(infer, {
      method: 'POST',
      headers: { ...JSON_TYPE, 'content-encoding': 'compress' },
      body: payload,
    });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body.toString())).toEqual({
      error: 'Content-Encoding "compress" is not supported; use gzip, deflate, br or identity',
      code: 'GS_UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('answers 400 for a body that is not what its encoding says', async () => {
    const res = await request(infer, {
      method: 'POST',
      headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
      body: payload,
    });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body.toString()) as { error: string; code: string };
    expect(body.code).toBe('GS_BAD_REQUEST');
    expect(body.error).toMatch(/^the request body is not valid gzip data/);
  });

  it('counts the decoded size against the body limit (a zip bomb gets 413) and keeps serving', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(16 * BODY_LIMIT, 0x20)); // 16 MiB of spaces in ~16 kB
    expect(bomb.length).toBeLessThan(BODY_LIMIT);
    const res = await request(infer, {
      method: 'POST',
      headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 'GS_PAYLOAD_TOO_LARGE' });
    const next = await request(infer, { method: 'POST', headers: JSON_TYPE, body: payload });
    expect(next.status).toBe(200);
  });
});

describe('compressed responses', () => {
  /** A response large enough to be worth compressing. */
  const big = JSON.stringify({ inputs: Array.from({ length: 2000 }, (_, i) => i) });

  it.each([
    ['gzip', zlib.gunzipSync],
    ['deflate', zlib.inflateSync],
  ] as const)('compresses with %s when the client accepts it', async (encoding, decode) => {
    const res = await request(infer, {
      method: 'POST',
      headers: { ...JSON_TYPE, 'accept-encoding': encoding },
      body: big,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(encoding);
    const answer = JSON.parse(decode(res.body).toString()) as { outputs: number[] };
    expect(answer.outputs).toHaveLength(2000);
    expect(answer.outputs[1999]).toBe(1999);
  });

  it('sends plain JSON to a client that does not ask', async () => {
    const res = await request(infer, { method: 'POST', headers: JSON_TYPE, body: big });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(res.body.toString()) as { outputs: number[] }).outputs).toHaveLength(2000);
  });
});
