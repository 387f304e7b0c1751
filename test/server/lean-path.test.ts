/**
 * The lean path (src/server/http/lean-path.ts) answers exactly as fastify does: the same requests go to
 * two servers over real HTTP, one with the lean path and one without, and every answer (status, headers
 * but Date, body) and every event GraphServer was handed must be the same. Also: which requests take it,
 * and that a client closing its connection gives the event up on it too.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { Event, EventResponse } from '../../src/event';
import { newFunction } from '../../src/function/function';
import type { GraphServer } from '../../src/graph-server/graph-server';
import '../../src/model/onnx-model-server';
import { silentLogger } from '../../src/step/context';
import { serve, type EventRunner, type HttpOptions, type RunningServer } from '../../src/server/http/http';
import { LeanPath } from '../../src/server/http/lean-path';
import { collectGarbage } from '../support/force-gc';
import { portOf, request, type RawAnswer } from './http-support';

const IRIS = join(__dirname, '..', '..', 'examples', 'models', 'iris', 'model.onnx');

/** Answers by path with every kind of body sendResponse writes, and records the events. */
class ScriptedRunner implements EventRunner {
  readonly events: Event[] = [];
  cancelled = 0;
  readonly hold = new Set<Promise<EventResponse>>();

  run(event: Event): Promise<EventResponse> {
    this.events.push(event);
    if (event.path === '/hold') {
      const held = new Promise<EventResponse>(() => undefined); // answered never: the client gives up
      this.hold.add(held);
      return held;
    }
    return Promise.resolve(ScriptedRunner.answer(event));
  }

  cancel(answer: Promise<EventResponse>): void {
    if (this.hold.delete(answer)) this.cancelled++;
  }

  static answer(event: Event): EventResponse {
    const body = event.body === undefined ? null : (event.body as Buffer).toString('latin1');
    switch (event.path) {
      case '/object':
        return { status: 200, headers: {}, body: { got: body, big: 2n ** 63n - 1n } };
      case '/string':
        return { status: 201, headers: { 'X-Custom': 'a' }, body: 'plain text' };
      case '/json-string':
        return { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' };
      case '/buffer':
        return { status: 200, headers: {}, body: Buffer.from([0, 1, 2, 255]) };
      case '/typed-buffer':
        return { status: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from('png') };
      case '/empty':
        return { status: 200, headers: {}, body: undefined };
      case '/no-content':
        return { status: 204, headers: { allow: 'GET' }, body: undefined };
      case '/no-content-body':
        return { status: 204, headers: {}, body: { dropped: true } };
      case '/deep': {
        let deep: unknown = 1;
        for (let i = 0; i < 100_000; i++) deep = [deep];
        return { status: 200, headers: {}, body: deep };
      }
      case '/bad-header':
        return { status: 200, headers: { 'x-bad': 'a\nb' }, body: { ok: true } };
      case '/error':
        return { status: 400, headers: {}, body: { error: 'bad', code: 'GS_BAD_REQUEST' } };
      default:
        return { status: 404, headers: {}, body: { error: `no ${event.path}`, code: 'GS_NOT_FOUND' } };
    }
  }
}

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Whether the lean path takes it (with default options). */
  lean: boolean;
}

