/**
 * Router routes as MLRun allows them: ParallelRun and VotingEnsemble children that are handler functions
 * or `do(body)` classes (not only model servers or doEvent classes), an unmergeable child result as an
 * error, MLRun's default ensemble name, and version errors that list the versions that exist.
 */
import { V2ModelServer, VotingEnsemble, newFunction, silentLogger, type ModelRequest } from '../../src';

/** A `do(body)` class: no doEvent. */
class Scale {
  constructor(private readonly options: { factor?: number } = {}) {}
  do(body: { inputs: number[] }): { scaled: number[] } {
    return { scaled: body.inputs.map((x) => x * (this.options.factor ?? 1)) };
  }
}

function sum(body: { inputs: number[] }): { sum: number } {
  return { sum: body.inputs.reduce((a, b) => a + b, 0) };
}

/** A `do(body)` class that answers a list of predictions, as a vote needs. */
class Threshold {
  constructor(private readonly options: { cut?: number } = {}) {}
  do(body: { inputs: number[] }): number[] {
    return body.inputs.map((x) => (x > (this.options.cut ?? 0) ? 1 : 0));
  }
}

class Echo extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<number>): number[] {
    return request.inputs;
  }
}

describe('ParallelRun routes', () => {
  it('runs handler functions and do(body) classes and merges their results', async () => {
    const fn = newFunction('par');
    fn.setTopology('router', { className: 'ParallelRun', name: 'par' });
    fn.addModel('total', { handler: sum });
    fn.addModel('by-name', { handler: 'sum', resultPath: 'named' });
    fn.addModel('scale', { className: Scale, factor: 10 });
    fn.addModel('twice', new Scale({ factor: 2 }));
    const server = await fn.toMockServer({ namespace: { sum } });
    const res = await server.test('/', { inputs: [1, 2] });
    // 'twice' is merged after 'scale': the later route's key wins
    expect(res).toEqual({ sum: 3, inputs: [1, 2], named: { sum: 3 }, scaled: [2, 4] });
  });

  it('fails the request, naming the route, when a handler result cannot be merged', async () => {
    const fn = newFunction('par');
    fn.setTopology('router', { className: 'ParallelRun', name: 'par' });
    fn.addModel('ok', { handler: sum });
    fn.addModel('bad', { handler: (body: { inputs: number[] }) => body.inputs.length });
    const server = await fn.toMockServer({ logger: silentLogger });
    const res = await server.test('/', { inputs: [1] }, { silent: true, getBody: false });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: 'par: route bad returned a number, which cannot be merged',
      code: 'GS_MODEL_ERROR',
    });
  });
});

describe('VotingEnsemble routes and name', () => {
  it('is named VotingEnsemble when unnamed, answering /v2/models/VotingEnsemble/infer like a single model', async () => {
    const fn = newFunction('vote');
    fn.setTopology('router', { className: 'VotingEnsemble' });
    fn.addModel('a', { className: Threshold, cut: 1 });
    fn.addModel('b', { handler: (body: { inputs: number[] }) => body.inputs.map((x) => (x > 2 ? 1 : 0)) });
    fn.addModel('c', new Threshold({ cut: 0 }));
    const server = await fn.toMockServer();
    const res = await server.test('/v2/models/VotingEnsemble/infer', { inputs: [1, 2, 3] });
    expect(Object.keys(res as object)).toEqual(['id', 'model_name', 'outputs', 'timestamp', 'model_version']);
    expect(res).toMatchObject({ model_name: 'VotingEnsemble', outputs: [0, 1, 1], model_version: 'v1' });
    expect(await server.test('/v2/models')).toMatchObject({ models: ['a', 'b', 'c', 'VotingEnsemble'] });
  });

  it('is named VotingEnsemble when given as a class or as "*VotingEnsemble" too', async () => {
    for (const className of [VotingEnsemble, '*VotingEnsemble']) {
      const fn = newFunction('vote');
      fn.setTopology('router', { className });
      fn.addModel('e', { className: Echo });
      const server = await fn.toMockServer();
      expect(await server.test('/v2/models/VotingEnsemble/infer', { inputs: [1] })).toMatchObject({ outputs: [1] });
    }
  });

  it('fails when a handler route answers something that is not a list of predictions', async () => {
    const fn = newFunction('vote');
    fn.setTopology('router', { className: 'VotingEnsemble', onChildError: 'fail' });
    fn.addModel('odd', { handler: () => 'yes' });
    const server = await fn.toMockServer({ logger: silentLogger });
    const res = await server.test('/v2/models/VotingEnsemble/infer', { inputs: [1] }, { silent: true, getBody: false });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'cannot vote on the response of model odd: it has no outputs' });
  });
});

describe('version errors', () => {
  it('list the version a model added by name declares', async () => {
    const fn = newFunction('versions');
    fn.addModel('iris', { className: Echo, name: 'iris:1' });
    fn.addModel('other:v1', { className: Echo });
    fn.addModel('other:v2', { className: Echo });
    const server = await fn.toMockServer();
    expect(await server.test('/v2/models/iris/versions/1/infer', { inputs: [1] })).toMatchObject({
      model_version: '1',
    });
    const missing = await server.test('/v2/models/iris/versions/2/infer', { inputs: [1] }, { silent: true });
    expect(missing).toEqual({
      error: 'model iris has no version 2, available versions: 1',
      code: 'GS_MODEL_NOT_FOUND',
    });
    const other = await server.test('/v2/models/other/versions/v9/infer', { inputs: [1] }, { silent: true });
    expect(other).toMatchObject({ error: 'model other has no version v9, available versions: v1 | v2' });
  });
});
