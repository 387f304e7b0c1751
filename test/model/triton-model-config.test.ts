/**
 * Triton's model configuration as a load request's config (src/model/triton-model-config.ts): what each key
 * becomes in model settings, and mistakes answered all at once.
 */
import { InvalidOptionError } from '../../src/errors';
import { parseLoadConfig } from '../../src/model/model-repository';
import { isTritonModelConfig, settingsOfTritonConfig } from '../../src/model/triton-model-config';

const WHERE = 'the config';

describe("Triton's model configuration as model settings", () => {
  it('tells it from model settings by the keys only Triton has', () => {
    expect(isTritonModelConfig({ max_batch_size: 8 })).toBe(true);
    expect(isTritonModelConfig({ backend: 'onnxruntime' })).toBe(true);
    expect(isTritonModelConfig({ name: 'm', batching: false })).toBe(false);
    expect(isTritonModelConfig({ name: 'm', parameters: {} })).toBe(false);
    expect(isTritonModelConfig([])).toBe(false);
  });

  it('maps every key it takes', () => {
    const config = {
      name: 'iris',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 16,
      dynamic_batching: {
        max_queue_delay_microseconds: '250', // uint64 as gRPC's JSON writes it
        preferred_batch_size: [4, 8],
        default_queue_policy: { max_queue_size: 100 },
      },
      instance_group: [
        { name: 'a', kind: 'KIND_CPU', count: 2 },
        { kind: 'KIND_CPU', count: 1 },
      ],
      version_policy: { specific: { versions: ['1', '3'] } },
      parameters: { intra_op_thread_count: { string_value: '2' }, inter_op_thread_count: { string_value: '1' } },
      input: [{ name: 'input', data_type: 'TYPE_FP32', dims: [4] }],
      output: [],
    };
    expect(settingsOfTritonConfig(config, WHERE)).toEqual({
      name: 'iris',
      batching: { maxBatchSize: 16, maxQueueDelayMicros: 250, preferredBatchSizes: [4, 8], maxQueueSize: 100 },
      instances: 3,
      versionPolicy: { specific: { versions: ['1', '3'] } },
      intraOpThreads: 2,
      interOpThreads: 1,
    });
  });

  it('max_batch_size 0 is no batching, none the default; above 0 without dynamic_batching batches with no delay', () => {
    expect(settingsOfTritonConfig({ max_batch_size: 0 }, WHERE)).toEqual({ batching: false });
    expect(settingsOfTritonConfig({ backend: 'onnxruntime' }, WHERE)).toEqual({});
    expect(settingsOfTritonConfig({ max_batch_size: 4 }, WHERE)).toEqual({ batching: { maxBatchSize: 4 } });
    const dynamic = { dynamic_batching: { max_queue_delay_microseconds: 9 } };
    expect(settingsOfTritonConfig(dynamic, WHERE)).toEqual({ batching: { maxQueueDelayMicros: 9 } });
  });

  it('hands the keys it does not take to onIgnored instead of refusing them, and still refuses bad values', () => {
    const ignored: string[][] = [];
    const config = { max_batch_size: 2, optimization: {}, dynamic_batching: { preserve_ordering: true } };
    expect(settingsOfTritonConfig(config, WHERE, (keys) => ignored.push(keys))).toEqual({
      batching: { maxBatchSize: 2 },
    });
    expect(ignored).toEqual([['optimization', 'dynamic_batching.preserve_ordering']]);
    expect(() => settingsOfTritonConfig({ backend: 'python', x: 1 }, WHERE, () => undefined)).toThrow(
      /backend "python" is not served/,
    );
  });

  it('KIND_GPU asks for CUDA, on the device gpus names', () => {
    const settings = settingsOfTritonConfig({ instance_group: [{ kind: 'KIND_GPU' }] }, WHERE);
    expect(settings).toEqual({ instances: 1, executionProviders: ['cuda'] });
    const onDevice = settingsOfTritonConfig({ instance_group: [{ kind: 'KIND_GPU', count: 2, gpus: [1] }] }, WHERE);
    expect(onDevice).toEqual({ instances: 2, executionProviders: [{ name: 'cuda', deviceId: 1 }] });
    expect(() => settingsOfTritonConfig({ instance_group: [{ kind: 'KIND_GPU', gpus: [0, 1] }] }, WHERE)).toThrow(
      /one GPU per model, got 0, 1/,
    );
  });

  it('lists every mistake at once', () => {
    const bad = {
      platform: 'tensorflow_savedmodel',
      max_batch_size: -1,
      sequence_batching: {},
      instance_group: [{ kind: 'KIND_TPU', count: 0 }],
      parameters: { execution_mode: { string_value: '1' } },
    };
    let error: unknown;
    try {
      settingsOfTritonConfig(bad, WHERE);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    const message = (error as Error).message;
    expect(message).toMatch(/^the config \(Triton's model configuration\) has mistakes: /);
    for (const part of [
      'keys graphserve does not take: sequence_batching',
      'platform "tensorflow_savedmodel" is not served',
      'max_batch_size must be an integer >= 0, got -1',
      'instance_group[].count must be an integer >= 1, got 0',
      'instance_group[].kind "KIND_TPU"',
      'parameters has keys graphserve does not take: execution_mode',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('dynamic_batching needs batching', () => {
    expect(() => settingsOfTritonConfig({ max_batch_size: 0, dynamic_batching: {} }, WHERE)).toThrow(
      /dynamic_batching needs a max_batch_size above 0/,
    );
  });

  it('parseLoadConfig reads either form and checks the result as settings', () => {
    expect(parseLoadConfig('{"batching": false}', WHERE)).toEqual({ batching: false });
    expect(parseLoadConfig('{"max_batch_size": 8}', WHERE)).toEqual({ batching: { maxBatchSize: 8 } });
    expect(parseLoadConfig('{"instance_group": [{"kind": "KIND_GPU", "gpus": [1]}]}', WHERE)).toEqual({
      instances: 1,
      executionProviders: [{ name: 'cuda', deviceId: 1 }],
    });
    expect(() => parseLoadConfig('{"max_batch_size": 8, "version_policy": {"newest": {}}}', WHERE)).toThrow(
      /versionPolicy/,
    );
    expect(() => parseLoadConfig('{"colour": "red"}', WHERE)).toThrow(/unknown keys colour/);
  });
});
