/**
 * Folder layouts over real HTTP with real ONNX Runtime: Triton's version folders with a version policy
 * (latest N, all, specific; the latest answers by default; version errors list the versions that
 * exist), KServe's single model at the repository's root named by --model-name, and the layout
 * ModelMesh's Triton adapter writes (a version folder whose model.onnx is a link, config.pbtxt beside).
 */
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IRIS_FILE,
  IRIS_INPUT,
  makeRepo,
  serveRepo,
  writeFiles,
  type RepoFiles,
  type Served,
} from './repository-support';

function triton(policy?: unknown): string {
  const settings = policy === undefined ? {} : { versionPolicy: policy };
  return makeRepo({
    'tri/1/model.onnx': IRIS_FILE,
    'tri/2/model.onnx': IRIS_FILE,
    'tri/3/model.onnx': IRIS_FILE,
    'tri/config.pbtxt': 'platform: "onnxruntime_onnx"\n',
    'tri/model-settings.json': JSON.stringify(settings),
  });
}

describe("Triton's config.pbtxt, in a folder without model-settings.json", () => {
  const PBTXT = `
    name: "ignored-name"
    backend: "onnxruntime"
    max_batch_size: 4
    input [ { name: "input" data_type: TYPE_FP32 dims: [ 4 ] } ]
    dynamic_batching { max_queue_delay_microseconds: 100 preferred_batch_size: [ 2 ] }
    instance_group [ { count: 2 kind: KIND_CPU } ]
    version_policy: { all { } }
    parameters { key: "intra_op_thread_count" value: { string_value: "1" } }
    optimization { graph { level: 1 } }
  `;

  it("applies Triton's configuration, leaves out what graphserve does not take with a warning", async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    let served: Served | undefined;
    try {
      served = await serveRepo({
        modelRepository: makeRepo({
          'tri/1/model.onnx': IRIS_FILE,
          'tri/2/model.onnx': IRIS_FILE,
          'tri/config.pbtxt': PBTXT,
          'plain/1/model.onnx': IRIS_FILE,
          'plain/config.pbtxt': 'backend: "onnxruntime"\n', // what ModelMesh's adapter writes: the defaults stay
        }),
      });
      const warnings = emitWarning.mock.calls.filter(
        ([, o]) => (o as { code?: string })?.code === 'GRAPHSERVE_TRITON_CONFIG',
      );
      expect(warnings.map(([message]) => message)).toEqual([
        expect.stringMatching(/config\.pbtxt: fields graphserve does not take, left out: optimization$/),
      ]);
      expect(served.lines.filter((l) => l.startsWith('model tri'))).toHaveLength(2); // version_policy all
      const config = (await served.call('GET', '/v2/models/tri/config')).body;
      expect(config).toMatchObject({
        name: 'tri',
        max_batch_size: 4,
        dynamic_batching: { max_queue_delay_microseconds: 100, preferred_batch_size: [2] },
        instance_group: [{ kind: 'KIND_CPU', count: 2 }],
        version_policy: { all: {} },
      });
      expect((await served.call('POST', '/v2/models/tri/infer', IRIS_INPUT)).status).toBe(200);
      expect((await served.call('GET', '/v2/models/plain/config')).body).toMatchObject({ max_batch_size: 32 });
    } finally {
      emitWarning.mockRestore();
      await served?.close();
    }
  });

  it('fails the model (and only it) for a backend graphserve cannot serve or a malformed file', async () => {
    const served = await serveRepo({
      modelRepository: makeRepo({
        'py/1/model.onnx': IRIS_FILE,
        'py/config.pbtxt': 'backend: "python"\n',
        'broken/1/model.onnx': IRIS_FILE,
        'broken/config.pbtxt': 'max_batch_size 4\n',
        'good/1/model.onnx': IRIS_FILE,
      }),
    });
    try {
      const py = await served.call('POST', '/v2/models/py/infer', IRIS_INPUT);
      expect(py.status).toBe(503);
      expect(py.body.error).toMatch(
        /config\.pbtxt \(Triton's model configuration\) has mistakes: backend "python" is not served/,
      );
      const broken = await served.call('POST', '/v2/models/broken/infer', IRIS_INPUT);
      expect(broken.body.error).toMatch(/config\.pbtxt is not valid protobuf text format \(line 1, column 16\)/);
      expect(broken.body.error).not.toContain(tmpdir());
      expect((await served.call('POST', '/v2/models/good/infer', IRIS_INPUT)).status).toBe(200);
    } finally {
      await served.close();
    }
  });
});

