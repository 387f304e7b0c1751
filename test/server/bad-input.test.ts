/**
 * Bad input answers 4xx with {"error", "code"}, never a 500 or a crash; a model's own failures answer
 * 500 naming the model; no answer carries file paths. Over HTTP (app.inject and a real server) against
 * real ONNX models run by the native engine.
 */
jest.mock('cookie', () => ({ stringifySetCookie: (): string => '' })); // see http-app.test.ts
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/step/context';
import { newFunction } from '../../src/function/function';
import '../../src/model/onnx-model-server';
import type { ModelRequest } from '../../src/model/types';
import { V2ModelServer } from '../../src/model/v2-model-server';
import { MAX_JSON_DEPTH } from '../../src/protocol/json-text';
import { MAX_DEPTH } from '../../src/protocol/nesting';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { buildApp, serve, type RunningServer } from '../../src/server/http/http';

const FIXTURES = join(__dirname, '..', 'fixtures', 'models');
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'models');

/** Answers the request's inputs as they came. */
class Echo extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest): unknown {
    return request.inputs;
  }
}

/** Answers a list nested far deeper than JSON can be written. */
class Deep extends V2ModelServer {
  override load(): void {}
  override predict(): unknown {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    return deep;
  }
}

/** Answers the result named by its first input (see RESULTS). */
class Outputs extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest): unknown {
    return RESULTS[String(request.inputs[0])];
  }
}

const RESULTS: Record<string, unknown> = {
  plain: [
    {
      name: 'ints',
      datatype: 'INT32',
      shape: [2, 2],
      data: [
        [1, 2],
        [3, 4],
      ],
    },
    { name: 'words', datatype: 'BYTES', shape: [2], data: ['a', 'b'] },
    { name: 'floats', datatype: 'FP32', shape: [2], data: Float32Array.of(0.5, 1) },
  ],
  datatype: [{ name: 'y', datatype: 'FP33', shape: [1], data: [1] }],
  length: [{ name: 'y', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3] }],
  range: [{ name: 'y', datatype: 'UINT8', shape: [2], data: [1, 300] }],
  shape: [{ name: 'y', datatype: 'FP32', shape: [-1], data: [1] }],
  typed: [{ name: 'y', datatype: 'FP32', shape: [2], data: Float64Array.of(1, 2) }],
  ragged: [{ name: 'y', datatype: 'INT32', shape: [2, 2], data: [[1, 2, 3], [4]] }],
};

class Explains extends V2ModelServer {
  override load(): void {}
  override explain(request: ModelRequest): unknown {
    return { why: request.inputs };
  }
}

let dir: string;
let graph: GraphServer;
let server: RunningServer;

function buildFunction() {
  const fn = newFunction('bad-input');
  fn.setTopology('router');
  const onnx = (name: string, modelPath: string, extra: Record<string, unknown> = {}): void => {
    fn.addModel(name, { className: 'OnnxModelServer', modelPath, ...extra });
  };
  onnx('iris', join(EXAMPLES, 'iris', 'model.onnx'));
  onnx('ppocr', join(EXAMPLES, 'ppocr-cls', 'model.onnx'));
  onnx('add', join(FIXTURES, 'add.onnx'), { batching: false });
  onnx('broken', join(dir, 'broken', 'model.onnx'), { loadMode: 'async' });
  fn.addModel('echo', { className: Echo });
  fn.addModel('deep', { className: Deep });
  fn.addModel('outputs', { className: Outputs });
  fn.addModel('explains', { className: Explains });
  return fn;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-bad-input-'));
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, 'broken', 'model.onnx'), 'this is not an ONNX model');
  graph = await buildFunction().toGraphServer({ logger: silentLogger });
  await graph.waitForCompletion(); // the broken model's load has failed by then
  server = await serve(graph, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await buildApp(graph).inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, json: res.json() as Record<string, unknown>, text: res.body };
}

const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];

