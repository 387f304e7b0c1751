// light-my-request (app.inject) requires cookie@2, which is ESM-only and cannot be required by jest on
// Node 20; these tests send no cookies, so a stand-in is enough.
jest.mock('cookie', () => ({ stringifySetCookie: (): string => '' }));

import { HEADER_LENGTH } from '../../src/protocol';
import { buildApp, serve } from '../../src/server/http/http';
import { EchoRunner } from './http-stub';

describe('HTTP front end (app.inject)', () => {
  it('hands GraphServer the raw body, the path without query, lower-cased headers and the request id', async () => {
    const runner = new EchoRunner();
    const app = buildApp(runner);
    const payload = '{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[7]}]}';
    const res = await app.inject({
      method: 'POST',
      url: '/v2/models/echo/infer?debug=1',
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': 'abc' },
      payload,
    });
    expect(res.statusCode).toBe(200);
    const event = runner.events[0]!;
    expect(event.path).toBe('/v2/models/echo/infer');
    expect(event.method).toBe('POST');
    expect(event.id).toBe('abc');
    expect(event.contentType).toBe('application/json');
    expect(event.headers['x-request-id']).toBe('abc');
    expect(Buffer.isBuffer(event.body)).toBe(true);
    expect((event.body as Buffer).toString()).toBe(payload);
    expect(res.json()).toEqual({
      model_name: 'echo',
      id: 'abc',
      outputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [7] }],
    });
    await app.close();
  });

  it('generates a request id when the client sends none', async () => {
    const runner = new EchoRunner();
    const app = buildApp(runner);
    await app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(runner.events[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(runner.events[0]!.body).toBeUndefined();
    await app.close();
  });

  it('hands over any content type as raw bytes', async () => {
    const runner = new EchoRunner();
    const app = buildApp(runner);
    await app.inject({
      method: 'POST',
      url: '/x',
      headers: { 'content-type': 'image/png' },
      payload: Buffer.from([1, 2]),
    });
    expect(runner.events[0]!.body).toEqual(Buffer.from([1, 2]));
    await app.close();
  });

  it('answers a body over the limit with 413 in the JSON error form', async () => {
    const app = buildApp(new EchoRunner(), { bodyLimit: 100 });
    const res = await app.inject({ method: 'POST', url: '/v2/models/echo/infer', payload: 'x'.repeat(101) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: expect.stringContaining('100 bytes'), code: 'GS_PAYLOAD_TOO_LARGE' });
    await app.close();
  });

  it('writes malformed JSON errors from GraphServer as 400 and stays up', async () => {
    const app = buildApp(new EchoRunner());
    const bad = await app.inject({ method: 'POST', url: '/v2/models/echo/infer', payload: '{"inputs": [' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'GS_BAD_REQUEST', error: expect.stringContaining('malformed JSON') });
    const good = await app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(good.statusCode).toBe(200);
    await app.close();
  });

  it('answers an unknown route with 404 in the JSON error form', async () => {
    const app = buildApp(new EchoRunner());
    const res = await app.inject({ method: 'POST', url: '/v2/models/nope/infer', payload: '{}' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'GS_MODEL_NOT_FOUND' });
    await app.close();
  });

  it('writes a binary response with its headers and bytes as they are', async () => {
    const app = buildApp(new EchoRunner());
    const res = await app.inject({
      method: 'POST',
      url: '/v2/models/echo/infer',
      payload: {
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1.5, 2] }],
      },
    });
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const headerLength = Number(res.headers[HEADER_LENGTH]);
    const rest = Uint8Array.from(res.rawPayload.subarray(headerLength));
    expect(Array.from(new Float32Array(rest.buffer))).toEqual([1.5, 2]);
    await app.close();
  });
});

describe('HTTP server on a port', () => {
  it('binds port 0, reports its URL, and drains in-flight requests on close', async () => {
    const runner = new EchoRunner();
    let release!: () => void;
    runner.hold = new Promise<void>((resolve) => (release = resolve));
    const server = await serve(runner, { host: '127.0.0.1', port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
    const inflight = fetch(`${server.url}/hold`);
    while (runner.events.length === 0) await new Promise((r) => setImmediate(r));
    const closed = server.close();
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ held: true });
    await closed;
  });
});
