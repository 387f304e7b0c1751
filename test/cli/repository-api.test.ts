/**
 * The model repository API over real HTTP (port 0) in explicit mode, with real ONNX Runtime: index,
 * load (with a settings override), unload, Triton's config and statistics, and bad input answered 4xx
 * while the server stays up.
 */
import { IRIS_FILE, IRIS_INPUT, makeRepo, serveRepo, type Served } from './repository-support';

let served: Served;

beforeAll(async () => {
  const dir = makeRepo({
    'iris/model.onnx': IRIS_FILE,
    'iris/model-settings.json': JSON.stringify({ batching: { maxBatchSize: 8, maxQueueDelayMicros: 100 } }),
    'corrupt/model.onnx': Buffer.from('not an onnx model'),
    'other/model.onnx': IRIS_FILE,
    'zz-folder/model.onnx': IRIS_FILE,
    'zz-folder/model-settings.json': '{"name": "fancy"}',
  });
  served = await serveRepo({ modelRepository: dir, modelControlMode: 'explicit', loadModels: ['other'] });
});
afterAll(() => served.close());

describe('the repository API in explicit mode', () => {
  it('loads only --load-model at start and is ready with it', async () => {
    expect(served.lines).toEqual([
      'model other: ready (OnnxModelServer, inputs input FP32[-1,4])',
      expect.stringMatching(/^1 of 1 model\(s\) ready from /),
    ]);
    expect((await served.call('GET', '/v2/health/ready')).status).toBe(200);
    // Never loaded: the registry does not know it (only the index reads the folders), so the router's 404.
    expect(await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).toEqual({
      status: 404,
      body: { error: 'model iris does not exist, available models: other', code: 'GS_MODEL_NOT_FOUND' },
    });
  });

  it("lists Triton's repository, configuration and statistics extensions in server metadata", async () => {
    const meta = await served.call('GET', '/v2');
    expect(meta.body.extensions).toEqual([
      'binary_tensor_data',
      'classification',
      'model_repository',
      'model_configuration',
      'statistics',
    ]);
  });

  it('indexes every folder, loaded or not, and only READY ones with {"ready": true}', async () => {
    const all = await served.call('POST', '/v2/repository/index');
    expect(all).toEqual({
      status: 200,
      body: [
        { name: 'other', version: '', state: 'READY', reason: '' },
        { name: 'corrupt', version: '', state: 'UNAVAILABLE', reason: 'not loaded' },
        { name: 'iris', version: '', state: 'UNAVAILABLE', reason: 'not loaded' },
        { name: 'zz-folder', version: '', state: 'UNAVAILABLE', reason: 'not loaded' },
      ],
    });
    const ready = await served.call('POST', '/v2/repository/index', { ready: true });
    expect(ready.body).toEqual([{ name: 'other', version: '', state: 'READY', reason: '' }]);
  });

  it('loads a model on request, then serves it', async () => {
    expect(await served.call('POST', '/v2/repository/models/iris/load')).toEqual({ status: 200, body: {} });
    const res = await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT);
    expect(res.status).toBe(200);
    expect(res.body.outputs.length).toBeGreaterThan(0);
    const index = await served.call('POST', '/v2/repository/index', { ready: true });
    expect(index.body.map((e: { name: string }) => e.name)).toEqual(['iris', 'other']);
  });

  it("loads a model by its settings' name, indexed under that name instead of its folder's", async () => {
    expect(await served.call('POST', '/v2/repository/models/fancy/load')).toEqual({ status: 200, body: {} });
    expect((await served.call('POST', '/v2/models/fancy/infer', IRIS_INPUT)).status).toBe(200);
    const names = (await served.call('POST', '/v2/repository/index')).body.map((e: { name: string }) => e.name);
    expect(names).toContain('fancy');
    expect(names).not.toContain('zz-folder');
    expect(await served.call('POST', '/v2/repository/models/fancy/unload')).toEqual({ status: 200, body: {} });
  });

  it("answers Triton's model configuration of the effective settings", async () => {
    const res = await served.call('GET', '/v2/models/iris/config');
    expect(res).toEqual({
      status: 200,
      body: {
        name: 'iris',
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        version_policy: { latest: { num_versions: 1 } },
        max_batch_size: 8,
        input: [{ name: 'input', data_type: 'TYPE_FP32', dims: [4] }],
        output: expect.arrayContaining([expect.objectContaining({ data_type: expect.stringMatching(/^TYPE_/) })]),
        dynamic_batching: {
          max_queue_delay_microseconds: 100,
          preferred_batch_size: [],
          default_queue_policy: { max_queue_size: 4096 },
        },
        instance_group: [{ name: 'iris', kind: 'KIND_CPU', count: 1 }],
      },
    });
  });

  it("answers Triton's statistics from the engine and the server's counters", async () => {
    for (let i = 0; i < 3; i++)
      expect((await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).status).toBe(200);
    const bad = await served.call('POST', '/v2/models/iris/infer', {
      inputs: [{ name: 'nope', datatype: 'FP32', shape: [1], data: [1] }],
    });
    expect(bad.status).toBe(400);
    const one = await served.call('GET', '/v2/models/iris/stats');
    expect(one.status).toBe(200);
    const [stats] = one.body.model_stats;
    expect(stats).toMatchObject({ name: 'iris', version: '', inference_count: 4 });
    expect(stats.last_inference).toBeGreaterThan(Date.now() - 600_000);
    expect(stats.execution_count).toBeGreaterThanOrEqual(1);
    expect(stats.inference_stats.success.count).toBe(4);
    expect(stats.inference_stats.success.ns).toBeGreaterThan(0);
    expect(stats.inference_stats.fail.count).toBe(1);
    expect(stats.inference_stats.queue.count).toBe(4);
    expect(stats.inference_stats.compute_infer.ns).toBeGreaterThan(0);
    for (const key of ['compute_input', 'compute_output']) {
      expect(stats.inference_stats[key]).toEqual({ count: expect.any(Number), ns: expect.any(Number) });
    }
    const all = await served.call('GET', '/v2/models/stats');
    expect(all.body.model_stats.map((s: { name: string }) => s.name).sort()).toEqual(['iris', 'other']);
  });

  it("reloads with a settings override (Triton's parameters.config)", async () => {
    const config = JSON.stringify({ batching: false });
    const res = await served.call('POST', '/v2/repository/models/iris/load', { parameters: { config } });
    expect(res).toEqual({ status: 200, body: {} });
    const after = await served.call('GET', '/v2/models/iris/config');
    expect(after.body.max_batch_size).toBe(0);
    expect(after.body.input).toEqual([{ name: 'input', data_type: 'TYPE_FP32', dims: [-1, 4] }]);
    expect(after.body.dynamic_batching).toBeUndefined();
    expect((await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).status).toBe(200);
  });

  it("reloads with Triton's model configuration as the config: what GET config answers loads back as it was", async () => {
    const triton = JSON.stringify({ max_batch_size: 4, dynamic_batching: { max_queue_delay_microseconds: 50 } });
    expect(await served.call('POST', '/v2/repository/models/iris/load', { parameters: { config: triton } })).toEqual({
      status: 200,
      body: {},
    });
    const config = (await served.call('GET', '/v2/models/iris/config')).body;
    expect(config).toMatchObject({ max_batch_size: 4, dynamic_batching: { max_queue_delay_microseconds: 50 } });
    const again = await served.call('POST', '/v2/repository/models/iris/load', {
      parameters: { config: JSON.stringify(config) },
    });
    expect(again).toEqual({ status: 200, body: {} });
    expect((await served.call('GET', '/v2/models/iris/config')).body).toEqual(config);
    expect((await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).status).toBe(200);
    const wrong = await served.call('POST', '/v2/repository/models/iris/load', {
      parameters: { config: JSON.stringify({ max_batch_size: 4, backend: 'pytorch' }) },
    });
    expect(wrong).toMatchObject({ status: 400, body: { code: 'GS_INVALID_OPTION' } });
    expect(wrong.body.error).toMatch(/backend "pytorch" is not served/);
  });

  it('unloads a model: it is no longer served and the index says so', async () => {
    expect(await served.call('POST', '/v2/repository/models/iris/unload')).toEqual({ status: 200, body: {} });
    expect(await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).toEqual({
      status: 404,
      body: { error: 'model iris is not loaded (unloaded)', code: 'GS_MODEL_NOT_FOUND' },
    });
    expect((await served.call('GET', '/v2/models/iris/ready')).status).toBe(404);
    const index = await served.call('POST', '/v2/repository/index');
    expect(index.body).toContainEqual({ name: 'iris', version: '', state: 'UNAVAILABLE', reason: 'unloaded' });
  });
});