describe('deeply nested lists', () => {
  it.each(['iris', 'echo'])('answers a 5,000-level MLRun body to %s with 400', async (model) => {
    const res = await post(`/v2/models/${model}/infer`, `{"inputs": ${nested(5000)}}`);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 'GS_BAD_REQUEST',
      error: `the request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
    });
  });

  it('answers a list nested deeper than a tensor can be, given in process, with 400', async () => {
    const mock = await buildFunction().toMockServer({ logger: silentLogger });
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    await expect(mock.test('/v2/models/iris/infer', { inputs: deep })).rejects.toMatchObject({
      status: 400,
      code: 'GS_INVALID_TENSOR',
      body: {
        code: 'GS_INVALID_TENSOR',
        error: `input 'input': the list is nested more than ${MAX_DEPTH} levels deep`,
      },
    });
  });

  it('answers OIP data and shape nested deeper than a tensor can be with 400', async () => {
    const depth = MAX_DEPTH + 1;
    const res = await post('/v2/models/iris/infer', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: new Array(depth).fill(1), data: JSON.parse(nested(depth)) }],
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 'GS_INVALID_TENSOR',
      error: `input 'input': shape has ${depth} dimensions, more than ${MAX_DEPTH}`,
    });
  });

  it('answers a response too deeply nested to write with a 500 error body, and stays up', async () => {
    const res = await fetch(`${server.url}/v2/models/deep/infer`, { method: 'POST', body: '{"inputs": [1]}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      code: 'GS_MODEL_ERROR',
      error: 'the response is nested too deeply to be written as JSON',
    });
    const again = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'POST',
      body: '{"inputs": [[1, 2, 3, 4]]}',
    });
    expect(again.status).toBe(200);
  });
});

describe('empty tensors', () => {
  it.each([
    [[1, 3, 48, 0], 3],
    [[0, 3, 48, 192], 0],
  ])('answers shape %j on the PP-OCR model with 400', async (shape, dim) => {
    const res = await post('/v2/models/ppocr/infer', {
      inputs: [{ name: 'x', datatype: 'FP32', shape, data: [] }],
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 'GS_INVALID_TENSOR',
      error: `input 'x': dimension ${dim} is 0 (shape [${shape.join(', ')}]); empty tensors are not accepted`,
    });
  });

  it('answers an empty batch with 400 whatever it is sent with', async () => {
    const valid = {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0.5) }],
    };
    const empty = { inputs: [{ name: 'x', datatype: 'FP32', shape: [0, 3, 48, 192], data: [] }] };
    const answers = await Promise.all([valid, empty, valid, empty].map((b) => post('/v2/models/ppocr/infer', b)));
    expect(answers.map((a) => a.status)).toEqual([200, 400, 200, 400]);
  });
});

describe('the explain operation', () => {
  it('answers 404 for a model whose class has no explain()', async () => {
    const res = await post('/v2/models/iris/explain', { inputs: [IRIS_ROW] });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ code: 'GS_NOT_FOUND', error: 'model iris has no explain operation' });
  });

  it('still runs explain() where a class has one', async () => {
    const res = await post('/v2/models/explains/explain', { inputs: [1] });
    expect(res.status).toBe(200);
    expect(res.json['outputs']).toEqual({ why: [1] });
  });
});

describe('input names and nesting', () => {
  it('reports an input named __proto__ beside the real one as unknown', async () => {
    const res = await post('/v2/models/iris/infer', {
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 4], data: IRIS_ROW },
        { name: '__proto__', datatype: 'FP32', shape: [1, 4], data: IRIS_ROW },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 'GS_INVALID_TENSOR',
      error: "unknown input '__proto__'; the model's inputs are: input",
    });
  });

  it('answers ragged nested data whose element count matches the shape with 400', async () => {
    const res = await post('/v2/models/iris/infer', {
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [2, 4],
          data: [
            [1, 2, 3],
            [4, 5, 6, 7, 8],
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 'GS_INVALID_TENSOR',
      error: "input 'input': data is neither flat nor nested as the shape [2, 4]: [0] has 3 items, expected 4",
    });
  });
});

describe('error bodies never carry file paths', () => {
  it('redacts the source location of a real ONNX Runtime failure', async () => {
    const res = await post('/v2/models/add/infer', {
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
        { name: 'b', datatype: 'FP32', shape: [3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
      ],
    });
    expect(res.status).toBe(500);
    expect(res.json['code']).toBe('GS_MODEL_ERROR');
    expect(res.json['error']).toMatch(/^inference failed: .*Add/);
    expect(res.text).not.toMatch(/onnxruntime_src|\.(cc|h):\d+/);
  });

  it('answers a model whose load failed with 503 naming its file but not where it is', async () => {
    const res = await post('/v2/models/broken/infer', { inputs: [[1]] });
    expect(res.status).toBe(503);
    expect(res.json['code']).toBe('GS_NOT_READY');
    expect(res.json['error']).toMatch(/^model broken is not ready: .*model\.onnx/);
    expect(res.text).not.toContain(dir);
    expect(res.text).not.toContain(tmpdir());
  });
});

describe('outputs returned by predict()', () => {
  it('converts plain lists of a tensor list to the datatype and answers OIP outputs', async () => {
    const res = await post('/v2/models/outputs/infer', { id: 'p', inputs: ['plain'] });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      model_name: 'outputs',
      id: 'p',
      outputs: [
        { name: 'ints', datatype: 'INT32', shape: [2, 2], data: [1, 2, 3, 4] },
        { name: 'words', datatype: 'BYTES', shape: [2], data: ['a', 'b'] },
        { name: 'floats', datatype: 'FP32', shape: [2], data: [0.5, 1] },
      ],
    });
  });

  it.each([
    ['datatype', /^model outputs: output 'y': unknown datatype "FP33"/],
    ['length', /^model outputs: output 'y': shape \[2, 2\] holds 4 elements, data has 3$/],
    ['range', /^model outputs: output 'y': element 1 is 300, which is not a valid UINT8/],
    ['shape', /^model outputs: output 'y': shape\[0\] must be an integer from 0 to 2\^31, got -1$/],
    ['typed', /^model outputs: output 'y': FP32 data must be a list or Float32Array/],
    ['ragged', /^model outputs: output 'y': data is neither flat nor nested as the shape \[2, 2\]/],
  ])('answers an invalid tensor list (%s) with 500 naming the model and the output', async (which, message) => {
    const res = await post('/v2/models/outputs/infer', { inputs: [which] });
    expect(res.status).toBe(500);
    expect(res.json['code']).toBe('GS_MODEL_ERROR');
    expect(res.json['error']).toMatch(message);
  });
});