const ID = { 'x-request-id': 'req-1' };
const JSON_TYPE = { ...ID, 'content-type': 'application/json' };
const CASES: Case[] = [
  { name: 'GET, object answer', method: 'GET', path: '/object', headers: ID, lean: true },
  {
    name: 'POST JSON, object answer',
    method: 'POST',
    path: '/object',
    headers: JSON_TYPE,
    body: '{"x":1}',
    lean: true,
  },
  { name: 'POST, query string', method: 'POST', path: '/object?x=1', headers: JSON_TYPE, body: '[]', lean: true },
  { name: 'string answer', method: 'GET', path: '/string', headers: ID, lean: true },
  { name: 'JSON string answer', method: 'GET', path: '/json-string', headers: ID, lean: true },
  { name: 'buffer answer', method: 'GET', path: '/buffer', headers: ID, lean: true },
  { name: 'typed buffer answer', method: 'GET', path: '/typed-buffer', headers: ID, lean: true },
  { name: 'empty answer', method: 'GET', path: '/empty', headers: ID, lean: true },
  { name: '204', method: 'GET', path: '/no-content', headers: ID, lean: true },
  { name: '204 with a body', method: 'GET', path: '/no-content-body', headers: ID, lean: true },
  { name: '400', method: 'POST', path: '/error', headers: JSON_TYPE, body: '{', lean: true },
  { name: '404', method: 'GET', path: '/nowhere', headers: ID, lean: true },
  { name: 'a header value Node refuses', method: 'GET', path: '/bad-header', headers: ID, lean: true },
  { name: 'an answer too deep for JSON', method: 'GET', path: '/deep', headers: ID, lean: true },
  { name: 'empty POST body', method: 'POST', path: '/object', headers: JSON_TYPE, body: '', lean: true },
  {
    name: 'binary body',
    method: 'POST',
    path: '/object',
    headers: { ...ID, 'content-type': 'application/octet-stream' },
    body: Buffer.from([1, 2, 3, 200]),
    lean: true,
  },
  { name: 'no request id', method: 'GET', path: '/empty', lean: true },
  // fastify's
  { name: 'POST without a type', method: 'POST', path: '/object', headers: ID, body: 'x', lean: false },
  { name: 'PUT', method: 'PUT', path: '/object', headers: JSON_TYPE, body: '{}', lean: false },
  { name: 'OPTIONS', method: 'OPTIONS', path: '/object', headers: ID, lean: false },
  { name: 'HEAD', method: 'HEAD', path: '/object', headers: ID, lean: false },
  { name: 'GET with a body', method: 'GET', path: '/object', headers: JSON_TYPE, body: '{}', lean: false },
  {
    name: 'Accept-Encoding',
    method: 'GET',
    path: '/object',
    headers: { ...ID, 'accept-encoding': 'gzip' },
    lean: false,
  },
  {
    name: 'Content-Encoding',
    method: 'POST',
    path: '/object',
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: gzipSync('{"x":2}'),
    lean: false,
  },
  { name: 'percent-encoded path', method: 'GET', path: '/no%20where', headers: ID, lean: false },
  {
    name: 'over the body limit',
    method: 'POST',
    path: '/object',
    headers: JSON_TYPE,
    body: 'x'.repeat(2000),
    lean: false,
  },
];

const OPTIONS: HttpOptions = { host: '127.0.0.1', port: 0, bodyLimit: 1000, docs: false };

/** An answer without what differs between two servers by nature: the Date header. */
function comparable(a: RawAnswer): { status: number; headers: Record<string, unknown>; body: string } {
  const { date: _date, ...headers } = a.headers;
  return { status: a.status, headers, body: a.body.toString('latin1') };
}

/** An event without what differs by nature: its id when generated, the Host header (the port). */
function withoutId(e: Event): Partial<Event> {
  const { id: _id, cancellation: _c, headers, ...rest } = e;
  const { host: _host, ...others } = headers;
  return { ...rest, headers: others };
}

