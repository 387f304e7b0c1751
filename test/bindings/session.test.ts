import * as fs from 'node:fs';
import { InferenceSession } from '../../bindings/session';
import { loadAddon } from '../../bindings/loader';
import { InvalidOptionError, ModelLoadError, ProviderError } from '../../src/errors';
import { fp32, model } from './helpers';

describe('InferenceSession loading and introspection', () => {
  it('reports input and output names, OIP datatypes and shapes with -1 for dynamic dims', async () => {
    const s = await InferenceSession.create(model('mlp'));
    expect(s.inputs).toEqual([{ name: 'x', datatype: 'FP32', onnxType: 'float', shape: [-1, 4] }]);
    expect(s.outputs).toEqual([
      { name: 'probabilities', datatype: 'FP32', onnxType: 'float', shape: [-1, 3] },
      { name: 'label', datatype: 'INT64', onnxType: 'int64', shape: [-1] },
    ]);
    expect(s.providers).toEqual(['cpu']);
    expect(s.batching).toBe(true);
    await s.dispose();
  });

  it('loads a model from its bytes', async () => {
    const s = await InferenceSession.create(new Uint8Array(fs.readFileSync(model('add'))));
    const out = await s.run({ a: fp32([1, 3], [1, 2, 3]), b: fp32([1, 3], [4, 5, 6]) });
    expect(Array.from(out['sum']!.data as Float32Array)).toEqual([5, 7, 9]);
    await s.dispose();
  });

  it('does not batch a model whose first dimension is fixed', async () => {
    const s = await InferenceSession.create(model('fixed_batch'));
    expect(s.batching).toBe(false);
    expect(s.inputs[0]!.shape).toEqual([2, 3]);
    const out = await s.run({ x: fp32([2, 3], [1, 2, 3, 4, 5, 6]) });
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([2, 4, 6, 8, 10, 12]);
    await s.dispose();
  });

  it('does not batch when batching is false', async () => {
    const s = await InferenceSession.create(model('add'), { batching: false });
    expect(s.batching).toBe(false);
    await s.dispose();
  });

  it('rejects a missing model file with ModelLoadError naming the file', async () => {
    await expect(InferenceSession.create('/nonexistent/model.onnx')).rejects.toThrow(ModelLoadError);
    await expect(InferenceSession.create('/nonexistent/model.onnx')).rejects.toThrow(/nonexistent\/model\.onnx/);
  });

  it('rejects bytes that are not an ONNX model with ModelLoadError', async () => {
    const err = await InferenceSession.create(new Uint8Array([1, 2, 3, 4, 5])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).code).toBe('GS_MODEL_LOAD');
    expect((err as ModelLoadError).status).toBe(500);
  });

  it.each([
    [{ intraOpThreads: -1 }, /intraOpThreads must be an integer/],
    [{ graphOptimizationLevel: 'max' }, /graphOptimizationLevel must be one of/],
    [{ executionProviders: ['tpu'] }, /unknown provider "tpu"/],
    [{ executionProviders: [] }, /non-empty array/],
    [{ batching: { maxBatchSize: 0 } }, /maxBatchSize must be an integer from 1/],
    [
      { batching: { maxBatchSize: 4, preferredBatchSizes: [8] } },
      /preferredBatchSizes\[\] must be an integer from 1 to 4/,
    ],
    [{ instances: 0 }, /instances must be an integer from 1/],
  ])('rejects invalid options %j', async (options, message) => {
    const err = await InferenceSession.create(model('add'), options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as Error).message).toMatch(message);
  });

  it('applies session options: threads, optimisation level, instances, arena', async () => {
    const s = await InferenceSession.create(model('add'), {
      intraOpThreads: 1,
      interOpThreads: 1,
      graphOptimizationLevel: 'disabled',
      instances: 2,
      cpuMemArena: false,
      spinning: true,
    });
    expect(s.options.instances).toBe(2);
    expect(s.options.spinning).toBe(true);
    const out = await s.run({ a: fp32([1, 3], [1, 1, 1]), b: fp32([1, 3], [2, 2, 2]) });
    expect(Array.from(out['sum']!.data as Float32Array)).toEqual([3, 3, 3]);
    await s.dispose();
  });

  it('exposes the ONNX Runtime version it runs on', () => {
    const addon = loadAddon();
    expect(addon.ortVersion).toMatch(/^1\.\d+\.\d+/);
    expect(addon.apiVersion).toBeGreaterThanOrEqual(21);
  });
});

describe('execution providers', () => {
  it('falls back to the CPU with a warning when CUDA is unavailable and cpu is listed', async () => {
    const s = await InferenceSession.create(model('add'), { executionProviders: ['cuda', 'cpu'] });
    if (s.providers.includes('cuda')) {
      // A machine with a working CUDA provider: nothing to fall back from.
      expect(s.providers).toEqual(['cuda', 'cpu']);
    } else {
      expect(s.providers).toEqual(['cpu']);
      expect(s.warnings.join('\n')).toMatch(/CUDA execution provider unavailable.*libonnxruntime_providers_cuda\.so/s);
    }
    const out = await s.run({ a: fp32([1, 3], [1, 2, 3]), b: fp32([1, 3], [1, 2, 3]) });
    expect(Array.from(out['sum']!.data as Float32Array)).toEqual([2, 4, 6]);
    await s.dispose();
  });

  it('fails with ProviderError naming the missing libraries when only CUDA is listed', async () => {
    const result = await InferenceSession.create(model('add'), {
      executionProviders: [{ name: 'cuda', deviceId: 0, gpuMemLimit: 1 << 30, cudnnConvAlgoSearch: 'HEURISTIC' }],
    }).then(
      async (s) => {
        await s.dispose();
        return 'loaded';
      },
      (e: unknown) => e,
    );
    if (result === 'loaded') return; // CUDA present on this machine
    expect(result).toBeInstanceOf(ProviderError);
    expect((result as Error).message).toMatch(/libonnxruntime_providers_cuda\.so/);
    expect((result as Error).message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });
});
