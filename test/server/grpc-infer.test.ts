/**
 * The gRPC transport end to end: @grpc/grpc-js as the client on loopback port 0 → serveGrpc → GraphServer →
 * ModelRouter → OnnxModelServer → the native engine. Health, metadata, inference with raw and typed contents
 * for every datatype (identity models echo exactly), and the same answer as GraphServer gives over HTTP.
 */
import { join } from 'node:path';
import { DATATYPES, type Datatype } from '../../bindings/datatypes';
import { newFunction } from '../../src/function/function';
import type { GraphServer } from '../../src/graph-server/graph-server';
import '../../src/model/onnx-model-server';
import { elementsToBinary } from '../../src/protocol/binary';
import { serveGrpc, type RunningGrpcServer } from '../../src/server/grpc/grpc';
import { silentLogger } from '../../src/step/context';
import { JSON_VALUES, typedOf } from '../protocol/helpers';
import { grpcFailure, inferClient, type InferClient, type InferReply } from './grpc-client';

const FIXTURES = join(__dirname, '..', 'fixtures', 'models');
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'models');

/** The typed contents field of each datatype that has one, and its values as the client sends them. */
const TYPED: Partial<Record<Datatype, [string, unknown[]]>> = {
  BOOL: ['bool_contents', JSON_VALUES.BOOL],
  UINT8: ['uint_contents', JSON_VALUES.UINT8],
  UINT16: ['uint_contents', JSON_VALUES.UINT16],
  UINT32: ['uint_contents', JSON_VALUES.UINT32],
  UINT64: ['uint64_contents', JSON_VALUES.UINT64.map(String)],
  INT8: ['int_contents', JSON_VALUES.INT8],
  INT16: ['int_contents', JSON_VALUES.INT16],
  INT32: ['int_contents', JSON_VALUES.INT32],
  INT64: ['int64_contents', JSON_VALUES.INT64.map(String)],
  FP32: ['fp32_contents', JSON_VALUES.FP32],
  FP64: ['fp64_contents', JSON_VALUES.FP64],
  BYTES: ['bytes_contents', (JSON_VALUES.BYTES as string[]).map((s) => Buffer.from(s))],
};

let graph: GraphServer;
let server: RunningGrpcServer;
let client: InferClient;

beforeAll(async () => {
  const fn = newFunction('grpc-infer');
  fn.setTopology('router');
  for (const dt of DATATYPES) {
    const name = `identity_${dt.toLowerCase()}`;
    fn.addModel(name, { className: 'OnnxModelServer', modelPath: join(FIXTURES, `${name}.onnx`) });
  }
  fn.addModel('iris', {
    className: 'OnnxModelServer',
    name: 'iris:1',
    modelPath: join(EXAMPLES, 'iris', 'model.onnx'),
  });
  graph = await fn.toGraphServer({ logger: silentLogger });
  server = await serveGrpc(graph, { host: '127.0.0.1', port: 0 });
  client = inferClient(server.target);
});

afterAll(async () => {
  client?.close();
  await server?.close();
});

const IRIS_ROWS = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3];

function irisRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_name: 'iris',
    id: 'req-1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4] }],
    raw_input_contents: [Buffer.from(new Float32Array(IRIS_ROWS).buffer)],
    ...extra,
  };
}

describe('gRPC health and metadata', () => {
  it('answers ServerLive, ServerReady and ModelReady', async () => {
    await expect(client.call('ServerLive', {})).resolves.toEqual({ live: true });
    await expect(client.call('ServerReady', {})).resolves.toEqual({ ready: true });
    await expect(client.call('ModelReady', { name: 'iris' })).resolves.toEqual({ ready: true });
    await expect(client.call('ModelReady', { name: 'iris', version: '1' })).resolves.toEqual({ ready: true });
  });

  it('answers ServerMetadata as GET /v2 does', async () => {
    const http = await graph.run({ id: 'm', path: '/v2', method: 'GET', headers: {}, body: undefined });
    const meta = await client.call('ServerMetadata', {});
    expect(meta).toEqual(http.body);
    expect(meta['name']).toBe('graphserve');
  });

  it('answers ModelMetadata with the model inputs, outputs and versions', async () => {
    const meta = await client.call('ModelMetadata', { name: 'iris' });
    expect(meta['name']).toBe('iris');
    expect(meta['versions']).toEqual(['1']);
    expect(meta['inputs']).toEqual([{ name: 'input', datatype: 'FP32', shape: ['-1', '4'] }]);
  });

  it('answers NOT_FOUND for the metadata of an unknown model; ModelReady false, as Triton', async () => {
    const err = await grpcFailure(client.call('ModelMetadata', { name: 'nope' }));
    expect(err.code).toBe(5); // NOT_FOUND
    expect(err.details).toMatch(/model nope does not exist/);
    expect(err.metadata.get('graphserve-error-code')).toEqual(['GS_MODEL_NOT_FOUND']);
    await expect(client.call('ModelReady', { name: 'iris', version: '9' })).resolves.toEqual({ ready: false });
    await expect(client.call('ModelReady', { name: 'nope' })).resolves.toEqual({ ready: false });
  });
});