describe('bad repository requests answer 4xx and the server stays up', () => {
  it('rejects a model whose folder does not exist with 404 listing the folders', async () => {
    const res = await served.call('POST', '/v2/repository/models/nope/load');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: 'the model repository has no model nope; its folders: corrupt | iris | other | zz-folder',
      code: 'GS_MODEL_NOT_FOUND',
    });
    expect((await served.call('POST', '/v2/repository/models/nope/unload')).status).toBe(404);
  });

  it('rejects a malformed override: not JSON, unknown keys, not a string', async () => {
    const notJson = await served.call('POST', '/v2/repository/models/iris/load', {
      parameters: { config: '{"batching": ' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('GS_BAD_REQUEST');
    const unknown = await served.call('POST', '/v2/repository/models/iris/load', {
      parameters: { config: '{"colour": "red"}' },
    });
    expect(unknown).toMatchObject({ status: 400, body: { code: 'GS_INVALID_OPTION' } });
    expect(unknown.body.error).toMatch(/unknown keys colour/);
    const notString = await served.call('POST', '/v2/repository/models/iris/load', { parameters: { config: {} } });
    expect(notString).toMatchObject({ status: 400, body: { code: 'GS_BAD_REQUEST' } });
    expect((await served.call('POST', '/v2/repository/index', { ready: 'yes' })).status).toBe(400);
    expect((await served.call('POST', '/v2/repository/index', '[1]')).status).toBe(400);
  });

  it('answers 400 for a model that fails to load, without a path, and keeps the others serving', async () => {
    const res = await served.call('POST', '/v2/repository/models/corrupt/load');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('GS_REPOSITORY');
    expect(res.body.error).toMatch(/^failed to load model corrupt: /);
    expect(res.body.error).not.toMatch(/\/tmp\//);
    const index = await served.call('POST', '/v2/repository/index');
    const entry = index.body.find((e: { name: string }) => e.name === 'corrupt');
    expect(entry).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/^cannot load 'model.onnx': /) });
    expect(entry.reason).not.toMatch(/\/tmp\//);
    const infer = await served.call('POST', '/v2/models/corrupt/infer', IRIS_INPUT);
    expect(infer).toEqual({
      status: 404,
      body: { error: `model corrupt is not loaded (${entry.reason})`, code: 'GS_MODEL_NOT_FOUND' },
    });
    expect((await served.call('POST', '/v2/models/other/infer', IRIS_INPUT)).status).toBe(200);
    expect((await served.call('GET', '/v2/health/ready')).status).toBe(200);
  });

  it('answers 405 for a GET on a repository path and 404 for an unknown one', async () => {
    const get = await served.call('GET', '/v2/repository/index');
    expect(get).toMatchObject({ status: 405, body: { code: 'GS_METHOD_NOT_ALLOWED' } });
    expect((await served.call('POST', '/v2/repository/models/other/explode')).status).toBe(404);
    expect((await served.call('GET', '/v2/models/nope/config')).status).toBe(404);
  });
});
