/**
 * Flow graphs through the mock server: chains, branches, merges, responders, error handlers (step
 * and graph level, both engines), input/result paths, routers inside flows and queues.
 */
import {
  GraphError,
  Merge,
  MockServerError,
  V2ModelServer,
  newFunction,
  silentLogger,
  type Event,
  type ModelRequest,
  type ServingContext,
} from '../../src';
import { MAX_KEPT_FLOW_ERRORS } from '../../src/graph/flow/runner';

/** Appends its name to the body's `trail` list. */
class Tag {
  readonly name: string;
  constructor(options: { name: string }) {
    this.name = options.name;
  }
  do(body: { trail: string[] }): { trail: string[] } {
    return { ...body, trail: [...body.trail, this.name] };
  }
}

class Raiser {
  do(): never {
    throw new Error('simulated error');
  }
}

class Catcher {
  doEvent(event: Event): unknown {
    return { caught: event.origin_state, message: (event.error as Error).message, body: event.body };
  }
}

class Doubler extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<number>): number[] {
    return request.inputs.map((x) => x * 2);
  }
}

const namespace = { Tag, Raiser, Catcher, Doubler };
const start = () => ({ trail: [] as string[] });

describe('async flows', () => {
  it('runs a chain and answers with the responder output', async () => {
    const fn = newFunction('chain');
    const g = fn.setTopology('flow');
    g.to({ className: 'Tag', name: 'a' })
      .to({ className: Tag, name: 'b' })
      .to({ className: 'Tag', name: 'c' })
      .respond();
    const mock = await fn.toMockServer({ namespace });
    expect(await mock.test('/', start())).toEqual({ trail: ['a', 'b', 'c'] });
    await mock.waitForCompletion();
  });

  it('runs branches concurrently on copies of the event and joins them with Merge', async () => {
    const fn = newFunction('branches');
    const graph = fn.setTopology('flow');
    const a = graph.to({ className: 'Tag', name: 'a' });
    a.to({ className: 'Tag', name: 'left' });
    a.to({ className: 'Tag', name: 'right' });
    graph.addStep({ className: Merge, name: 'join', after: ['left', 'right'] }).respond();
    const mock = await fn.toMockServer({ namespace });
    const merged = (await mock.test('/', start())) as Array<{ trail: string[] }>;
    expect(merged.map((b) => b.trail).sort()).toEqual([
      ['a', 'left'],
      ['a', 'right'],
    ]);
    await mock.waitForCompletion();
  });

  it('answers {id} at once without a responder and keeps later errors for waitForCompletion', async () => {
    const fn = newFunction('fire');
    const seen: unknown[] = [];
    const graph = fn.setTopology('flow');
    graph
      .to({ handler: async (body: unknown) => body, name: 'first' })
      .to({ handler: (b: unknown) => seen.push(b), name: 'sink' });
    graph.to({ className: 'Raiser', name: 'boom' });
    const mock = await fn.toMockServer({ namespace, logger: silentLogger });
    expect(await mock.test('/', { x: 1 }, { eventId: 'e1' })).toEqual({ id: 'e1' });
    await expect(mock.waitForCompletion()).rejects.toThrow('simulated error');
    expect(seen).toEqual([{ x: 1 }]);
    await expect(mock.waitForCompletion()).resolves.toBeUndefined();
  });

  it('keeps at most MAX_KEPT_FLOW_ERRORS errors after the response, and counts the rest', async () => {
    const fn = newFunction('many-failures');
    fn.setTopology('flow').to({ className: 'Raiser', name: 'boom' });
    const mock = await fn.toMockServer({ namespace, logger: silentLogger });
    const count = MAX_KEPT_FLOW_ERRORS + 5;
    for (let i = 0; i < count; i++) await mock.test('/', { x: i });
    const failure = await mock.waitForCompletion().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure?.message).toMatch(
      new RegExp(`^${count} flow error\\(s\\) after the response: .*\\(and 5 more, not kept\\)$`),
    );
    expect((failure?.cause as AggregateError).errors).toHaveLength(MAX_KEPT_FLOW_ERRORS);
  });

  it('fails the request with an error of any branch that comes before the responder', async () => {
    const fn = newFunction('fails');
    fn.setTopology('flow').to({ className: 'Raiser', name: 'boom' }).to({ className: 'Tag', name: 'never' }).respond();
    const mock = await fn.toMockServer({ namespace, logger: silentLogger });
    const err = (await mock.test('/', start()).catch((e: unknown) => e)) as MockServerError;
    expect(err.status).toBe(500);
    expect(err.message).toContain('simulated error');
  });

  it('sends a failing step to its error handler, whose output is the response', async () => {
    const fn = newFunction('handled');
    const graph = fn.setTopology('flow');
    graph
      .to({ className: 'Tag', name: 'a' })
      .to({ className: 'Raiser', name: 'boom' })
      .errorHandler({ className: 'Catcher', name: 'catch' })
      .to({ className: 'Tag', name: 'b' })
      .respond();
    const mock = await fn.toMockServer({ namespace });
    expect(await mock.test('/', start())).toEqual({
      caught: 'boom',
      message: 'simulated error',
      body: { trail: ['a'] },
    });
  });

  it("continues from the error handler's before steps", async () => {
    const fn = newFunction('before');
    const graph = fn.setTopology('flow');
    const boom = graph.to({ className: 'Tag', name: 'a' }).to({ className: 'Raiser', name: 'boom' });
    boom.to({ handler: (body: unknown) => ({ finished: body }), name: 'finish' }).respond();
    expect(boom.errorHandler({ className: 'Catcher', name: 'catch', before: 'finish' })).toBe(boom);
    const mock = await fn.toMockServer({ namespace });
    expect(await mock.test('/', start())).toEqual({
      finished: { caught: 'boom', message: 'simulated error', body: { trail: ['a'] } },
    });
  });

  it('uses the graph error handler for steps without their own', async () => {
    const fn = newFunction('graph-handler');
    const graph = fn.setTopology('flow');
    graph
      .to({ className: 'Tag', name: 'a' })
      .to({ className: 'Raiser', name: 'boom' })
      .to({ className: 'Tag', name: 'b' })
      .respond();
    graph.errorHandler({ className: 'Catcher', name: 'on-any' });
    const mock = await fn.toMockServer({ namespace });
    expect(await mock.test('/', start())).toMatchObject({ caught: 'boom', message: 'simulated error' });
  });

  it('reads inputPath and writes resultPath, creating missing objects', async () => {
    const fn = newFunction('paths');
    fn.setTopology('flow')
      .to({
        handler: (x: unknown) => (x as number) * 10,
        name: 'times',
        inputPath: 'data.b',
        resultPath: 'out.deep.value',
      })
      .respond();
    const mock = await fn.toMockServer();
    expect(await mock.test('/', { data: { a: 5, b: 7 } })).toEqual({
      data: { a: 5, b: 7 },
      out: { deep: { value: 70 } },
    });
  });

  it('passes the graph context to handler functions and full events to fullEvent handlers', async () => {
    const fn = newFunction('ctx', { parameters: { greeting: 'hi' } });
    fn.setTopology('flow')
      .to({
        name: 'ctx',
        handler: (_b: unknown, context: unknown) => (context as ServingContext).parameters['greeting'],
      })
      .to({
        name: 'whole',
        fullEvent: true,
        handler: (e: unknown) => ({ ...(e as Event), body: [(e as Event).body, (e as Event).path] }),
      })
      .respond();
    const mock = await fn.toMockServer();
    expect(await mock.test('/some/path', { x: 1 })).toEqual(['hi', '/some/path']);
  });

  it('routes inside a flow through a router and models added with addModel', async () => {
    const fn = newFunction('nested');
    const graph = fn.setTopology('flow');
    graph
      .to({ className: '*', name: 'models', inputPath: 'req', resultPath: 'resp' })
      .to('>>')
      .to({ handler: (b: unknown) => (b as { resp: { outputs: number[] } }).resp.outputs, name: 'pick' })
      .respond();
    fn.addModel('double', { className: 'Doubler' });
    const mock = await fn.toMockServer({ namespace });
    expect(await mock.test('/v2/models/double/infer', { req: { inputs: [1, 2] } })).toEqual([2, 4]);
  });

  it("resolves '*VotingEnsemble' through the registry and votes inside a flow", async () => {
    const fn = newFunction('ensemble');
    fn.setTopology('flow')
      .to({ className: '*VotingEnsemble', name: 'vote', voteType: 'regression', resultPath: 'vote' })
      .respond();
    fn.addModel('a', { className: 'Doubler' });
    fn.addModel('b', { className: 'Doubler' });
    expect(fn.toDict().spec.graph).toMatchObject({ steps: { vote: { kind: 'router', class_name: 'VotingEnsemble' } } });
    const mock = await fn.toMockServer({ namespace });
    const res = (await mock.test('/v2/models/infer', { inputs: [[1], [2]] })) as { vote: { outputs: unknown } };
    expect(res.vote.outputs).toEqual([2, 4]);
    await mock.waitForCompletion();
  });

  it('refuses addModel on a flow without a router, and asks which router when there are several', () => {
    const fn = newFunction('norouter');
    const graph = fn.setTopology('flow');
    expect(() => fn.addModel('m', { className: Doubler })).toThrow('does not contain any router');
    graph.to({ className: '*', name: 'r1' });
    graph.to({ className: '*', name: 'r2' });
    expect(() => fn.addModel('m', { className: Doubler })).toThrow('found 2 routers, please specify the routerStep');
    expect(fn.addModel('m', { className: Doubler, routerStep: 'r2' })).toEqual({ className: Doubler });
  });
});