describe('the lean path answers as fastify does', () => {
  const leanRunner = new ScriptedRunner();
  const fastifyRunner = new ScriptedRunner();
  let lean: RunningServer;
  let plain: RunningServer;
  let served: jest.SpyInstance;

  beforeAll(async () => {
    served = jest.spyOn(LeanPath.prototype, 'serve');
    lean = await serve(leanRunner, OPTIONS);
    plain = await serve(fastifyRunner, { ...OPTIONS, leanPath: false });
  });

  afterAll(async () => {
    served.mockRestore();
    await Promise.all([lean?.close(), plain?.close()]);
  });

  it.each(CASES)('$name', async ({ method, path, headers, body, lean: takesLean }) => {
    served.mockClear();
    const before = { lean: leanRunner.events.length, plain: fastifyRunner.events.length };
    const viaLean = await request(lean.url + path, { method, headers, body });
    const viaFastify = await request(plain.url + path, { method, headers, body });
    expect(served).toHaveBeenCalledTimes(takesLean ? 1 : 0);
    expect(comparable(viaLean)).toEqual(comparable(viaFastify));

    const leanEvents = leanRunner.events.slice(before.lean);
    const plainEvents = fastifyRunner.events.slice(before.plain);
    expect(leanEvents.map(withoutId)).toEqual(plainEvents.map(withoutId));
    if (headers?.['x-request-id']) {
      expect(leanEvents.map((e) => e.id)).toEqual(plainEvents.map(() => headers['x-request-id']));
    } else {
      for (const e of leanEvents) expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('gives the event up when the client closes the connection before the answer', async () => {
    served.mockClear();
    await expect(request(lean.url + '/hold', { headers: ID, timeoutMs: 200 })).rejects.toThrow();
    expect(served).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 100 && leanRunner.cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(leanRunner.cancelled).toBe(1);
  });

  it.each([
    ['lean', () => [lean, leanRunner] as const],
    ['fastify', () => [plain, fastifyRunner] as const],
  ])(
    'on the %s path, closing a kept-alive connection gives up the request in flight on it, not the ones answered',
    async (_path, which) => {
      const [server, runner] = which();
      const cancelled = runner.cancelled;
      const socket = connect(portOf(server.url), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      for (const id of ['a', 'b']) socket.write(`GET /string HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\n\r\n`);
      const answered = (): number => received.split('plain text').length - 1;
      for (let i = 0; i < 100 && answered() < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(answered()).toBe(2);
      const held = runner.hold.size;
      socket.write('GET /hold HTTP/1.1\r\nHost: x\r\nX-Request-Id: c\r\n\r\n');
      for (let i = 0; i < 100 && runner.hold.size === held; i++) await new Promise((r) => setTimeout(r, 10));
      expect(runner.hold.size).toBe(held + 1);
      socket.destroy();
      for (let i = 0; i < 100 && runner.cancelled === cancelled; i++) await new Promise((r) => setTimeout(r, 10));
      expect(runner.cancelled).toBe(cancelled + 1);
      expect(runner.hold.size).toBe(held);
    },
  );

  it('answers 500 {"error","code"} for a header HTTP cannot carry or a body too deep for JSON, on both paths', async () => {
    for (const server of [lean, plain]) {
      const answer = await request(server.url + '/bad-header', { headers: ID });
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body.toString())).toEqual({
        error: expect.stringContaining('a header HTTP cannot carry'),
        code: 'GS_ERROR',
      });
      expect((await request(server.url + '/object', { headers: ID })).status).toBe(200);
      const deep = await request(server.url + '/deep', { headers: ID });
      expect(deep.status).toBe(500);
      expect(JSON.parse(deep.body.toString())).toEqual({
        error: expect.stringContaining('nested too deeply'),
        code: expect.any(String),
      });
    }
  });

  it('places a binary body so that its tensors start 8-byte aligned (viewed in place, not copied)', async () => {
    for (const jsonLength of [1, 5, 13, 105]) {
      const body = Buffer.concat([Buffer.from('x'.repeat(jsonLength)), Buffer.alloc(64, 7)]);
      const headers = {
        ...ID,
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(jsonLength),
      };
      await request(lean.url + '/object', { method: 'POST', headers, body });
      const got = leanRunner.events.at(-1)!.body as Buffer;
      expect(got.equals(body)).toBe(true);
      expect((got.byteOffset + jsonLength) % 8).toBe(0);
    }
  });

  it('drops a body the client abandons halfway, and goes on serving', async () => {
    const before = leanRunner.events.length;
    const socket = connect(portOf(lean.url), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /object HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"x"',
    );
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(leanRunner.events.length).toBe(before); // never reached GraphServer
    expect((await request(lean.url + '/object', { headers: ID })).status).toBe(200);
  });

  it('is off with CORS or an access log: fastify answers every request', async () => {
    served.mockClear();
    const lines: string[] = [];
    const withLog = await serve(new ScriptedRunner(), { ...OPTIONS, accessLog: { write: (l) => lines.push(l) } });
    const withCors = await serve(new ScriptedRunner(), { ...OPTIONS, corsOrigins: ['*'] });
    try {
      expect((await request(withLog.url + '/object', { headers: ID })).status).toBe(200);
      const cors = await request(withCors.url + '/object', { headers: { ...ID, origin: 'http://a.example' } });
      expect(cors.headers['access-control-allow-origin']).toBe('*');
      expect(served).not.toHaveBeenCalled();
      expect(lines).toHaveLength(1);
    } finally {
      await Promise.all([withLog.close(), withCors.close()]);
    }
  });
});

describe('a body handed over to GraphServer', () => {
  it.each([
    ['the lean path', true],
    ['fastify', false],
  ])('is not held by %s while the answer is awaited', async (_path, leanPath) => {
    // A runner that keeps only a weak reference to the body's memory (over 4 kB: its own ArrayBuffer, not
    // Node's shared pool) and answers when told: what else holds it is the HTTP layer's own doing.
    let memory: WeakRef<ArrayBufferLike> | undefined;
    let answer!: (response: EventResponse) => void;
    const runner: EventRunner = {
      run: (event) => {
        memory = new WeakRef((event.body as Buffer).buffer);
        return new Promise((resolve) => (answer = resolve));
      },
    };
    const server = await serve(runner, { ...OPTIONS, bodyLimit: 64 * 1024, leanPath });
    try {
      const body = JSON.stringify({ pad: 'x'.repeat(20_000) });
      const pending = request(server.url + '/object', { method: 'POST', headers: JSON_TYPE, body });
      for (let i = 0; i < 100 && memory === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      await collectGarbage();
      const released = memory!.deref() === undefined;
      answer({ status: 200, headers: {}, body: { ok: true } });
      expect((await pending).status).toBe(200);
      expect(released).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('the lean path against a real model', () => {
  let graphs: GraphServer[];
  let servers: RunningServer[];

  beforeAll(async () => {
    graphs = [];
    for (let i = 0; i < 2; i++) {
      const fn = newFunction('lean');
      fn.setTopology('router');
      fn.addModel('iris', { className: 'OnnxModelServer', name: 'iris:1', modelPath: IRIS });
      graphs.push(await fn.toGraphServer({ logger: silentLogger }));
    }
    servers = [
      await serve(graphs[0]!, { ...OPTIONS, bodyLimit: 1 << 20 }),
      await serve(graphs[1]!, { ...OPTIONS, bodyLimit: 1 << 20, leanPath: false }),
    ];
  });

  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.close()));
    for (const g of graphs ?? []) await g.close();
  });

  const infer = JSON.stringify({
    id: 'r1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3] }],
  });
  it.each([
    ['infer', 'POST', '/v2/models/iris/infer', infer],
    ['MLRun dialect', 'POST', '/v2/models/iris/infer', '{"inputs":[[5.1,3.5,1.4,0.2]]}'],
    ['bad tensor', 'POST', '/v2/models/iris/infer', '{"inputs":[{}]}'],
    ['metadata', 'GET', '/v2/models/iris', undefined],
    ['ready', 'GET', '/v2/models/iris/ready', undefined],
    ['unknown model', 'GET', '/v2/models/nope', undefined],
  ])('%s: the same answer both ways', async (_name, method, path, body) => {
    const headers = body === undefined ? ID : JSON_TYPE;
    const [a, b] = await Promise.all(servers.map((s) => request(s.url + path, { method, headers, body })));
    // MLRun-dialect answers carry the time they were made.
    const timeless = (x: RawAnswer) => ({
      ...comparable(x),
      body: comparable(x).body.replace(/"timestamp":"[^"]*"/, ''),
    });
    expect(timeless(a!)).toEqual(timeless(b!));
    expect(a!.status).toBeLessThan(500);
  });
});
