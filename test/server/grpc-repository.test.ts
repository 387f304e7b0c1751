/**
 * Triton's repository, configuration and statistics RPCs over gRPC, in explicit model-control mode with real
 * ONNX Runtime: RepositoryIndex, RepositoryModelLoad (with a `config` override), RepositoryModelUnload,
 * ModelConfig (Triton's ModelConfig message) and ModelStatistics, each answering what the HTTP route answers;
 * repository errors map to gRPC codes and the server stays up. @grpc/grpc-js is the client, on port 0.
 */
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { buildRepositoryServer, disposeModels } from '../../src/cli/repository-server';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { serveGrpc, type RunningGrpcServer } from '../../src/server/grpc/grpc';
import { silentLogger } from '../../src/step/context';
import { IRIS, IRIS_FILE, makeRepo } from '../cli/repository-support';
import { grpcFailure, inferClient, type InferClient, type InferReply } from './grpc-client';

let graph: GraphServer;
let server: RunningGrpcServer;
let client: InferClient;

beforeAll(async () => {
  const dir = makeRepo({
    'iris/model.onnx': IRIS_FILE,
    'iris/model-settings.json': JSON.stringify({ batching: { maxBatchSize: 8, maxQueueDelayMicros: 100 } }),
    'corrupt/model.onnx': Buffer.from('not an onnx model'),
    'other/model.onnx': IRIS_FILE,
  });
  const options = { modelRepository: dir, modelControlMode: 'explicit' as const, loadModels: ['other'] };
  graph = await buildRepositoryServer({ logger: silentLogger, ...options }, () => undefined);
  server = await serveGrpc(graph, { host: '127.0.0.1', port: 0 });
  client = inferClient(server.target);
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await disposeModels(graph);
});

const IRIS_REQUEST = {
  model_name: 'iris',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
  raw_input_contents: [Buffer.from(new Float32Array([5.1, 3.5, 1.4, 0.2]).buffer)],
};

/** The fields of Triton's ModelStatistics this test reads (uint64 as decimal text over gRPC, numbers in JSON). */
interface Stats {
  name: string;
  inference_count: string | number;
  inference_stats: { success: { count: string | number } };
}

/** What GraphServer answers the HTTP route (the same event HTTP would send). */
async function http(method: string, path: string, body?: unknown): Promise<unknown> {
  return (await graph.run({ id: 'h', path, method, headers: {}, body })).body;
}

