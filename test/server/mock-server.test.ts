import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BadRequestError,
  MockServerError,
  ModelLoadError,
  V2ModelServer,
  newFunction,
  silentLogger,
  type Event,
  type ModelRequest,
} from '../../src';

/** package.json's version, read here as a client would see it. */
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

class Multiplier extends V2ModelServer {
  override load(): void {
    this.model = { multiplier: this.getParam('multiplier', 1) };
  }

  override predict(request: ModelRequest<number>): unknown {
    if (request.inputs[0] === -1) throw new Error('simulated error..');
    return request.inputs[0]! * (this.model as { multiplier: number }).multiplier;
  }

  override explain(request: ModelRequest<number>): unknown {
    return { explained: request.inputs[0] };
  }

  op_myop(event: Event): unknown {
    return event.body;
  }
}

class Picky extends Multiplier {
  override validate(request: ModelRequest): ModelRequest {
    if (request.inputs.length !== 1) throw new Error('exactly one input, please');
    return request;
  }
}

async function threeModels() {
  const fn = newFunction('tests');
  fn.setTopology('router');
  fn.addModel('m1', { className: Multiplier, multiplier: 100 });
  fn.addModel('m2', { className: 'Multiplier', multiplier: 200 });
  fn.addModel('m3:v1', { className: Multiplier, multiplier: 300 });
  fn.addModel('m3:v2', { className: Multiplier, multiplier: 400 });
  fn.addModel('picky', { className: Picky });
  return fn.toMockServer({ namespace: { Multiplier }, logger: silentLogger });
}

