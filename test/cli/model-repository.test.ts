import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '../../src/errors';
import { readModelRepository } from '../../src/model/model-repository';

function makeRepo(folders: Record<string, Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'gs-repo-'));
  for (const [folder, files] of Object.entries(folders)) {
    mkdirSync(join(root, folder));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, folder, name), text);
  }
  return root;
}

describe('model repository', () => {
  it('turns each folder into a route spec with engine options and parameters as class args', async () => {
    const settings = {
      name: 'iris',
      version: '2',
      batching: { maxBatchSize: 8, maxQueueDelayMicros: 100 },
      executionProviders: ['cpu'],
      intraOpThreads: 1,
      instances: 2,
      parameters: { labels: ['a', 'b'] },
    };
    const root = makeRepo({ folder: { 'model.onnx': 'x', 'model-settings.json': JSON.stringify(settings) } });
    const repo = await readModelRepository(root);
    expect(repo.failures).toEqual([]);
    expect(repo.models).toHaveLength(1);
    expect(repo.models[0]!.key).toBe('iris');
    expect(repo.models[0]!.spec).toEqual({
      className: 'OnnxModelServer',
      name: 'iris:2',
      modelPath: join(root, 'folder', 'model.onnx'),
      labels: ['a', 'b'],
      batching: { maxBatchSize: 8, maxQueueDelayMicros: 100 },
      executionProviders: ['cpu'],
      intraOpThreads: 1,
      instances: 2,
    });
  });

  it('names a model after its folder when it has no settings', async () => {
    const repo = await readModelRepository(makeRepo({ plain: { 'model.onnx': 'x' } }));
    expect(repo.models.map((m) => [m.key, m.spec.className])).toEqual([['plain', 'OnnxModelServer']]);
  });

  it('reports each bad folder as a failure and keeps the good ones', async () => {
    const root = makeRepo({
      a_good: { 'model.onnx': 'x' },
      b_malformed: { 'model.onnx': 'x', 'model-settings.json': '{"name": ' },
      c_unknown_key: { 'model.onnx': 'x', 'model-settings.json': '{"maxBatchSize": 4}' },
      d_no_model: { 'readme.txt': 'x' },
      e_clash: { 'model.onnx': 'x', 'model-settings.json': '{"name": "a_good"}' },
    });
    const repo = await readModelRepository(root);
    expect(repo.models.map((m) => m.key)).toEqual(['a_good']);
    const reasons = Object.fromEntries(repo.failures.map((f) => [f.name, f.error.message]));
    expect(reasons['b_malformed']).toMatch(/malformed JSON/);
    expect(reasons['c_unknown_key']).toMatch(/unknown keys maxBatchSize/);
    expect(reasons['d_no_model']).toMatch(/has no model.onnx/);
    expect(reasons['e_clash']).toMatch(/already used/);
  });

  it("names a failed folder after its settings' name when they could be read", async () => {
    const root = makeRepo({ folder: { 'model-settings.json': '{"name": "iris"}' } });
    const repo = await readModelRepository(root);
    expect(repo.failures.map((f) => [f.name, f.dir])).toEqual([['iris', join(root, 'folder')]]);
  });

  it('never gives a model and a failure, or two failures, the same name', async () => {
    const root = makeRepo({
      a: { 'model-settings.json': '{"name": "b"}' }, // no model: fails as b
      b: { 'model.onnx': 'x' }, // b is taken: fails under its folder name, which is taken too: b-2
      c: { 'model.onnx': 'x', 'model-settings.json': '{"name": "a"}' }, // a is free: serves as a
      d: { 'model.onnx': 'x', 'model-settings.json': '{"name": "a"}' }, // a is taken: fails as d
    });
    const repo = await readModelRepository(root);
    expect(repo.models.map((m) => [m.key, m.dir])).toEqual([['a', join(root, 'c')]]);
    expect(repo.failures.map((f) => [f.name, f.dir, f.error.message])).toEqual([
      ['b', join(root, 'a'), expect.stringMatching(/has no model\.onnx/)],
      ['b-2', join(root, 'b'), `model name b is already used by ${join(root, 'a')}`],
      ['d', join(root, 'd'), `model name a is already used by ${join(root, 'c')}`],
    ]);
  });

  it('accepts a folder without model.onnx when a class is named', async () => {
    const root = makeRepo({ custom: { 'model-settings.json': '{"className": "MyModel"}' } });
    const repo = await readModelRepository(root);
    expect(repo.models[0]!.spec).toMatchObject({ className: 'MyModel', modelPath: join(root, 'custom') });
  });

  it('rejects a repository folder that does not exist', async () => {
    await expect(readModelRepository('/nonexistent/gs-repo')).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