describe('gRPC ModelInfer', () => {
  it('answers raw contents with the same outputs as the HTTP route, keeping the id', async () => {
    const res = await client.call<InferReply>('ModelInfer', irisRequest());
    const http = await graph.run({
      id: 'h',
      path: '/v2/models/iris/infer',
      method: 'POST',
      headers: {},
      body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: IRIS_ROWS }] },
    });
    const expected = (http.body as { outputs: { name: string; datatype: string; shape: number[]; data: number[] }[] })
      .outputs;
    expect(res.id).toBe('req-1');
    expect(res.model_name).toBe('iris');
    expect(res.model_version).toBe('1');
    expect(res.outputs.map((o) => o.name)).toEqual(expected.map((o) => o.name));
    res.outputs.forEach((o, i) => {
      expect(o.datatype).toBe(expected[i]!.datatype);
      expect(o.shape.map(Number)).toEqual(expected[i]!.shape);
      expect(o.contents).toBeNull();
      const raw = res.raw_output_contents[i]!;
      const want = expected[i]!;
      if (want.datatype === 'FP32') {
        expect(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)))).toEqual(
          want.data.map((v) => Math.fround(v)),
        );
      } else {
        expect(raw.length).toBeGreaterThan(0);
      }
    });
  });

  it('takes the id from the request and a version from model_version', async () => {
    const res = await client.call<InferReply>('ModelInfer', irisRequest({ id: 'abc', model_version: '1' }));
    expect(res.id).toBe('abc');
    expect((await grpcFailure(client.call('ModelInfer', irisRequest({ model_version: '7' })))).code).toBe(5);
  });

  it('returns only the requested outputs, in the order asked', async () => {
    const meta = await client.call<{ outputs: { name: string }[] }>('ModelMetadata', { name: 'iris' });
    const names = meta.outputs.map((o) => o.name).reverse();
    const res = await client.call<{ outputs: { name: string }[] }>(
      'ModelInfer',
      irisRequest({ outputs: names.map((name) => ({ name })) }),
    );
    expect(res.outputs.map((o) => o.name)).toEqual(names);
  });

  it.each(DATATYPES)('echoes %s through raw contents exactly', async (datatype) => {
    const bytes = elementsToBinary(datatype, typedOf(datatype));
    const res = await client.call<InferReply>('ModelInfer', {
      model_name: `identity_${datatype.toLowerCase()}`,
      inputs: [{ name: 'x', datatype, shape: [2, 3] }],
      raw_input_contents: [bytes],
    });
    expect(res.outputs).toEqual([expect.objectContaining({ name: 'y', datatype, shape: ['2', '3'], contents: null })]);
    expect(Buffer.compare(res.raw_output_contents[0]!, bytes)).toBe(0);
  });

  it.each(Object.keys(TYPED) as Datatype[])('echoes %s through typed contents exactly', async (datatype) => {
    const [field, values] = TYPED[datatype]!;
    const res = await client.call<InferReply>('ModelInfer', {
      model_name: `identity_${datatype.toLowerCase()}`,
      inputs: [{ name: 'x', datatype, shape: [2, 3], contents: { [field]: values } }],
      parameters: { binary_data_output: { bool_param: false } },
    });
    expect(res.raw_output_contents).toEqual([]);
    const out = res.outputs[0]!;
    expect(out.datatype).toBe(datatype);
    const got = out.contents![field];
    if (datatype === 'FP32') expect(got).toEqual((values as number[]).map((v) => Math.fround(v)));
    else expect(got).toEqual(values);
  });

  it('answers FP16 raw even when typed contents are asked for (FP16 has no typed field)', async () => {
    const bytes = elementsToBinary('FP16', typedOf('FP16'));
    const res = await client.call<InferReply>('ModelInfer', {
      model_name: 'identity_fp16',
      inputs: [{ name: 'x', datatype: 'FP16', shape: [2, 3] }],
      raw_input_contents: [bytes],
      parameters: { binary_data_output: { bool_param: false } },
    });
    expect(Buffer.compare(res.raw_output_contents[0]!, bytes)).toBe(0);
  });

  it('keeps INT64 values beyond 2^53 exact in typed contents', async () => {
    const values = ['9223372036854775807', '-9223372036854775808', '9007199254740993', '0', '-1', '1'];
    const res = await client.call<InferReply>('ModelInfer', {
      model_name: 'identity_int64',
      inputs: [{ name: 'x', datatype: 'INT64', shape: [2, 3], contents: { int64_contents: values } }],
      parameters: { binary_data_output: { bool_param: false } },
    });
    expect(res.outputs[0]!.contents!['int64_contents']).toEqual(values);
  });

  it.each([
    ['INT64', 'identity_int64', 'int64_contents', ['9007199254740991', '-9007199254740991', '0', '-1', '1', '42']],
    ['UINT64', 'identity_uint64', 'uint64_contents', ['9007199254740991', '18446744073709551615', '0', '1', '2', '3']],
  ])('reads %s typed contents exactly, within 2^53 (read once) and beyond', async (datatype, model, field, values) => {
    const res = await client.call<InferReply>('ModelInfer', {
      model_name: model,
      inputs: [{ name: 'x', datatype, shape: [2, 3], contents: { [field]: values } }],
      parameters: { binary_data_output: { bool_param: false } },
    });
    expect(res.outputs[0]!.contents![field]).toEqual(values);
  });
});
