/**
 * model-settings.json's JSON Schema (schemas/model-settings.schema.json): shipped in the package, the one
 * declaration of the settings' keys, and the check made when a folder is read, reporting every mistake
 * of a file at once with its JSON pointer.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ONNX_SESSION_KEYS } from '../../src/model/onnx-model-server';
import { readModelRepository } from '../../src/model/model-repository';
import { settingsKeys, settingsMistakes, settingsSchemaPath } from '../../src/model/settings-schema';

const ROOT = join(__dirname, '..', '..');

describe('the model-settings.json schema', () => {
  it('is shipped in the package', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('schemas/');
    expect(settingsSchemaPath()).toBe(join(ROOT, 'schemas', 'model-settings.schema.json'));
  });

  it("declares every engine option OnnxModelServer takes from the settings, and nothing it doesn't know", () => {
    const keys = settingsKeys();
    for (const key of ONNX_SESSION_KEYS) expect(keys).toContain(key);
    expect(keys.filter((k) => !(ONNX_SESSION_KEYS as readonly string[]).includes(k)).sort()).toEqual(
      ['className', 'name', 'parameters', 'requestTimeout', 'version', 'versionPolicy'].sort(),
    );
  });

  it('accepts the README example and every documented form', () => {
    const ok = [
      {
        name: 'iris',
        version: '1',
        batching: { maxBatchSize: 32, maxQueueDelayMicros: 0 },
        executionProviders: ['cuda', 'cpu'],
        intraOpThreads: 1,
        parameters: { labels: ['setosa', 'versicolor', 'virginica'] },
      },
      { $schema: './node_modules/graphserve/schemas/model-settings.schema.json', batching: false },
      { executionProviders: [{ name: 'cuda', deviceId: 0, cudnnConvAlgoSearch: 'HEURISTIC' }, 'cpu'] },
      { batching: { padBatches: 'auto', preferredBatchSizes: [4, 8] }, requestTimeout: 0.5 },
      { versionPolicy: { latest: { num_versions: 2 } } },
      { versionPolicy: { all: {} } },
      { versionPolicy: { specific: { versions: [1, '3'] } } },
    ];
    for (const settings of ok) expect(settingsMistakes(settings)).toEqual([]);
  });

  it('reports every mistake of a file at once, each with its JSON pointer', () => {
    const mistakes = settingsMistakes({
      name: 3,
      maxBatch: 4,
      batching: { maxBatchSize: 0, padBatches: 'yes' },
      executionProviders: ['gpu', { name: 'cuda', deviceId: -1 }],
    });
    expect(mistakes).toEqual([
      '/ has unknown keys maxBatch (known: name, version, className, parameters, requestTimeout, versionPolicy, batching, executionProviders, intraOpThreads, interOpThreads, instances, timeoutMs, graphOptimizationLevel, cpuMemArena, spinning, inlineRunMicros)',
      '/name must be string, not 3',
      '/batching/maxBatchSize must be >= 1',
      '/batching/padBatches must be one of true, false, "auto", not "yes"',
      '/executionProviders/0 must be one of "cpu", "cuda", not "gpu"',
      '/executionProviders/1/deviceId must be >= 0',
    ]);
  });

  it('says what is wrong with batching: true and a settings file that is not an object', () => {
    expect(settingsMistakes({ batching: true })).toEqual(['/batching must be false']);
    expect(settingsMistakes([1])).toEqual(['/ must be object, not [1]']);
    expect(settingsMistakes({ versionPolicy: { latest: {} } })).toEqual([
      "/versionPolicy/latest must have required property 'num_versions'",
    ]);
  });
});

describe('reading a model repository', () => {
  it('fails a folder whose settings have three mistakes with all three, and keeps the good folders', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gs-schema-'));
    mkdirSync(join(root, 'good'));
    writeFileSync(join(root, 'good', 'model.onnx'), 'x');
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'model.onnx'), 'x');
    const settings = { intraOpThreads: -1, batching: { maxQueueDelay: 10 }, graphOptimizationLevel: 'max' };
    writeFileSync(join(root, 'bad', 'model-settings.json'), JSON.stringify(settings));
    const repo = await readModelRepository(root);
    expect(repo.models.map((m) => m.key)).toEqual(['good']);
    const message = repo.failures.find((f) => f.name === 'bad')!.error.message;
    expect(message).toMatch(/model-settings\.json has 3 mistakes: /);
    expect(message).toContain('/batching has unknown keys maxQueueDelay (known: maxBatchSize');
    expect(message).toContain('/intraOpThreads must be >= 0');
    expect(message).toContain(
      '/graphOptimizationLevel must be one of "disabled", "basic", "extended", "all", not "max"',
    );
  });
});