describe('Triton repository RPCs in explicit mode', () => {
  it('indexes every folder with RepositoryIndex, only READY ones when ready is set', async () => {
    const all = await client.call('RepositoryIndex', {});
    expect(all).toEqual({ models: await http('POST', '/v2/repository/index', { ready: false }) });
    expect(all['models']).toContainEqual({ name: 'iris', version: '', state: 'UNAVAILABLE', reason: 'not loaded' });
    const ready = await client.call('RepositoryIndex', { ready: true });
    expect(ready).toEqual({ models: [{ name: 'other', version: '', state: 'READY', reason: '' }] });
  });

  it('loads a model with RepositoryModelLoad, then serves it over gRPC', async () => {
    expect((await grpcFailure(client.call('ModelInfer', IRIS_REQUEST))).code).toBe(status.NOT_FOUND);
    await expect(client.call('RepositoryModelLoad', { model_name: 'iris' })).resolves.toEqual({});
    await expect(client.call('ModelReady', { name: 'iris' })).resolves.toEqual({ ready: true });
    const res = await client.call<InferReply>('ModelInfer', IRIS_REQUEST);
    expect(res.outputs.length).toBeGreaterThan(0);
  });

  it("answers ModelConfig as Triton's ModelConfig message", async () => {
    const { config } = await client.call<{ config: Record<string, unknown> }>('ModelConfig', { name: 'iris' });
    expect(config).toMatchObject({
      name: 'iris',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 8,
      input: [expect.objectContaining({ name: 'input', data_type: 'TYPE_FP32', dims: ['4'] })],
      dynamic_batching: expect.objectContaining({ max_queue_delay_microseconds: '100' }),
      instance_group: [expect.objectContaining({ kind: 'KIND_CPU', count: 1 })],
      version_policy: expect.objectContaining({ latest: { num_versions: 1 } }),
    });
    expect((config['output'] as { data_type: string }[]).every((o) => o.data_type.startsWith('TYPE_'))).toBe(true);
  });

  it('answers ModelStatistics with the counts of the HTTP route', async () => {
    for (let i = 0; i < 3; i++) await client.call('ModelInfer', IRIS_REQUEST);
    const one = await client.call<{ model_stats: Stats[] }>('ModelStatistics', { name: 'iris' });
    const want = (await http('GET', '/v2/models/iris/stats')) as { model_stats: Stats[] };
    expect(one.model_stats).toHaveLength(1);
    const [stats] = one.model_stats;
    expect(stats!.name).toBe('iris');
    expect(Number(stats!.inference_count)).toBe(want.model_stats[0]!.inference_count);
    expect(Number(stats!.inference_count)).toBeGreaterThanOrEqual(4);
    expect(Number(stats!.inference_stats.success.count)).toBe(want.model_stats[0]!.inference_stats.success.count);
    const all = await client.call<{ model_stats: { name: string }[] }>('ModelStatistics', {});
    expect(all.model_stats.map((s) => s.name).sort()).toEqual(['iris', 'other']);
  });

  it('reloads with a config override given as a string parameter', async () => {
    const parameters = { config: { string_param: JSON.stringify({ batching: false }) } };
    await expect(client.call('RepositoryModelLoad', { model_name: 'iris', parameters })).resolves.toEqual({});
    const { config } = await client.call<{ config: Record<string, unknown> }>('ModelConfig', { name: 'iris' });
    expect(config['max_batch_size']).toBe(0);
    expect(config['dynamic_batching'] ?? undefined).toBeUndefined();
  });

  it('loads a model from files sent as bytes parameters, with a config', async () => {
    const parameters = {
      config: { string_param: '{}' },
      'file:1/model.onnx': { bytes_param: readFileSync(IRIS) },
    };
    await expect(client.call('RepositoryModelLoad', { model_name: 'sent', parameters })).resolves.toEqual({});
    const reply = await client.call<InferReply>('ModelInfer', { ...IRIS_REQUEST, model_name: 'sent' });
    expect(reply).toMatchObject({ model_name: 'sent', model_version: '1' });
    const reference = await client.call<InferReply>('ModelInfer', { ...IRIS_REQUEST, model_name: 'other' });
    expect(reply.raw_output_contents).toEqual(reference.raw_output_contents);
    const noConfig = { 'file:model.onnx': { bytes_param: readFileSync(IRIS) } };
    const refused = await grpcFailure(client.call('RepositoryModelLoad', { model_name: 'sent', parameters: noConfig }));
    expect(refused).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/need parameters.config/),
    });
  });

  it('unloads a model with RepositoryModelUnload: it is no longer served', async () => {
    await expect(client.call('RepositoryModelUnload', { model_name: 'iris' })).resolves.toEqual({});
    expect((await grpcFailure(client.call('ModelInfer', IRIS_REQUEST))).code).toBe(status.NOT_FOUND);
    const index = await client.call<{ models: unknown[] }>('RepositoryIndex', {});
    expect(index.models).toContainEqual({ name: 'iris', version: '', state: 'UNAVAILABLE', reason: 'unloaded' });
  });
});

describe('bad repository RPCs answer their gRPC code and the server stays up', () => {
  it('answers NOT_FOUND for a folder that does not exist', async () => {
    const load = await grpcFailure(client.call('RepositoryModelLoad', { model_name: 'nope' }));
    expect(load.code).toBe(status.NOT_FOUND);
    expect(load.details).toMatch(/the model repository has no model nope/);
    expect((await grpcFailure(client.call('RepositoryModelUnload', { model_name: 'nope' }))).code).toBe(
      status.NOT_FOUND,
    );
    expect((await grpcFailure(client.call('ModelConfig', { name: 'nope' }))).code).toBe(status.NOT_FOUND);
  });

  it('answers INVALID_ARGUMENT for a model that fails to load or a malformed override', async () => {
    const corrupt = await grpcFailure(client.call('RepositoryModelLoad', { model_name: 'corrupt' }));
    expect(corrupt.code).toBe(status.INVALID_ARGUMENT);
    expect(corrupt.metadata.get('graphserve-error-code')).toEqual(['GS_REPOSITORY']);
    const parameters = { config: { string_param: '{"batching": ' } };
    const malformed = await grpcFailure(client.call('RepositoryModelLoad', { model_name: 'other', parameters }));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    const other = await client.call<InferReply>('ModelInfer', { ...IRIS_REQUEST, model_name: 'other' });
    expect(other.outputs.length).toBeGreaterThan(0);
  });
});
