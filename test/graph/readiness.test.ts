/**
 * Router readiness: `/v2/health/ready` follows `strictReadiness` (every model ready, or at least one),
 * a router without models is never ready, the 503 lists every model that is not ready with a short
 * reason, and a FailedModel route answers 503 on every path while staying listed.
 */
import { MockServerError, V2ModelServer, newFunction, silentLogger, type MockServer, type StepSpec } from '../../src';
import { FailedModel } from '../../src/model/failed-model';

class Echo extends V2ModelServer {
  override load(): void {}

  override predict(request: { inputs: unknown[] }): unknown {
    return request.inputs;
  }
}

async function router(routes: Record<string, StepSpec>, topology: StepSpec = {}): Promise<MockServer> {
  const fn = newFunction('readiness');
  fn.setTopology('router', topology);
  for (const [key, spec] of Object.entries(routes)) fn.addModel(key, spec);
  return fn.toMockServer({ logger: silentLogger });
}

/** The status and body of an answer, error or not. */
async function answer(server: MockServer, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  try {
    return { status: 200, body: await server.test(path, body) };
  } catch (err) {
    if (!(err instanceof MockServerError)) throw err;
    return { status: err.status, body: err.body };
  }
}

const failed = (error: string): StepSpec => ({ className: FailedModel, error });

describe('router readiness', () => {
  it('is not ready without any model, strict or not', async () => {
    for (const strictReadiness of [true, false]) {
      const server = await router({}, { strictReadiness });
      expect(await answer(server, '/v2/health/ready')).toEqual({
        status: 503,
        body: { error: 'no models are loaded', code: 'GS_NOT_READY' },
      });
    }
  });

  it('strict (the default): is not ready while one model is not, and lists every such model with its reason', async () => {
    const server = await router({
      a: failed('no model.onnx in /repo/a'),
      good: { className: Echo },
      z: failed('malformed JSON in model-settings.json'),
    });
    expect(await answer(server, '/v2/health/ready')).toEqual({
      status: 503,
      body: {
        error: 'models not ready: a (no model.onnx in /repo/a) | z (malformed JSON in model-settings.json)',
        code: 'GS_NOT_READY',
      },
    });
    expect(server.graphServer.isReady()).toBe(false);
  });

  it('strict: is ready when every model is', async () => {
    const server = await router({ a: { className: Echo }, b: { className: Echo } }, { strictReadiness: true });
    expect(await answer(server, '/v2/health/ready')).toEqual({ status: 200, body: { ready: true } });
  });

  it('not strict: is ready when at least one model is, and not when none is', async () => {
    const some = await router({ bad: failed('broken'), good: { className: Echo } }, { strictReadiness: false });
    expect(await answer(some, '/v2/health/ready')).toEqual({ status: 200, body: { ready: true } });
    const none = await router({ x: failed('broken x'), y: failed('broken y') }, { strictReadiness: false });
    expect(await answer(none, '/v2/health/ready')).toEqual({
      status: 503,
      body: { error: 'no model is ready: x (broken x) | y (broken y)', code: 'GS_NOT_READY' },
    });
  });

  it('quotes only the first line of a reason, cut short', async () => {
    const long = `${'x'.repeat(300)}\nsecond line`;
    const server = await router({ m: failed(long), good: { className: Echo } });
    const { body } = await answer(server, '/v2/health/ready');
    const message = (body as { error: string }).error;
    expect(message).toBe(`models not ready: m (${'x'.repeat(119)}…)`);
  });

  it('names a model that is still loading', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class Slow extends Echo {
      override async load(): Promise<void> {
        await gate;
      }
    }
    const server = await router({ slow: { className: Slow, loadMode: 'async' }, good: { className: Echo } });
    expect((await answer(server, '/v2/health/ready')).body).toEqual({
      error: 'models not ready: slow (not ready yet)',
      code: 'GS_NOT_READY',
    });
    release();
    await server.waitForCompletion();
    expect((await answer(server, '/v2/health/ready')).status).toBe(200);
  });
});

describe('a FailedModel route', () => {
  const reason = 'no model.onnx in /repo/broken';
  const expected = { error: `model broken is not available: ${reason}`, code: 'GS_NOT_READY' };

  it('answers 503 with its reason on infer, metadata and ready, never 404', async () => {
    const server = await router({ broken: failed(reason), good: { className: Echo } });
    expect(await answer(server, '/v2/models/broken/infer', { inputs: [1] })).toEqual({ status: 503, body: expected });
    expect(await answer(server, '/v2/models/broken')).toEqual({ status: 503, body: expected });
    expect(await answer(server, '/v2/models/broken/ready')).toEqual({ status: 503, body: expected });
    expect((await answer(server, '/v2/models/good/infer', { inputs: [1] })).status).toBe(200);
  });

  it('answers 503 under its version too', async () => {
    const server = await router({ broken: { className: FailedModel, name: 'broken:3', error: reason } });
    expect(await answer(server, '/v2/models/broken/versions/3/infer', { inputs: [1] })).toEqual({
      status: 503,
      body: expected,
    });
  });

  it('stays in the model list', async () => {
    const server = await router({ broken: failed(reason), good: { className: Echo } });
    expect(await server.test('/v2/models')).toEqual({ models: ['broken', 'good'] });
  });

  it('keeps an Error given as its reason', () => {
    const error = new RangeError('bad settings');
    const model = new FailedModel({ name: 'm:2', error });
    expect([model.name, model.version, model.error, model.isReady()]).toEqual(['m', '2', error, false]);
  });
});
