import {
  InvalidOptionError,
  RemoteStep,
  RemoteStepError,
  RemoteTimeoutError,
  backoffSeconds,
  newFunction,
  silentLogger,
  type Event,
} from '../../src';
import { echo, json, useTestServers } from './http-fixture';

const { serve, track } = useTestServers();

function step(options: ConstructorParameters<typeof RemoteStep>[0]): RemoteStep {
  return track(new RemoteStep({ name: 'remote', backoffFactor: 0.001, ...options }));
}

function event(body: unknown, extra: Partial<Event> = {}): Event {
  return { id: 'ev1', path: '/', method: 'POST', headers: { authorization: 'secret' }, body, ...extra };
}

describe('RemoteStep requests', () => {
  it('posts the body as JSON and replaces the body with the JSON answer', async () => {
    const { url, server } = await serve(echo);
    const out = await step({ url }).doEvent(event({ x: 1 }));
    expect(out).toEqual({ method: 'POST', path: '/', body: { x: 1 } });
    expect(server.seen[0]!.headers['content-type']).toBe('application/json');
  });

  it("sends the event id and path headers, its own headers, and never the incoming request's", async () => {
    const { url, server } = await serve(echo);
    await step({ url, headers: { 'x-api-key': 'k' } }).doEvent(event({ x: 1 }, { path: '/a/b' }));
    const headers = server.seen[0]!.headers;
    expect(headers['mlrun-event-id']).toBe('ev1');
    expect(headers['mlrun-event-path']).toBe('/a/b');
    expect(headers['x-api-key']).toBe('k');
    expect(headers.authorization).toBeUndefined();
  });

  it("sends no path header for the path '/'", async () => {
    const { url, server } = await serve(echo);
    await step({ url }).doEvent(event({}));
    expect(server.seen[0]!.headers['mlrun-event-path']).toBeUndefined();
  });

  it("appends subpath, or the event's path with '$path'", async () => {
    const { url, server } = await serve(echo);
    await step({ url: `${url}/`, subpath: '/sub' }).doEvent(event({}));
    await step({ url, subpath: '$path' }).doEvent(event({}, { path: '/v2/models/m/infer' }));
    expect(server.seen.map((s) => s.url)).toEqual(['/sub', '/v2/models/m/infer']);
  });

  it('takes the URL from urlExpression and maps the body with bodyExpression', async () => {
    const { url, server } = await serve(echo);
    const s = step({
      urlExpression: (body) => `${url}/item/${(body as { id: number }).id}`,
      bodyExpression: (b) => [b],
    });
    expect(await s.doEvent(event({ id: 7 }))).toMatchObject({ path: '/item/7', body: [{ id: 7 }] });
    expect(server.seen[0]!.headers['mlrun-event-path']).toBeUndefined();
  });

  it("uses the event's method by default, GET without a body", async () => {
    const { url, server } = await serve(echo);
    await step({ url }).doEvent(event({ x: 1 }, { method: 'GET' }));
    expect(server.seen[0]).toMatchObject({ method: 'GET', body: '' });
    await step({ url, method: 'put' }).doEvent(event({ x: 1 }));
    expect(server.seen[1]!.method).toBe('PUT');
  });

  it('reads inputPath and writes resultPath', async () => {
    const { url } = await serve(echo);
    const out = await step({ url, inputPath: 'req', resultPath: 'resp' }).doEvent(event({ req: { a: 1 }, keep: 2 }));
    expect(out).toEqual({ req: { a: 1 }, keep: 2, resp: { method: 'POST', path: '/', body: { a: 1 } } });
  });

  it('keeps a non-JSON answer as bytes when returnJson is false, and sends strings raw', async () => {
    const { url, server } = await serve((req, res) => res.end('my str'));
    const out = await step({ url, returnJson: false }).doEvent(event('raw text'));
    expect(Buffer.isBuffer(out) && out.toString()).toBe('my str');
    expect(server.seen[0]!.body).toBe('raw text');
  });

  it('keeps at most maxInFlight requests on the wire', async () => {
    const { url, server } = await serve((req, res) => setImmediate(() => json(res, 1)));
    const s = step({ url, maxInFlight: 2 });
    await Promise.all(Array.from({ length: 10 }, () => s.doEvent(event({}))));
    expect(server.seen).toHaveLength(10);
    expect(server.maxConcurrent).toBeLessThanOrEqual(2);
  });
});