describe('sync flows', () => {
  it("answers with the last step's output", async () => {
    const fn = newFunction('sync');
    fn.setTopology('flow', { engine: 'sync' }).to({ className: 'Tag', name: 'a' }).to({ className: 'Tag', name: 'b' });
    const mock = await fn.toMockServer({ namespace });
    expect(await mock.test('/', start())).toEqual({ trail: ['a', 'b'] });
  });

  it('continues after a step error handler and stops at the graph error handler', async () => {
    const fn = newFunction('sync-errors');
    const graph = fn.setTopology('flow', { engine: 'sync' });
    graph.to({ className: 'Raiser', name: 'boom' }).errorHandler({ className: 'Catcher', name: 'catch' });
    const mock = await fn.toMockServer({ namespace });
    expect(await mock.test('/', start())).toEqual({ caught: 'boom', message: 'simulated error', body: { trail: [] } });

    const fn2 = newFunction('sync-graph-errors');
    const g2 = fn2.setTopology('flow', { engine: 'sync' });
    g2.to({ className: 'Tag', name: 'a' })
      .to({ className: 'Raiser', name: 'boom' })
      .to({ className: 'Tag', name: 'never' });
    g2.errorHandler({ className: 'Catcher', name: 'on-any' });
    const mock2 = await fn2.toMockServer({ namespace });
    expect(await mock2.test('/', start())).toMatchObject({ caught: 'boom', body: { trail: ['a'] } });
  });

  it('answers an unhandled step error with its status', async () => {
    const fn = newFunction('sync-raise');
    fn.setTopology('flow', { engine: 'sync' }).to({ className: 'Raiser', name: 'boom' });
    const mock = await fn.toMockServer({ namespace, logger: silentLogger });
    await expect(mock.test('/', start())).rejects.toMatchObject({ status: 500 });
  });

  it('refuses branches', async () => {
    const fn = newFunction('sync-branch');
    const a = fn.setTopology('flow', { engine: 'sync' }).to({ className: 'Tag', name: 'a' });
    a.to({ className: 'Tag', name: 'x' });
    a.to({ className: 'Tag', name: 'y' });
    await expect(fn.toMockServer({ namespace })).rejects.toThrow(GraphError);
  });
});
