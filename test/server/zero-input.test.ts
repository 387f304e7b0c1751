/**
 * A model with no inputs (ONNX's test_constant kind) over HTTP: called with `{"inputs": []}`, answered
 * with OIP outputs, by the real engine.
 */
jest.mock('cookie', () => ({ stringifySetCookie: (): string => '' })); // see http-app.test.ts
import { join } from 'node:path';
import { silentLogger } from '../../src/step/context';
import { newFunction } from '../../src/function/function';
import '../../src/model/onnx-model-server';
import { isTensorRequest } from '../../src/protocol';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { buildApp } from '../../src/server/http/http';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CONSTANT_VALUES } = require('../../scripts/models/fixtures') as { CONSTANT_VALUES: number[] };

const FIXTURES = join(__dirname, '..', 'fixtures', 'models');

let graph: GraphServer;

beforeAll(async () => {
  const fn = newFunction('zero-input');
  fn.setTopology('router');
  fn.addModel('constant', { className: 'OnnxModelServer', modelPath: join(FIXTURES, 'constant.onnx') });
  graph = await fn.toGraphServer({ logger: silentLogger });
});

function infer(body: unknown) {
  return buildApp(graph).inject({ method: 'POST', url: '/v2/models/constant/infer', payload: body as object });
}

describe('a model with no inputs', () => {
  it('treats an empty inputs list as an OIP tensor request', () => {
    expect(isTensorRequest({ inputs: [] })).toBe(true);
  });

  it('answers {"inputs": []} with its OIP outputs', async () => {
    const res = await infer({ id: 'c1', inputs: [] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      model_name: 'constant',
      id: 'c1',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 3], data: CONSTANT_VALUES }],
    });
  });

  it('answers concurrent requests, each with the whole output', async () => {
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => infer({ inputs: [] })));
    for (const res of all) {
      expect(res.statusCode).toBe(200);
      expect(res.json().outputs[0].data).toEqual(CONSTANT_VALUES);
    }
  });

  it('reports no inputs in its metadata', async () => {
    const res = await buildApp(graph).inject({ method: 'GET', url: '/v2/models/constant' });
    expect(res.json()).toMatchObject({ inputs: [], outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 3] }] });
  });

  it.each<[string, unknown]>([
    ['an OIP tensor', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }],
    ['a plain list', { inputs: [[1, 2, 3]] }],
  ])('rejects %s with 400 naming the model', async (_what, body) => {
    const res = await infer(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: 'GS_BAD_REQUEST',
      error: 'model constant takes no inputs; send {"inputs": []}',
    });
  });
});
