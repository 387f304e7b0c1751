/**
 * HTTP end to end against real ONNX models run by the native engine: fastify → GraphServer →
 * ModelRouter → OnnxModelServer → InferenceSession, in both dialects, JSON and binary.
 */
jest.mock('cookie', () => ({ stringifySetCookie: (): string => '' })); // see http-app.test.ts
import { join } from 'node:path';
import { silentLogger } from '../../src/step/context';
import { newFunction } from '../../src/function/function';
import '../../src/model/onnx-model-server';
import { HEADER_LENGTH } from '../../src/protocol';
import { elementsToBinary } from '../../src/protocol/binary';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { buildApp, serve, type RunningServer } from '../../src/server/http/http';
import { DATATYPES, JSON_VALUES, splitResponse, typedOf } from '../protocol/helpers';

const FIXTURES = join(__dirname, '..', 'fixtures', 'models');
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'models');

async function buildGraph(): Promise<GraphServer> {
  const fn = newFunction('http-onnx');
  fn.setTopology('router');
  for (const dt of DATATYPES) {
    fn.addModel(`identity_${dt.toLowerCase()}`, {
      className: 'OnnxModelServer',
      modelPath: join(FIXTURES, `identity_${dt.toLowerCase()}.onnx`),
    });
  }
  fn.addModel('add', { className: 'OnnxModelServer', modelPath: join(FIXTURES, 'add.onnx') });
  fn.addModel('mlp', { className: 'OnnxModelServer', modelPath: join(FIXTURES, 'mlp.onnx') });
  fn.addModel('iris', {
    className: 'OnnxModelServer',
    name: 'iris:1',
    modelPath: join(EXAMPLES, 'iris', 'model.onnx'),
  });
  return fn.toGraphServer({ logger: silentLogger });
}

let graph: GraphServer;
let server: RunningServer;

beforeAll(async () => {
  graph = await buildGraph();
  server = await serve(graph, { host: '127.0.0.1', port: 0, bodyLimit: 64 * 1024 });
});

afterAll(async () => {
  await server?.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('OIP over HTTP against ONNX models', () => {
  it.each(DATATYPES)('round-trips %s through JSON', async (datatype) => {
    const app = buildApp(graph);
    const res = await app.inject({
      method: 'POST',
      url: `/v2/models/identity_${datatype.toLowerCase()}/infer`,
      payload: { id: 'r1', inputs: [{ name: 'x', datatype, shape: [2, 3], data: JSON_VALUES[datatype] }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      model_name: `identity_${datatype.toLowerCase()}`,
      id: 'r1',
      outputs: [{ name: 'y', datatype, shape: [2, 3], data: JSON_VALUES[datatype] }],
    });
  });

  it.each(DATATYPES)('round-trips %s through the binary extension', async (datatype) => {
    const bytes = elementsToBinary(datatype, typedOf(datatype));
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'x', datatype, shape: [2, 3], parameters: { binary_data_size: bytes.length } }],
        outputs: [{ name: 'y', parameters: { binary_data: true } }],
      }),
    );
    const res = await fetch(`${server.url}/v2/models/identity_${datatype.toLowerCase()}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(header.length) },
      body: Buffer.concat([header, bytes]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await res.arrayBuffer());
    const { header: out, rest } = splitResponse(body, Number(res.headers.get(HEADER_LENGTH)));
    expect(out['outputs']).toEqual([
      { name: 'y', datatype, shape: [2, 3], parameters: { binary_data_size: rest.length } },
    ]);
    expect(rest).toEqual(bytes);
  });

  it('feeds every input of a two-input model by name', async () => {
    const res = await post('/v2/models/add/infer', {
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
        { name: 'b', datatype: 'FP32', shape: [1, 3], data: [10, 20, 30] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json['outputs']).toEqual([{ name: 'sum', datatype: 'FP32', shape: [1, 3], data: [11, 22, 33] }]);
  });

  it('returns only the outputs the request names', async () => {
    const res = await post('/v2/models/mlp/infer', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
      outputs: [{ name: 'label' }],
    });
    expect(res.status).toBe(200);
    expect((res.json['outputs'] as Array<{ name: string }>).map((o) => o.name)).toEqual(['label']);
  });

  it('answers a plain nested list for a single-input model with nested lists per output', async () => {
    const res = await post('/v2/models/iris/infer', {
      inputs: [
        [5.1, 3.5, 1.4, 0.2],
        [6.7, 3.0, 5.2, 2.3],
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ model_name: 'iris', model_version: '1' });
    const outputs = res.json['outputs'] as { label: number[]; probabilities: number[][] };
    expect(outputs.label).toHaveLength(2);
    expect(outputs.probabilities.map((p) => p.length)).toEqual([3, 3]);
  });

  it('reports OIP datatypes and shapes read from the model in its metadata', async () => {
    const res = await fetch(`${server.url}/v2/models/iris`);
    expect(await res.json()).toMatchObject({
      name: 'iris',
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
  });
});

describe('bad requests over HTTP', () => {
  it('answers malformed JSON with 400', async () => {
    const res = await post('/v2/models/iris/infer', '{"inputs": [[1, 2,');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'GS_BAD_REQUEST', error: expect.stringContaining('malformed JSON') });
  });

  it('answers a body over the configured limit with 413', async () => {
    const res = await post('/v2/models/iris/infer', { inputs: [new Array(20000).fill(1.5)] });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ code: 'GS_PAYLOAD_TOO_LARGE' });
  });

  it('answers an unknown model with 404', async () => {
    const res = await post('/v2/models/nope/infer', { inputs: [[1]] });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'GS_MODEL_NOT_FOUND', error: expect.stringContaining('nope') });
  });

  it('answers a tensor of the wrong datatype or shape with 400 saying what is wrong', async () => {
    const wrongType = await post('/v2/models/identity_fp32/infer', {
      inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 3], data: [1, 2, 3] }],
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json['error']).toMatch(/must be FP32, got INT32/);
    const wrongShape = await post('/v2/models/identity_fp32/infer', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
    });
    expect(wrongShape.status).toBe(400);
    const ragged = await post('/v2/models/iris/infer', { inputs: [[1, 2, 3, 4], [1]] });
    expect(ragged.status).toBe(400);
    expect(ragged.json['error']).toMatch(/ragged/);
  });

  it('stays up, with every model ready, after bad requests', async () => {
    await post('/v2/models/iris/infer', '{{{');
    const ready = await fetch(`${server.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    const again = await post('/v2/models/iris/infer', { inputs: [[5.1, 3.5, 1.4, 0.2]] });
    expect(again.status).toBe(200);
  });
});
