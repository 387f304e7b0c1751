/**
 * Loading a model from files in the load request (Triton's `file:<path>` parameters with `config`) over real
 * HTTP with real ONNX Runtime, in explicit mode: a model that is not in the repository at all, a reload of one
 * that is, the temporary folder removed after the load, and malformed overrides answered 400 with the server
 * and its models carrying on. Poll mode refuses file overrides.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { IRIS, IRIS_FILE, IRIS_INPUT, makeRepo, serveRepo, type Served } from './repository-support';

const IRIS_BASE64 = readFileSync(IRIS).toString('base64');

let served: Served;

beforeAll(async () => {
  const dir = makeRepo({ 'iris/model.onnx': IRIS_FILE });
  served = await serveRepo({ modelRepository: dir, modelControlMode: 'explicit', loadModels: ['iris'] });
});
afterAll(() => served.close());

/** Temporary load folders left behind (this file is the only one whose tests write them). */
const leftFolders = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('graphserve-load-'));

const load = (name: string, parameters: Record<string, unknown>) =>
  served.call('POST', `/v2/repository/models/${name}/load`, { parameters });

describe('a load request with file overrides', () => {
  it('loads a model that is not in the repository from its files, then serves and indexes it', async () => {
    const before = leftFolders();
    const res = await load('fromfiles', {
      config: '{"batching": {"maxBatchSize": 4}}',
      'file:1/model.onnx': IRIS_BASE64,
    });
    expect(res).toEqual({ status: 200, body: {} });
    expect(leftFolders()).toEqual(before);
    const infer = await served.call('POST', '/v2/models/fromfiles/infer', IRIS_INPUT);
    const reference = await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT);
    expect(infer.status).toBe(200);
    expect(infer.body.outputs).toEqual(reference.body.outputs);
    expect(infer.body.model_version).toBe('1');
    expect((await served.call('GET', '/v2/models/fromfiles/config')).body.max_batch_size).toBe(4);
    const index = await served.call('POST', '/v2/repository/index');
    expect(index.body).toContainEqual({ name: 'fromfiles', version: '1', state: 'READY', reason: '' });
  });

  it('reloads a repository model from the request instead of its folder', async () => {
    const res = await load('iris', { config: '{"batching": false}', 'file:model.onnx': IRIS_BASE64 });
    expect(res).toEqual({ status: 200, body: {} });
    expect((await served.call('GET', '/v2/models/iris/config')).body.max_batch_size).toBe(0);
    expect((await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).status).toBe(200);
    // A load without files reads the folder again.
    expect(await load('iris', {})).toEqual({ status: 200, body: {} });
    expect((await served.call('GET', '/v2/models/iris/config')).body.max_batch_size).toBe(32);
  });

  it('unloads a model loaded from files like any other', async () => {
    expect(await served.call('POST', '/v2/repository/models/fromfiles/unload')).toEqual({ status: 200, body: {} });
    expect((await served.call('POST', '/v2/models/fromfiles/infer', IRIS_INPUT)).status).toBe(404);
  });
});

describe('a malformed file override answers 400 and the server carries on', () => {
  it.each([
    ['without config', { 'file:model.onnx': IRIS_BASE64 }, /file overrides need parameters.config as well/],
    [
      'not base64',
      { config: '{}', 'file:model.onnx': 'not base64!' },
      /file:model.onnx must be the file's contents as base64/,
    ],
    ['not a string', { config: '{}', 'file:model.onnx': 7 }, /must be the file's contents as base64/],
    ['a parent path', { config: '{}', 'file:../model.onnx': IRIS_BASE64 }, /must name a relative path inside/],
    ['an absolute path', { config: '{}', 'file:/etc/model.onnx': IRIS_BASE64 }, /must name a relative path inside/],
    ['an empty path', { config: '{}', 'file:': IRIS_BASE64 }, /must name a relative path inside/],
  ])('%s', async (_what, parameters, message) => {
    const res = await load('bad', parameters);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.stringMatching(message), code: 'GS_BAD_REQUEST' });
  });

  it('a file that is no model: 400 GS_REPOSITORY naming no temporary path, and nothing left behind', async () => {
    const before = leftFolders();
    const res = await load('junk', { config: '{}', 'file:model.onnx': Buffer.from('not onnx').toString('base64') });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('GS_REPOSITORY');
    expect(res.body.error).toMatch(/^failed to load model junk: cannot load 'model.onnx'/);
    expect(res.body.error).not.toContain(tmpdir());
    expect(leftFolders()).toEqual(before);
  });

  it('files that cannot be written (a path both a file and a folder): 400 GS_REPOSITORY', async () => {
    const res = await load('clash', { config: '{}', 'file:model.onnx': IRIS_BASE64, 'file:model.onnx/x': IRIS_BASE64 });
    expect(res).toMatchObject({ status: 400, body: { code: 'GS_REPOSITORY' } });
    expect(res.body.error).toMatch(/^failed to load model clash: its override files cannot be written \(E[A-Z]+\)$/);
  });

  it('keeps serving the other models', async () => {
    expect((await served.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).status).toBe(200);
    expect((await served.call('GET', '/v2/health/ready')).status).toBe(200);
  });
});

describe('poll mode', () => {
  it('refuses file overrides (the repository folders decide what is served)', async () => {
    const dir = makeRepo({ 'iris/model.onnx': IRIS_FILE });
    const polled = await serveRepo({ modelRepository: dir, modelControlMode: 'poll', repositoryPollSecs: 3600 });
    try {
      const res = await polled.call('POST', '/v2/repository/models/iris/load', {
        parameters: { config: '{}', 'file:model.onnx': IRIS_BASE64 },
      });
      expect(res).toEqual({
        status: 400,
        body: { error: expect.stringMatching(/file overrides are not taken in poll mode/), code: 'GS_BAD_REQUEST' },
      });
      expect((await polled.call('POST', '/v2/models/iris/infer', IRIS_INPUT)).status).toBe(200);
    } finally {
      await polled.close();
    }
  });
});