describe('RemoteStep errors and retries', () => {
  it('sends exactly one request with retries 0', async () => {
    const { url, server } = await serve((req, res) => json(res, 'no', 500));
    await expect(step({ url, retries: 0 }).doEvent(event({}))).rejects.toThrow(RemoteStepError);
    expect(server.seen).toHaveLength(1);
  });

  it('retries a 5xx and succeeds', async () => {
    const { url, server } = await serve((req, res, n) => (n === 1 ? json(res, 'busy', 503) : json(res, 'ok')));
    expect(await step({ url, retries: 1 }).doEvent(event({}))).toBe('ok');
    expect(server.seen).toHaveLength(2);
  });

  it('gives up after retries + 1 attempts, naming the step and the URL', async () => {
    const { url, server } = await serve((req, res) => json(res, 'down', 502));
    const failure = step({ url, retries: 3 }).doEvent(event({}));
    await expect(failure).rejects.toThrow(
      `RemoteStep remote: POST ${url} failed after 4 attempt(s): bad http response 502`,
    );
    expect(server.seen).toHaveLength(4);
  });

  it('does not retry a 4xx', async () => {
    const { url, server } = await serve((req, res) => json(res, 'bad', 422));
    await expect(step({ url, retries: 3 }).doEvent(event({}))).rejects.toThrow(`POST ${url} answered 422`);
    expect(server.seen).toHaveLength(1);
  });

  it('times out an attempt (seconds) and retries it', async () => {
    const { url, server } = await serve((req, res, n) => (n === 1 ? undefined : json(res, 'late but ok')));
    expect(await step({ url, timeout: 0.2, retries: 1 }).doEvent(event({}))).toBe('late but ok');
    expect(server.seen).toHaveLength(2);
  });

  it('answers a RemoteTimeoutError (504) when every attempt times out', async () => {
    const { url } = await serve(() => undefined);
    const failure = step({ url, timeout: 0.1, retries: 1 }).doEvent(event({}));
    await expect(failure).rejects.toThrow(RemoteTimeoutError);
    await expect(failure).rejects.toThrow('timed out after 0.1 s');
  });

  it('retries network errors', async () => {
    const { url, server } = await serve(() => undefined);
    await server.stop();
    await expect(step({ url, retries: 2 }).doEvent(event({}))).rejects.toThrow(
      'failed after 3 attempt(s): cannot invoke url',
    );
  });

  it('backs off exponentially, capped at backoffMax', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n, 0.5, 4))).toEqual([0.5, 1, 2, 4, 4]);
  });

  it('rejects bad options when built', () => {
    expect(() => new RemoteStep({})).toThrow('a url or urlExpression is needed');
    expect(() => new RemoteStep({ url: 'ftp://x' })).toThrow(InvalidOptionError);
    expect(() => new RemoteStep({ url: 'http://x', urlExpression: () => 'http://y' })).toThrow('cannot set both');
    expect(() => new RemoteStep({ url: 'http://x', retries: -1 })).toThrow('retries must be an integer >= 0');
  });
});

describe('RemoteStep in a graph', () => {
  it("runs as a '$remote' route of a router", async () => {
    const { url } = await serve((req, res) => json(res, { id: 'r', outputs: [JSON.parse(req.body).inputs[0] * 2] }));
    const fn = newFunction('remote-fn');
    fn.addModel('ext', { className: '$remote', url, retries: 0 });
    const server = await fn.toMockServer({ logger: silentLogger });
    expect(await server.test('/v2/models/ext/infer', { inputs: [21] })).toEqual({ id: 'r', outputs: [42] });
    const remote = (server.graphServer.graph as unknown as { routes: Map<string, RemoteStep> }).routes.get('ext')!;
    await remote.close();
  });
});
