/**
 * Model control beyond single calls: unload drains the model's requests in flight before freeing it
 * (no request lost); poll mode loads a new folder, reloads a changed one while requests keep being
 * answered, and unloads a removed one. Waits are on observable state (bounded), never fixed sleeps.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RepositoryRouter } from '../../src/graph/repository/repository-router';
import { IRIS_FILE, IRIS_INPUT, makeRepo, serveRepo, waitFor, writeFiles } from './repository-support';

/** A step that holds every request until the test releases it, and logs when it answers and is freed. */
const HELD_MODULE = `
const log = (globalThis.__heldLog = []);
let release;
globalThis.__heldGate = new Promise((r) => (release = r));
globalThis.__heldRelease = () => release();
class Held {
  constructor(options) { this.name = options.name; }
  async doEvent(event) { await globalThis.__heldGate; log.push('answer'); return { held: true }; }
  async dispose() { log.push('dispose'); }
}
module.exports = { Held };
`;

describe('unload', () => {
  it('waits for the requests in flight, answers them all, then frees the model', async () => {
    const dir = makeRepo({ 'held/model-settings.json': '{"className": "Held"}' });
    const module = join(dir, '..', 'held.js');
    writeFileSync(module, HELD_MODULE);
    const served = await serveRepo({
      modelRepository: dir,
      module,
      modelControlMode: 'explicit',
      loadModels: ['held'],
    });
    try {
      const global = globalThis as unknown as { __heldLog: string[]; __heldRelease: () => void };
      const requests = Array.from({ length: 8 }, () => served.call('POST', '/v2/models/held/infer', { inputs: [1] }));
      const router = served.server.graph as RepositoryRouter;
      const step = router.routes.get('held')!;
      await waitFor('8 requests in flight', () => router.counters.of(step).inFlight === 8);
      let unloaded = false;
      const unload = served.call('POST', '/v2/repository/models/held/unload').then((res) => ((unloaded = true), res));
      await waitFor('the route to be taken out', () => !router.routes.has('held'));
      expect(unloaded).toBe(false);
      expect(await served.call('POST', '/v2/models/held/infer', { inputs: [1] })).toEqual({
        status: 404,
        body: { error: 'model held is being unloaded', code: 'GS_MODEL_NOT_FOUND' },
      });
      expect(global.__heldLog).toEqual([]);
      global.__heldRelease();
      const answers = await Promise.all(requests);
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(await unload).toEqual({ status: 200, body: {} });
      expect(global.__heldLog).toEqual([...Array(8).fill('answer'), 'dispose']);
    } finally {
      await served.close();
    }
  });
});

/** A model whose load (postInit) waits until the test releases it. */
const SLOW_MODULE = `
let release;
globalThis.__slowGate = new Promise((r) => (release = r));
globalThis.__slowRelease = () => release();
class Slow {
  constructor(options) { this.name = options.name; }
  async postInit() { await globalThis.__slowGate; }
  async doEvent() { return { slow: true }; }
}
module.exports = { Slow };
`;

describe('a model that is loading', () => {
  it('answers 503 until its load completes, then serves', async () => {
    const dir = makeRepo({ 'slow/model-settings.json': '{"className": "Slow"}' });
    const module = join(dir, '..', 'slow.js');
    writeFileSync(module, SLOW_MODULE);
    const served = await serveRepo({ modelRepository: dir, module, modelControlMode: 'explicit' });
    try {
      const load = served.call('POST', '/v2/repository/models/slow/load');
      const index = async () => (await served.call('POST', '/v2/repository/index')).body as Array<{ state: string }>;
      await waitFor('slow to be loading', async () => (await index())[0]?.state === 'LOADING');
      expect(await served.call('POST', '/v2/models/slow/infer', { inputs: [1] })).toEqual({
        status: 503,
        body: { error: 'model slow is loading', code: 'GS_NOT_READY' },
      });
      expect((await served.call('GET', '/v2/models/slow/ready')).status).toBe(503);
      (globalThis as unknown as { __slowRelease: () => void }).__slowRelease();
      expect(await load).toEqual({ status: 200, body: {} });
      expect(await served.call('POST', '/v2/models/slow/infer', { inputs: [1] })).toMatchObject({ status: 200 });
    } finally {
      await served.close();
    }
  });
});

describe('poll mode', () => {
  it('loads a new folder, reloads a changed one without dropping requests, reports a broken one until fixed, unloads a removed one', async () => {
    const dir = makeRepo({ 'a/model.onnx': IRIS_FILE });
    const served = await serveRepo({ modelRepository: dir, modelControlMode: 'poll', repositoryPollSecs: 0.05 });
    const index = async () =>
      (await served.call('POST', '/v2/repository/index')).body as Array<{
        name: string;
        state: string;
        reason: string;
      }>;
    try {
      expect(served.lines[0]).toBe('model a: ready (OnnxModelServer, inputs input FP32[-1,4])');
      expect((await served.call('GET', '/v2/models/a/config')).body.max_batch_size).toBe(32);

      writeFiles(dir, { 'b/model.onnx': IRIS_FILE });
      await waitFor('b to be loaded', async () => (await index()).some((e) => e.name === 'b' && e.state === 'READY'));
      expect((await served.call('POST', '/v2/models/b/infer', IRIS_INPUT)).status).toBe(200);

      // Requests on a keep going while its settings change; every one is answered 200.
      let stop = false;
      const statuses: number[] = [];
      const load = (async () => {
        while (!stop) statuses.push((await served.call('POST', '/v2/models/a/infer', IRIS_INPUT)).status);
      })();
      writeFiles(dir, { 'a/model-settings.json': JSON.stringify({ batching: false }) });
      await waitFor(
        'a to be reloaded',
        async () => (await served.call('GET', '/v2/models/a/config')).body.max_batch_size === 0,
      );
      await waitFor('requests after the reload', () => statuses.length > 20);
      stop = true;
      await load;
      expect(statuses.filter((s) => s !== 200)).toEqual([]);

      // A folder that cannot be read is reported, and loaded once it is fixed.
      writeFiles(dir, { 'c/model.onnx': IRIS_FILE, 'c/model-settings.json': '{"batching": ' });
      const broken = await waitFor('c to be reported', async () =>
        (await index()).find((e) => e.name === 'c' && e.state === 'UNAVAILABLE' && e.reason !== 'not loaded'),
      );
      expect(broken).toMatchObject({ reason: expect.stringMatching(/JSON/) });
      writeFiles(dir, { 'c/model-settings.json': '{"batching": false}' });
      await waitFor('c to be loaded', async () => (await index()).some((e) => e.name === 'c' && e.state === 'READY'));

      rmSync(join(dir, 'b'), { recursive: true });
      await waitFor(
        'b to be unloaded',
        async () => (await served.call('POST', '/v2/models/b/infer', IRIS_INPUT)).status === 404,
      );
      expect(await index()).toContainEqual(
        expect.objectContaining({ name: 'b', state: 'UNAVAILABLE', reason: 'unloaded' }),
      );
      expect((await served.call('GET', '/v2/health/ready')).status).toBe(200);
    } finally {
      await served.close();
    }
  });
});
