import { InvalidOptionError, newFunction, silentLogger, type StepSpec } from '../../src';
import type { MockServer } from '../../src';
import { Broken, Constant, Echo, Mutator } from './fixtures/children';

const namespace = { Constant, Broken, Echo, Mutator };

async function ensemble(routes: Record<string, StepSpec>, args: StepSpec = {}): Promise<MockServer> {
  const fn = newFunction('ens');
  fn.setTopology('router', { className: 'VotingEnsemble', name: 'ens', ...args });
  for (const [key, spec] of Object.entries(routes)) fn.addModel(key, spec);
  return fn.toMockServer({ namespace, logger: silentLogger });
}

const constant = (outputs: unknown): StepSpec => ({ className: 'Constant', outputs });
type Envelope = { id: string; model_name: string; outputs: unknown; model_version?: string };

describe('VotingEnsemble votes', () => {
  it('takes the majority class per sample, ties going to the lowest class', async () => {
    const server = await ensemble({ a: constant([1, 0, 2]), b: constant([1, 2, 0]), c: constant([0, 2, 1]) });
    const res = (await server.test('/v2/models/ens/infer', { inputs: [1, 2, 3] })) as Envelope;
    expect(res.outputs).toEqual([1, 2, 0]);
    expect(res.model_name).toBe('ens');
    expect(res.model_version).toBe('v1');
  });

  it('averages regression predictions', async () => {
    const server = await ensemble({ a: constant([1.5, 2]), b: constant([2.5, 4]) });
    const res = (await server.test('/v2/models/infer', { inputs: [1, 2] })) as Envelope;
    expect(res.outputs).toEqual([2, 3]);
  });

  it('detects the vote type once, from the first predictions', async () => {
    const server = await ensemble({ a: constant([1.0]), b: constant([3]) });
    expect(((await server.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope).outputs).toEqual([1]);
    const graph = server.graphServer.graph as unknown as { voteType: string };
    expect(graph.voteType).toBe('classification');
  });

  it('uses an explicit vote type', async () => {
    const server = await ensemble({ a: constant([1]), b: constant([2]) }, { voteType: 'regression' });
    expect(((await server.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope).outputs).toEqual([1.5]);
  });

  it('normalises weights, whatever their sum', async () => {
    const routes = { a: constant([10]), b: constant([20]) };
    const big = await ensemble(routes, { voteType: 'regression', weights: { a: 3, b: 1 } });
    expect(((await big.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope).outputs).toEqual([12.5]);
    const small = await ensemble(routes, { voteType: 'regression', weights: { a: 0.15, b: 0.05 } });
    expect(
      ((await small.test('/v2/models/ens/infer', { inputs: [1] })) as { outputs: number[] }).outputs[0],
    ).toBeCloseTo(12.5);
  });

  it('lets weights outvote the majority', async () => {
    const server = await ensemble(
      { a: constant([1]), b: constant([1]), c: constant([2]) },
      { weights: { a: 1, b: 1, c: 3 } },
    );
    expect(((await server.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope).outputs).toEqual([2]);
  });

  it('reads and writes the prediction column with formatResponseWithColNameFlag', async () => {
    const server = await ensemble(
      { a: constant({ label: [1, 0] }), b: constant({ label: [1, 1] }), c: constant({ label: [0, 0] }) },
      { formatResponseWithColNameFlag: true, predictionColName: 'label' },
    );
    const res = (await server.test('/v2/models/ens/infer', { inputs: [1, 2] })) as Envelope;
    expect(res.outputs).toEqual({ label: [1, 0] });
  });

  it('gives each child its own copy of the body', async () => {
    const routes = { m: { className: 'Mutator' }, e: { className: 'Echo' } };
    const server = await ensemble(routes, { voteType: 'regression', executorType: 'array' });
    const res = (await server.test('/v2/models/ens/infer', { inputs: [2] })) as Envelope;
    expect(res.outputs).toEqual([51]);
  });
});

describe('VotingEnsemble routing', () => {
  const routes = { a: constant([1]), b: constant([2]) };

  it('passes a model path through to that child unchanged', async () => {
    const server = await ensemble(routes);
    const res = (await server.test('/v2/models/b/infer', { inputs: [1], id: 'x1' })) as Envelope;
    expect(res).toMatchObject({ id: 'x1', model_name: 'b', outputs: [2] });
  });

  it('lists the models with their normalised weights', async () => {
    const server = await ensemble(routes, { weights: { a: 3, b: 1 } });
    expect(await server.test('/v2/models')).toEqual({ models: ['a', 'b', 'ens'], weights: { a: 0.75, b: 0.25 } });
  });

  it('answers its metadata for GET on its own name', async () => {
    const server = await ensemble(routes);
    expect(await server.test('/v2/models/ens')).toEqual({ name: 'ens', version: 'v1', inputs: [], outputs: [] });
  });

  it("votes in stream mode, or passes through to the body's model", async () => {
    const server = await ensemble(routes, { voteType: 'regression' });
    expect(((await server.test('/', { inputs: [1] })) as Envelope).outputs).toEqual([1.5]);
    expect(((await server.test('/', { inputs: [1], model: 'b' })) as Envelope).outputs).toEqual([2]);
  });

  it('rejects an unknown operation and an unknown model', async () => {
    const server = await ensemble(routes);
    await expect(server.test('/v2/models/ens/train', { inputs: [1] })).rejects.toMatchObject({ status: 404 });
    await expect(server.test('/v2/models/nope/infer', { inputs: [1] })).rejects.toMatchObject({ status: 404 });
  });

  it('is a client error when the request is bad for the children', async () => {
    const server = await ensemble(routes);
    await expect(server.test('/v2/models/ens/infer', { data: 1 })).rejects.toMatchObject({ status: 400 });
  });
});

describe('VotingEnsemble weights validation', () => {
  const routes = { a: constant([1]), b: constant([2]) };

  it.each([
    [{ a: -1, b: 1 }, 'weight of model a must be a finite number >= 0'],
    [{ a: 'x', b: 1 }, 'weight of model a must be a finite number >= 0'],
    [{ a: 0, b: 0 }, 'weights must not all be 0'],
    [{ a: 1, c: 1 }, 'weights name model c, which is not a route'],
  ])('rejects weights %j at start', async (weights, message) => {
    await expect(ensemble(routes, { weights })).rejects.toThrow(InvalidOptionError);
    await expect(ensemble(routes, { weights })).rejects.toThrow(message);
  });

  it('rejects an unknown vote type and executor type', async () => {
    await expect(ensemble(routes, { voteType: 'median' })).rejects.toThrow('voteType must be');
    await expect(ensemble(routes, { executorType: 'fork' })).rejects.toThrow('executorType must be one of');
  });
});
