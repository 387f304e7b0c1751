/**
 * What the HTTP stack rejects before GraphServer, answered in the `{"error", "code"}` form, and the
 * bounds on what a client may hold: header and body read timeouts, and the connection cap.
 */
import * as net from 'node:net';
import { V2ModelServer, newFunction, silentLogger, type ModelRequest } from '../../src';
import { serve, type RunningServer } from '../../src/server/http/http';
import { parseRaw, portOf, rawExchange, request } from './http-support';

class Echo extends V2ModelServer {
  override load(): void {
    this.model = 'echo';
  }
  override predict(req: ModelRequest): unknown {
    return req.inputs;
  }
}

async function start(options: Parameters<typeof serve>[1]): Promise<RunningServer> {
  const fn = newFunction('limits');
  fn.addModel('echo', { className: Echo });
  return serve(await fn.toGraphServer({ logger: silentLogger }), { host: '127.0.0.1', port: 0, ...options });
}

/** Sends raw bytes and checks the answer is `status` with exactly `{error, code}` in JSON. */
async function expectJsonError(port: number, chunks: string[], status: number, code: string): Promise<string> {
  const answer = parseRaw(await rawExchange(port, chunks));
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as { error: string; code: string };
  expect(Object.keys(body).sort()).toEqual(['code', 'error']);
  expect(body.code).toBe(code);
  return body.error;
}

const POST = 'POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';

describe('requests the HTTP parser rejects', () => {
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    server = await start({});
    port = portOf(server.url);
  });

  afterAll(() => server.close());

  it('answers a malformed Content-Length with 400', async () => {
    const error = await expectJsonError(port, [`${POST}Content-Length: ten\r\n\r\n{}`], 400, 'GS_BAD_REQUEST');
    expect(error).toBe('the request has an invalid Content-Length header');
  });

  it('answers headers over the size limit with 431', async () => {
    const huge = `X-Padding: ${'a'.repeat(20_000)}\r\n`;
    await expectJsonError(port, [`${POST}${huge}Content-Length: 2\r\n\r\n{}`], 431, 'GS_HEADER_TOO_LARGE');
  });

  it('answers a request line that is not HTTP with 400', async () => {
    await expectJsonError(port, ['NOT HTTP AT ALL\r\n\r\n'], 400, 'GS_BAD_REQUEST');
  });

  it('answers an Expect other than 100-continue with 417', async () => {
    const error = await expectJsonError(
      port,
      [`${POST}Expect: something-else\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`],
      417,
      'GS_EXPECTATION_FAILED',
    );
    expect(error).toBe('Expect: something-else is not supported (only 100-continue)');
  });

  it('keeps serving after all of them', async () => {
    const res = await request(`${server.url}/v2/models/echo/infer`, { method: 'POST', body: '{"inputs": [1]}' });
    expect(res.status).toBe(200);
  });
});

describe('read timeouts', () => {
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    server = await start({ headersTimeout: 0.3, bodyTimeout: 0.6 });
    port = portOf(server.url);
  });

  afterAll(() => server.close());

  it('answers 408 and closes a connection whose headers never end', async () => {
    const error = await expectJsonError(port, [POST], 408, 'GS_REQUEST_TIMEOUT');
    expect(error).toBe('the request was not received within the server read timeouts');
  });

  it('answers 408 and closes a connection whose body never ends', async () => {
    await expectJsonError(port, [`${POST}Content-Length: 100\r\n\r\n{"inputs"`], 408, 'GS_REQUEST_TIMEOUT');
  });
});

describe('the connection cap', () => {
  it('closes connections beyond maxConnections as they arrive, and takes new ones once others close', async () => {
    const server = await start({ maxConnections: 2 });
    const port = portOf(server.url);
    const open = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    const held = [await open(), await open()];
    const refused = await rawExchange(port, [`GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expect(refused).toBe(''); // closed without an answer
    held[0]!.destroy();
    await new Promise<void>((resolve) => held[0]!.once('close', () => resolve()));
    let answer = '';
    for (let attempt = 0; attempt < 100 && answer === ''; attempt++) {
      // the server may not have seen the close yet: try again until it has room
      answer = await rawExchange(port, [`GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
    }
    expect(parseRaw(answer).status).toBe(200);
    held[1]!.destroy();
    await server.close();
  });
});