describe("Triton's layout", () => {
  it('serves every version with policy all, the latest by default, and lists them in errors', async () => {
    const served = await serveRepo({ modelRepository: triton({ all: {} }) });
    try {
      expect(served.lines).toEqual([
        'model tri (version 3): ready (OnnxModelServer, inputs input FP32[-1,4])',
        'model tri (version 2): ready (OnnxModelServer, inputs input FP32[-1,4])',
        'model tri (version 1): ready (OnnxModelServer, inputs input FP32[-1,4])',
        expect.stringMatching(/^3 of 3 model\(s\) ready/),
      ]);
      for (const v of ['1', '2', '3']) {
        const res = await served.call('POST', `/v2/models/tri/versions/${v}/infer`, IRIS_INPUT);
        expect([v, res.status, res.body.model_version]).toEqual([v, 200, v]);
      }
      expect((await served.call('POST', '/v2/models/tri/infer', IRIS_INPUT)).body.model_version).toBe('3');
      expect((await served.call('GET', '/v2/models')).body).toEqual({ models: ['tri'] });
      const missing = await served.call('POST', '/v2/models/tri/versions/7/infer', IRIS_INPUT);
      expect(missing).toEqual({
        status: 404,
        body: { error: 'model tri has no version 7, available versions: 3 | 2 | 1', code: 'GS_MODEL_NOT_FOUND' },
      });
      const config = await served.call('GET', '/v2/models/tri/versions/2/config');
      expect(config.body).toMatchObject({ name: 'tri', version_policy: { all: {} }, max_batch_size: 32 });
      const stats = await served.call('GET', '/v2/models/tri/versions/1/stats');
      expect(stats.body.model_stats).toEqual([
        expect.objectContaining({ name: 'tri', version: '1', inference_count: 1 }),
      ]);
      const index = await served.call('POST', '/v2/repository/index');
      expect(index.body.map((e: { version: string }) => e.version)).toEqual(['3', '2', '1']);
      // The newest version is routed by name and as tri:3: metrics count it once.
      const metrics = await (await fetch(`${served.http.url}/metrics`)).text();
      expect(metrics).toMatch(/^graphserve_models_loaded 3$/m);
      expect(metrics).toMatch(/^graphserve_model_ready\{model="tri"\} 1$/m);
      expect(metrics).not.toMatch(/model_ready\{model="tri:3"\}/);
    } finally {
      await served.close();
    }
  });

  it('reports each served version of a model --load-model loads in explicit mode', async () => {
    const served = await serveRepo({
      modelRepository: triton({ latest: { num_versions: 2 } }),
      modelControlMode: 'explicit',
      loadModels: ['tri'],
    });
    try {
      expect(served.lines).toEqual([
        'model tri (version 3): ready (OnnxModelServer, inputs input FP32[-1,4])',
        'model tri (version 2): ready (OnnxModelServer, inputs input FP32[-1,4])',
        expect.stringMatching(/^1 of 1 model\(s\) ready/),
      ]);
    } finally {
      await served.close();
    }
  });

  it('serves the latest N, and names the versions the policy leaves out', async () => {
    const served = await serveRepo({ modelRepository: triton({ latest: { num_versions: 2 } }) });
    try {
      expect((await served.call('POST', '/v2/models/tri/versions/2/infer', IRIS_INPUT)).status).toBe(200);
      const old = await served.call('POST', '/v2/models/tri/versions/1/infer', IRIS_INPUT);
      expect(old.status).toBe(404);
      expect(old.body.error).toBe(
        'model tri has no version 1, available versions: 3 | 2 (not served by its version policy: 1)',
      );
    } finally {
      await served.close();
    }
  });

  it('serves only the latest without a policy, and specific versions with one', async () => {
    const latest = await serveRepo({ modelRepository: triton() });
    try {
      expect(latest.lines.filter((l) => l.startsWith('model '))).toEqual([
        'model tri (version 3): ready (OnnxModelServer, inputs input FP32[-1,4])',
      ]);
    } finally {
      await latest.close();
    }
    const specific = await serveRepo({ modelRepository: triton({ specific: { versions: [1, 3] } }) });
    try {
      expect((await specific.call('POST', '/v2/models/tri/versions/1/infer', IRIS_INPUT)).status).toBe(200);
      expect((await specific.call('POST', '/v2/models/tri/versions/2/infer', IRIS_INPUT)).status).toBe(404);
      expect((await specific.call('POST', '/v2/models/tri/infer', IRIS_INPUT)).body.model_version).toBe('3');
    } finally {
      await specific.close();
    }
  });

  it('fails a policy that names a version that does not exist, listing those that do', async () => {
    const served = await serveRepo({ modelRepository: triton({ specific: { versions: [4] } }) });
    try {
      expect(served.lines[0]).toBe(
        'model tri: FAILED: model tri: versionPolicy names version(s) 4 that do not exist; available versions: 1 | 2 | 3',
      );
      expect((await served.call('POST', '/v2/models/tri/infer', IRIS_INPUT)).status).toBe(503);
    } finally {
      await served.close();
    }
  });
});

