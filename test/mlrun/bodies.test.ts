/**
 * Text and binary bodies enter the graph as MLRun treats them: JSON only when the content type says
 * JSON or, with no type, when the text parses as JSON; `application/text` stays a string; bytes stay
 * bytes (a model server takes them as its single input, a RemoteStep forwards them unchanged).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteStep, V2ModelServer, newFunction, type ModelRequest } from '../../src';

/** What a step saw: the kind of its body, and the body. */
function describeBody(body: unknown): { kind: string; body: unknown } {
  if (Buffer.isBuffer(body)) return { kind: 'bytes', body: [...body] };
  return { kind: typeof body, body };
}

async function probe() {
  const fn = newFunction('bodies');
  fn.setTopology('flow', { engine: 'sync' }).to({ name: 'probe', handler: describeBody });
  return fn.toMockServer();
}

/** A server that answers every request's raw body bytes back, as a JSON list, with its content type. */
async function bytesEcho(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: req.headers['content-type'] ?? null, bytes: [...Buffer.concat(chunks)] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('text and binary bodies', () => {
  it('parses JSON text with no content type, or with a JSON one', async () => {
    const server = await probe();
    expect(await server.test('/', '{"a": 1}')).toEqual({ kind: 'object', body: { a: 1 } });
    expect(await server.test('/', '[1, 2]', { contentType: 'application/json' })).toEqual({
      kind: 'object',
      body: [1, 2],
    });
    expect(await server.test('/', Buffer.from('7'))).toEqual({ kind: 'number', body: 7 });
  });

  it('keeps text that is not JSON as a string when no type says JSON, and application/text always', async () => {
    const server = await probe();
    expect(await server.test('/', 'hello')).toEqual({ kind: 'string', body: 'hello' });
    expect(await server.test('/', '{"a": 1}', { contentType: 'application/text' })).toEqual({
      kind: 'string',
      body: '{"a": 1}',
    });
    expect(await server.test('/', Buffer.from('[1]'), { contentType: 'application/text' })).toEqual({
      kind: 'string',
      body: '[1]',
    });
  });

  it('keeps bytes as bytes', async () => {
    const server = await probe();
    const bytes = Buffer.from([0xff, 0x00, 0x7b]);
    expect(await server.test('/', bytes)).toEqual({ kind: 'bytes', body: [0xff, 0x00, 0x7b] });
    const json = Buffer.from('{"a":1}');
    expect(await server.test('/', json, { contentType: 'application/octet-stream' })).toEqual({
      kind: 'bytes',
      body: [...json],
    });
  });

  it('answers 400 for malformed JSON under a JSON content type, or text that starts like JSON', async () => {
    const server = await probe();
    for (const contentType of ['application/json', undefined]) {
      const res = await server.test('/', '{"a": ', {
        silent: true,
        getBody: false,
        ...(contentType ? { contentType } : {}),
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'GS_BAD_REQUEST' });
    }
  });

  it('gives a model server raw bytes as its single input', async () => {
    class Size extends V2ModelServer {
      override load(): void {}
      override predict(request: ModelRequest<Buffer>): number {
        return request.inputs[0]!.length;
      }
    }
    const fn = newFunction('raw');
    fn.addModel('size', { className: Size });
    const server = await fn.toMockServer();
    const res = await server.test('/v2/models/size/infer', Buffer.alloc(5), { contentType: 'image/png' });
    expect(res).toMatchObject({ outputs: 5 });
  });

  it('forwards bytes sent over HTTP to a RemoteStep unchanged', async () => {
    const backend = await bytesEcho();
    const fn = newFunction('gateway');
    fn.setTopology('flow', { engine: 'sync' }).to(
      new RemoteStep({ name: 'fwd', url: backend.url, method: 'POST', retries: 0 }),
    );
    const app = await fn.serve({ host: '127.0.0.1', port: 0 });
    try {
      const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7b, 0x22]);
      const res = await fetch(`${app.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ type: null, bytes: [...bytes] });
    } finally {
      await app.close();
      backend.server.close();
    }
  });
});