async function failure(promise: Promise<unknown>): Promise<MockServerError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof MockServerError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('mock server: routing', () => {
  it('answers infer by path with the MLRun envelope', async () => {
    const server = await threeModels();
    const res = (await server.test('/v2/models/m1/infer', { inputs: [5] }, { eventId: 'abc' })) as Record<
      string,
      unknown
    >;
    expect(Object.keys(res)).toEqual(['id', 'model_name', 'outputs', 'timestamp']);
    expect(res).toMatchObject({ id: 'abc', model_name: 'm1', outputs: 500 });
    expect(res.timestamp).toMatch(TIMESTAMP);
  });

  it('uses the body id, else a 32-hex event id', async () => {
    const server = await threeModels();
    const withId = (await server.test('/v2/models/m1/infer', { id: 'req-1', inputs: [1] })) as { id: string };
    expect(withId.id).toBe('req-1');
    const generated = (await server.test('/v2/models/m1/infer', { inputs: [1] })) as { id: string };
    expect(generated.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes the event id from the MLRUN-EVENT-ID header', async () => {
    const server = await threeModels();
    const res = (await server.test(
      '/v2/models/m1/infer',
      { inputs: [1] },
      { headers: { 'MLRUN-EVENT-ID': 'h1' } },
    )) as {
      id: string;
    };
    expect(res.id).toBe('h1');
  });

  it('routes by version and reports model_version', async () => {
    const server = await threeModels();
    const res = (await server.test('/v2/models/m3/versions/v2/infer', { inputs: [1] })) as Record<string, unknown>;
    expect(Object.keys(res)).toEqual(['id', 'model_name', 'outputs', 'timestamp', 'model_version']);
    expect(res).toMatchObject({ model_name: 'm3', model_version: 'v2', outputs: 400 });
  });

  it('runs infer when the model path has no operation', async () => {
    const server = await threeModels();
    expect(await server.test('/v2/models/m2', { inputs: [2] })).toMatchObject({ outputs: 400 });
  });

  it('lists the models on GET and POST to the prefix', async () => {
    const server = await threeModels();
    const models = { models: ['m1', 'm2', 'm3:v1', 'm3:v2', 'picky'] };
    expect(await server.test('/v2/models/')).toEqual(models);
    expect(await server.test('/v2/models', { inputs: [1] })).toEqual(models);
  });

  it('answers server metadata and liveness', async () => {
    const server = await threeModels();
    // OIP server metadata: the server's own name and version (MLRun answered the router class and 'v2').
    const meta = { name: 'graphserve', version: PACKAGE_VERSION, extensions: ['binary_tensor_data', 'classification'] };
    expect(await server.test('/v2')).toEqual(meta);
    expect(await server.test('/')).toEqual(meta);
    expect(await server.test('/v2/health/live')).toEqual({ live: true });
    expect(await server.test('/v2/health/ready')).toEqual({ ready: true });
    expect(await server.test('/v2/health')).toEqual(meta); // MLRun answers metadata under the health prefix
  });

  it('answers 404 for a path that only starts like the health prefix', async () => {
    const server = await threeModels();
    const error = await failure(server.test('/v2/healthz'));
    expect(error.status).toBe(404);
    expect(error.body).toMatchObject({ code: 'GS_NOT_FOUND' });
  });

  it('answers model metadata and readiness', async () => {
    const server = await threeModels();
    expect(await server.test('/v2/models/m3/versions/v1')).toEqual({
      name: 'm3',
      version: 'v1',
      inputs: [],
      outputs: [],
    });
    expect(await server.test('/v2/models/m1/ready')).toEqual({ name: 'm1', ready: true });
  });

  it('routes stream events by the body model and operation', async () => {
    const server = await threeModels();
    expect(await server.test('/', { model: 'm2', inputs: [1] })).toMatchObject({ model_name: 'm2', outputs: 200 });
    expect(await server.test('/', { inputs: [1] })).toMatchObject({ model_name: 'm1', outputs: 100 });
    const explained = (await server.test('/', { model: 'm2', operation: 'explain', inputs: [3] })) as object;
    expect(explained).toEqual(expect.objectContaining({ model_name: 'm2', outputs: { explained: 3 } }));
  });

  it('answers explain without a timestamp', async () => {
    const server = await threeModels();
    const res = (await server.test('/v2/models/m1/explain', { inputs: [7] })) as Record<string, unknown>;
    expect(Object.keys(res)).toEqual(['id', 'model_name', 'outputs']);
    expect(res.outputs).toEqual({ explained: 7 });
  });

  it('runs a custom operation with the whole event', async () => {
    const server = await threeModels();
    expect(await server.test('/v2/models/m1/myop', { test: 'ok' })).toEqual({ test: 'ok' });
  });

  it('decodes a JSON text body', async () => {
    const server = await threeModels();
    const res = await server.test('/v2/models/m1/infer', JSON.stringify({ inputs: [3] }), {
      contentType: 'application/json',
    });
    expect(res).toMatchObject({ outputs: 300 });
  });
});

describe('mock server: errors', () => {
  it('answers 404 listing the available models', async () => {
    const server = await threeModels();
    const err = await failure(server.test('/v2/models/m5/infer', { inputs: [1] }));
    expect(err.status).toBe(404);
    expect(err.body).toEqual({
      error: 'model m5 does not exist, available models: m1 | m2 | m3:v1 | m3:v2 | picky',
      code: 'GS_MODEL_NOT_FOUND',
    });
  });

  it('answers 404 for an unknown version and for a versioned model named without version', async () => {
    const server = await threeModels();
    const err = await failure(server.test('/v2/models/m3/versions/v9/infer', { inputs: [1] }));
    expect(err.status).toBe(404);
    expect((err.body as { error: string }).error).toContain('available versions: v1 | v2');
    expect((await failure(server.test('/v2/models/m3/infer', { inputs: [1] }))).status).toBe(404);
  });

  it('answers 404 for an unknown operation and a bad prefix', async () => {
    const server = await threeModels();
    const err = await failure(server.test('/v2/models/m1/xx', { inputs: [1] }));
    expect(err.status).toBe(404);
    expect((err.body as { error: string }).error).toBe('illegal model operation xx, method=POST');
    expect((await failure(server.test('/x/models/m1/infer', { inputs: [1] }))).status).toBe(404);
  });

  it('answers 405 for POST to ready', async () => {
    const server = await threeModels();
    expect((await failure(server.test('/v2/models/m1/ready', { inputs: [1] }))).status).toBe(405);
  });

  it('answers 500 with the message when predict throws', async () => {
    const server = await threeModels();
    const err = await failure(server.test('/v2/models/m1/infer', { inputs: [-1] }));
    expect(err.status).toBe(500);
    expect(err.body).toEqual({ error: 'simulated error..', code: 'GS_MODEL_ERROR' });
  });

  it('answers 400 when validate throws', async () => {
    const server = await threeModels();
    const err = await failure(server.test('/v2/models/picky/infer', { inputs: [1, 2] }));
    expect(err.status).toBe(400);
    expect(err.body).toEqual({ error: 'exactly one input, please', code: 'GS_BAD_REQUEST' });
  });

  it('rejects a request without inputs, and answers an infer GET with 405', async () => {
    const server = await threeModels();
    const missing = await failure(server.test('/v2/models/m1/infer', { data: [1] }));
    expect(missing.status).toBe(400);
    expect((missing.body as { error: string }).error).toBe('Expected key "inputs" in request body');
    const notList = await failure(server.test('/v2/models/m1/infer', { inputs: 5 }));
    expect((notList.body as { error: string }).error).toBe('Expected "inputs" to be a list');
    const get = await failure(server.test('/v2/models/m1/infer'));
    expect(get.status).toBe(405);
    expect(get.body).toEqual({
      error: 'operation infer of model m1 takes POST, not GET',
      code: 'GS_METHOD_NOT_ALLOWED',
    });
  });

  it('rejects malformed JSON text with 400', async () => {
    const server = await threeModels();
    const err = await failure(server.test('/v2/models/m1/infer', '{"inputs": [', { contentType: 'application/json' }));
    expect(err.status).toBe(400);
  });

  it('returns the error body instead of throwing when silent', async () => {
    const server = await threeModels();
    const body = await server.test('/v2/models/m5/infer', { inputs: [1] }, { silent: true });
    expect(body).toMatchObject({ code: 'GS_MODEL_NOT_FOUND' });
  });

  it('keeps the status of a GraphServeError thrown by predict', async () => {
    class Strict extends V2ModelServer {
      override load(): void {}
      override predict(): unknown {
        throw new BadRequestError('negative values are not allowed');
      }
    }
    const fn = newFunction('strict');
    fn.addModel('s', { className: Strict });
    const server = await fn.toMockServer({ logger: silentLogger });
    expect((await failure(server.test('/v2/models/s/infer', { inputs: [1] }))).status).toBe(400);
  });
});

describe('mock server: loading', () => {
  function deferred() {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  it('answers 503 until an async load finishes', async () => {
    const gate = deferred();
    class Slow extends Multiplier {
      override async load(): Promise<void> {
        await gate.promise;
        super.load();
      }
    }
    const fn = newFunction('slow');
    fn.addModel('slow', { className: Slow, loadMode: 'async', multiplier: 2 });
    const server = await fn.toMockServer({ logger: silentLogger });
    expect((await failure(server.test('/v2/models/slow/ready'))).status).toBe(503);
    expect((await failure(server.test('/v2/health/ready'))).status).toBe(503);
    const notReady = await failure(server.test('/v2/models/slow/infer', { inputs: [1] }));
    expect(notReady.body).toEqual({ error: 'model slow is not ready yet', code: 'GS_NOT_READY' });
    gate.resolve();
    await server.waitForCompletion();
    expect(await server.test('/v2/models/slow/ready')).toEqual({ name: 'slow', ready: true });
    expect(await server.test('/v2/health/ready')).toEqual({ ready: true });
    expect(await server.test('/v2/models/slow/infer', { inputs: [4] })).toMatchObject({ outputs: 8 });
  });

  it('stays not ready with the error when an async load fails', async () => {
    const gate = deferred();
    class Broken extends Multiplier {
      override async load(): Promise<void> {
        await gate.promise;
      }
    }
    const fn = newFunction('broken');
    fn.addModel('b', { className: Broken, loadMode: 'async' });
    const server = await fn.toMockServer({ logger: silentLogger });
    gate.reject(new Error('disk on fire'));
    await server.waitForCompletion();
    const err = await failure(server.test('/v2/models/b/infer', { inputs: [1] }));
    expect(err.status).toBe(503);
    expect((err.body as { error: string }).error).toBe('model b is not ready: disk on fire');
  });

  it('fails start-up when a sync load throws', async () => {
    class Broken extends V2ModelServer {
      override load(): void {
        throw new Error('no weights');
      }
    }
    const fn = newFunction('broken');
    fn.addModel('b', { className: Broken });
    await expect(fn.toMockServer({ logger: silentLogger })).rejects.toThrow(ModelLoadError);
    await expect(fn.toMockServer({ logger: silentLogger })).rejects.toThrow('failed to load model b: no weights');
  });

  it('rejects a model class without load() or model object', async () => {
    const fn = newFunction('bare');
    fn.addModel('bare', { className: V2ModelServer });
    await expect(fn.toMockServer({ logger: silentLogger })).rejects.toThrow('please specify a load method');
  });

  it('serves a model object given as a class argument without load()', async () => {
    class Given extends V2ModelServer {
      override predict(request: ModelRequest<number>): unknown {
        return (this.model as (x: number) => number)(request.inputs[0]!);
      }
    }
    const fn = newFunction('given');
    fn.addModel('g', { className: Given, model: (x: number) => x + 1 });
    const server = await fn.toMockServer();
    expect(await server.test('/v2/models/g/infer', { inputs: [1] })).toMatchObject({ outputs: 2 });
  });
});