/** A new folder holding `files` at its root, as KServe's storage initializer leaves a model. */
function kserveRoot(files: RepoFiles): string {
  return writeFiles(mkdtempSync(join(tmpdir(), 'gs-kserve-')), files);
}

describe("KServe's storage-initializer layout", () => {
  it('serves model.onnx at the repository root under --model-name', async () => {
    const root = kserveRoot({ 'model.onnx': IRIS_FILE });
    const served = await serveRepo({ modelRepository: root, modelName: 'flowers' });
    try {
      expect(served.lines[0]).toBe('model flowers: ready (OnnxModelServer, inputs input FP32[-1,4])');
      expect((await served.call('GET', '/v2/models')).body).toEqual({ models: ['flowers'] });
      const res = await served.call('POST', '/v2/models/flowers/infer', IRIS_INPUT);
      expect(res).toMatchObject({ status: 200, body: { model_name: 'flowers' } });
      expect((await served.call('GET', '/v2/health/ready')).status).toBe(200);
    } finally {
      await served.close();
    }
  });
});

describe('the name a model is served under', () => {
  it('is --model-name at the root, whatever its settings say, also on reload', async () => {
    const root = kserveRoot({ 'model.onnx': IRIS_FILE, 'model-settings.json': '{"name": "other", "batching": false}' });
    const served = await serveRepo({ modelRepository: root, modelName: 'flowers', modelControlMode: 'poll' });
    try {
      expect((await served.call('GET', '/v2/models')).body).toEqual({ models: ['flowers'] });
      expect(await served.call('POST', '/v2/repository/models/flowers/load')).toEqual({ status: 200, body: {} });
      expect((await served.call('GET', '/v2/models')).body).toEqual({ models: ['flowers'] });
      expect((await served.call('GET', '/v2/models/flowers/config')).body.max_batch_size).toBe(0);
    } finally {
      await served.close();
    }
  });

  it("is the name a load asks for, even when the folder's settings name another", async () => {
    const dir = makeRepo({ 'iris/model.onnx': IRIS_FILE, 'iris/model-settings.json': '{"name": "setosa"}' });
    const served = await serveRepo({ modelRepository: dir, modelControlMode: 'explicit' });
    try {
      expect(await served.call('POST', '/v2/repository/models/iris/load')).toEqual({ status: 200, body: {} });
      expect((await served.call('GET', '/v2/models')).body).toEqual({ models: ['iris'] });
      expect((await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).body.model_name).toBe('iris');
    } finally {
      await served.close();
    }
  });
});

describe("the layout ModelMesh's Triton adapter writes", () => {
  it('loads <id>/1/model.onnx linked to the pulled model folder, with config.pbtxt beside it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gs-mm-'));
    // The puller's copy of the model (a folder with the model file), then the adapter's link to it.
    writeFiles(root, { 'pulled/mnist__isvc-1/model.onnx': IRIS_FILE, 'pulled/mnist__isvc-1/extra.bin': 'x' });
    const repo = join(root, '_triton_models');
    mkdirSync(join(repo, 'mnist__isvc-1', '1'), { recursive: true });
    symlinkSync(join(root, 'pulled', 'mnist__isvc-1'), join(repo, 'mnist__isvc-1', '1', 'model.onnx'));
    writeFiles(repo, { 'mnist__isvc-1/config.pbtxt': 'backend: "onnxruntime"\n' });
    const served = await serveRepo({ modelRepository: repo, modelControlMode: 'explicit' });
    try {
      expect((await served.call('GET', '/v2/health/ready')).status).toBe(200);
      expect(await served.call('POST', '/v2/repository/models/mnist__isvc-1/load')).toEqual({ status: 200, body: {} });
      const res = await served.call('POST', '/v2/models/mnist__isvc-1/infer', IRIS_INPUT);
      expect(res).toMatchObject({ status: 200, body: { model_name: 'mnist__isvc-1', model_version: '1' } });
      const ready = await served.call('POST', '/v2/repository/index', { ready: true });
      expect(ready.body).toEqual([{ name: 'mnist__isvc-1', version: '1', state: 'READY', reason: '' }]);
      expect(await served.call('POST', '/v2/repository/models/mnist__isvc-1/unload')).toEqual({
        status: 200,
        body: {},
      });
    } finally {
      await served.close();
    }
  });
});
