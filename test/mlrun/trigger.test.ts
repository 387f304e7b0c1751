/**
 * Events carry their trigger (MLRun's `event.trigger`): HTTP sets kind 'http', the mock server takes
 * one as an option (default kind ''), and a stream event for a model still loading in async mode waits
 * for the load, within its request timeout, instead of the 503 that HTTP callers get.
 */
import {
  V2ModelServer,
  newFunction,
  silentLogger,
  type Event,
  type EventTrigger,
  type ModelRequest,
  type MockResponse,
} from '../../src';

interface Running {
  url: string;
  close(): Promise<void>;
}

/** A flow whose one step answers the trigger of the event it sees. */
function triggerEcho() {
  const fn = newFunction('trigger-echo');
  fn.setTopology('flow', { engine: 'sync' })
    .to({
      name: 'echo',
      handler: (event: Event) => ({ ...event, body: { trigger: event.trigger ?? null } }),
      fullEvent: true,
    })
    .respond();
  return fn;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A model whose async load waits for `gate`. */
function gatedModel(gate: Promise<void>, requestTimeout?: number) {
  class Gated extends V2ModelServer {
    override async load(): Promise<void> {
      await gate;
    }
    override predict(request: ModelRequest<number>): number[] {
      return request.inputs.map((x) => x + 1);
    }
  }
  const fn = newFunction('gated');
  fn.addModel('g', { className: Gated, loadMode: 'async' });
  return fn.toMockServer({ logger: silentLogger, ...(requestTimeout === undefined ? {} : { requestTimeout }) });
}

describe('event trigger', () => {
  it('is kind http for HTTP requests', async () => {
    const app = (await triggerEcho().serve({ host: '127.0.0.1', port: 0 })) as Running;
    try {
      const res = await fetch(`${app.url}/anything`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ trigger: { kind: 'http', name: '' } });
    } finally {
      await app.close();
    }
  });

  it("is MLRun's unknown trigger in the mock server unless test() is given one", async () => {
    const server = await triggerEcho().toMockServer();
    expect(await server.test('/', { a: 1 })).toEqual({ trigger: { kind: '', name: '' } });
    const stream: EventTrigger = { kind: 'stream', name: 'orders' };
    expect(await server.test('/', { a: 1 }, { trigger: stream })).toEqual({ trigger: stream });
  });

  it('makes a stream event wait for an async load that an HTTP-like event is refused during', async () => {
    const gate = deferred();
    const server = await gatedModel(gate.promise);
    const refused = await server.test('/v2/models/g/infer', { inputs: [1] }, { silent: true, getBody: false });
    expect(refused.status_code).toBe(503);
    const waiting = server.test('/v2/models/g/infer', { inputs: [1] }, { trigger: { kind: 'stream' } });
    // the stream event is still waiting: a later HTTP-like event is refused meanwhile
    const again = await server.test('/v2/models/g/infer', { inputs: [2] }, { silent: true, getBody: false });
    expect(again.body).toEqual({ error: 'model g is not ready yet', code: 'GS_NOT_READY' });
    gate.resolve();
    expect(await waiting).toMatchObject({ model_name: 'g', outputs: [2] });
    await server.waitForCompletion();
  });

  it("waits for the model a stream event's body names on path '/', as MLRun's stream trigger sends it", async () => {
    const gate = deferred();
    const server = await gatedModel(gate.promise);
    const stream = { kind: 'kafka', name: 'requests' };
    const waiting = server.test('/', { model: 'g', inputs: [5] }, { trigger: stream });
    const http = await server.test('/', { model: 'g', inputs: [5] }, { trigger: { kind: 'http' }, silent: true });
    expect(http).toMatchObject({ code: 'GS_NOT_READY' });
    gate.resolve();
    expect(await waiting).toMatchObject({ model_name: 'g', outputs: [6] });
    await server.waitForCompletion();
  });

  it('bounds the wait of a stream event by the request timeout (504, not 503)', async () => {
    const gate = deferred();
    const server = await gatedModel(gate.promise, 0.05);
    const res: MockResponse = await server.test(
      '/v2/models/g/infer',
      { inputs: [1] },
      { trigger: { kind: 'kafka', name: 'topic' }, silent: true, getBody: false },
    );
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ code: 'GS_TIMEOUT' });
    gate.resolve();
    await server.waitForCompletion();
  });

  it('answers a stream event for a model whose load failed with 503 and the reason', async () => {
    class Broken extends V2ModelServer {
      override async load(): Promise<void> {
        await Promise.resolve();
        throw new Error('no weights');
      }
    }
    const fn = newFunction('broken');
    fn.addModel('b', { className: Broken, loadMode: 'async' });
    const server = await fn.toMockServer({ logger: silentLogger });
    const res = await server.test(
      '/v2/models/b/infer',
      { inputs: [1] },
      {
        trigger: { kind: 'stream' },
        silent: true,
        getBody: false,
      },
    );
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'model b is not ready: no weights', code: 'GS_NOT_READY' });
  });
});

describe('mock server test() with getBody: false', () => {
  it('resolves to the status, headers and body of a success and, with silent, of an error', async () => {
    const fn = newFunction('status');
    class One extends V2ModelServer {
      override load(): void {}
      override predict(): number {
        return 1;
      }
    }
    fn.addModel('one', { className: One });
    const server = await fn.toMockServer();
    const ok = await server.test('/v2/models/one/infer', { inputs: [0] }, { getBody: false });
    expect(ok).toMatchObject({ status: 200, status_code: 200, body: { model_name: 'one', outputs: 1 } });
    expect(ok.headers['content-type']).toBe('application/json');
    const missing = await server.test('/v2/models/two/infer', { inputs: [0] }, { silent: true, getBody: false });
    expect(missing).toMatchObject({ status: 404, status_code: 404, body: { code: 'GS_MODEL_NOT_FOUND' } });
    // without getBody: false, silent keeps resolving to the error body alone
    expect(await server.test('/v2/models/two/infer', { inputs: [0] }, { silent: true })).toMatchObject({
      code: 'GS_MODEL_NOT_FOUND',
    });
  });
});
