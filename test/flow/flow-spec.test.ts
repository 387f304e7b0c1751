/**
 * Flow specs: serialization with MLRun's field names, JSON and YAML round trips that serve the same
 * answers, and the validation errors (each with its message).
 */
import {
  FlowSpec,
  GraphError,
  Merge,
  RouterSpec,
  flowFromDict,
  functionFromDict,
  newFunction,
  parseGraphText,
  toYaml,
  type FlowDict,
} from '../../src';
import { apologise, audit, buildFlow, clean, Doubler, summarize } from '../../examples/flow';

const namespace = { Doubler, clean, summarize, audit, apologise };

class Echo {
  do(body: unknown): unknown {
    return body;
  }
}

describe('flow serialization', () => {
  it("writes MLRun's field names", () => {
    expect(buildFlow().fn.toDict().spec.graph).toEqual({
      kind: 'flow',
      engine: 'async',
      on_error: 'on-error',
      steps: {
        preprocess: { kind: 'task', name: 'preprocess', handler: 'clean' },
        models: {
          kind: 'router',
          name: 'models',
          class_name: 'ModelRouter',
          after: ['preprocess'],
          routes: { double: { kind: 'task', class_name: 'Doubler' } },
        },
        postprocess: { kind: 'task', name: 'postprocess', handler: 'summarize', after: ['models'], responder: true },
        audit: { kind: 'task', name: 'audit', handler: 'audit', after: ['preprocess'] },
        'on-error': { kind: 'error_step', name: 'on-error', handler: 'apologise', full_event: true },
      },
    });
  });

  it('keeps class args, paths, queues, step error handlers and router class args', () => {
    const graph = new FlowSpec({ engine: 'sync' });
    graph
      .to({ className: 'Echo', name: 'e', inputPath: 'a.b', resultPath: 'c', factor: 3 })
      .errorHandler({ className: 'Echo', name: 'catch' })
      .to({ className: '>>', name: 'q', path: '' })
      .to(new RouterSpec({ name: 'r', className: 'ModelRouter', urlPrefix: '/x' }));
    const dict = graph.toDict();
    expect(dict.steps['e']).toEqual({
      kind: 'task',
      name: 'e',
      class_name: 'Echo',
      class_args: { factor: 3 },
      input_path: 'a.b',
      result_path: 'c',
      on_error: 'catch',
    });
    expect(dict.steps['q']).toEqual({ kind: 'queue', name: 'q', class_args: { path: '' }, after: ['e'] });
    expect(dict.steps['r']).toMatchObject({ kind: 'router', class_args: { url_prefix: '/x' }, after: ['q'] });
    expect(flowFromDict(JSON.parse(JSON.stringify(dict)) as FlowDict).toDict()).toEqual(dict);
  });

  it('round-trips through JSON and serves the same answers', async () => {
    const loaded = functionFromDict(JSON.parse(JSON.stringify(buildFlow().fn.toDict())));
    expect(loaded.toDict()).toEqual(buildFlow().fn.toDict());
    const mock = await loaded.toMockServer({ namespace });
    expect(await mock.test('/v2/models/double/infer', { inputs: [1, '4'] })).toEqual({ model: 'double', total: 10 });
    expect(await mock.test('/v2/models/nope/infer', { inputs: [1] })).toMatchObject({ failed: 'models' });
    await mock.waitForCompletion();
  });

  it('round-trips through YAML, as a serving function or a bare graph', async () => {
    const yaml = toYaml(buildFlow().fn.toDict());
    expect(yaml).toContain('class_name: ModelRouter');
    expect(yaml).toContain('on_error: on-error');
    const loaded = functionFromDict(parseGraphText(yaml));
    expect(loaded.toDict()).toEqual(buildFlow().fn.toDict());
    const bare = functionFromDict(parseGraphText(toYaml(buildFlow().graph.toDict()), 'bare'));
    expect(bare.toDict().spec.graph).toEqual(buildFlow().graph.toDict());
    const mock = await bare.toMockServer({ namespace });
    expect(await mock.test('/v2/models/double/infer', { inputs: [5] })).toEqual({ model: 'double', total: 10 });
    await mock.waitForCompletion();
  });

  it('refuses text that is not a graph spec', () => {
    expect(() => parseGraphText('a: [')).toThrow('not valid YAML or JSON');
    expect(() => parseGraphText('just text')).toThrow('must be an object');
    expect(() => parseGraphText('kind: serving\nspec: {}')).toThrow('needs spec.graph');
  });
});

async function buildError(graph: FlowSpec, ns: Record<string, unknown> = { Echo }): Promise<unknown> {
  const fn = newFunction('invalid');
  fn.setGraph(graph);
  return fn.toMockServer({ namespace: ns }).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('flow validation', () => {
  it('refuses an unknown after or before when the step is added', () => {
    const graph = new FlowSpec();
    graph.to({ className: 'Echo', name: 'a' });
    expect(() => graph.addStep({ className: 'Echo', name: 'b', after: 'nope' })).toThrow(
      new GraphError('cannot set after: there is no step named nope'),
    );
    expect(() => graph.addStep({ className: 'Echo', name: 'b', before: 'nope' })).toThrow(
      'cannot set before: there is no step named nope',
    );
    expect(() => graph.addStep({ className: 'Echo', name: 'b', after: 'a', before: 'a' })).toThrow(
      'graph loop: step a is both before and after b',
    );
    expect(() => graph.to({ className: 'Echo', name: 'a' })).toThrow('a step named a already exists');
  });

  it('inserts a step before another and follows $prev', async () => {
    const graph = new FlowSpec({ engine: 'sync' });
    graph.to({ handler: (b: number) => b + 1, name: 'one' }).to({ handler: (b: number) => b * 10, name: 'ten' });
    graph.addStep({ handler: (b: number) => b - 3, name: 'minus', before: 'ten' });
    graph.addStep({ handler: (b: number) => [b], name: 'wrap', after: '$prev' });
    expect(graph.steps.get('ten')!.after).toEqual(['minus']);
    expect(graph.steps.get('wrap')!.after).toEqual(['minus']);
    graph.steps.get('ten')!.after = ['wrap'];
    const fn = newFunction('insert');
    fn.setGraph(graph);
    expect(await (await fn.toMockServer()).test('/', 5)).toBe(30);
  });

  it('refuses a loop', async () => {
    const dict: FlowDict = {
      kind: 'flow',
      steps: {
        s: { kind: 'task', class_name: 'Echo' },
        a: { kind: 'task', class_name: 'Echo', after: ['s', 'b'] },
        b: { kind: 'task', class_name: 'Echo', after: ['a'] },
      },
    };
    expect(await buildError(flowFromDict(dict))).toEqual(
      new GraphError('loop detected in step a, the graph must be acyclic (a DAG)'),
    );
  });

  it('refuses more than one responder', async () => {
    const graph = new FlowSpec();
    graph.to({ className: 'Echo', name: 'a' }).respond();
    graph.to({ className: 'Echo', name: 'b' }).respond();
    expect(await buildError(graph)).toEqual(
      new GraphError('there is more than one responder step in the graph (a, b)'),
    );
  });

  it('refuses branches and several start steps in the sync engine', async () => {
    const branches = new FlowSpec({ engine: 'sync' });
    const a = branches.to({ className: 'Echo', name: 'a' });
    a.to({ className: 'Echo', name: 'x' });
    a.to({ className: 'Echo', name: 'y' });
    expect(await buildError(branches)).toEqual(
      new GraphError('the sync engine does not support branches: step a is followed by x, y; use the async engine'),
    );
    const starts = new FlowSpec({ engine: 'sync' });
    starts.to({ className: 'Echo', name: 'a' });
    starts.to({ className: 'Echo', name: 'b' });
    expect(await buildError(starts)).toEqual(
      new GraphError('the sync engine can only have one start step (a step without after), found: a, b'),
    );
  });

  it('refuses a step without a handler, and a class without do, doEvent or the named method', async () => {
    const bare = new FlowSpec();
    bare.to({ name: 'nothing' });
    expect(await buildError(bare)).toEqual(
      new GraphError('step nothing does not have a handler: give it a className or a handler function'),
    );
    class Empty {}
    const empty = new FlowSpec();
    empty.to({ className: Empty, name: 'e' });
    expect(await buildError(empty)).toEqual(
      new GraphError('step e does not have a handler: class Empty has no do or doEvent'),
    );
    const method = new FlowSpec();
    method.to({ className: Echo, name: 'm', handler: 'transform' });
    expect(await buildError(method)).toEqual(
      new GraphError('handler transform was given, but class Echo has no such method'),
    );
    const named = new FlowSpec();
    named.to({ handler: 'missing', name: 'h' });
    expect(await buildError(named)).toEqual(new GraphError('step h: handler missing was not found in the namespace'));
  });

  it('refuses an empty flow, bad error handlers and unknown classes', async () => {
    expect(await buildError(new FlowSpec())).toEqual(
      new GraphError('the flow has no steps, add some with graph.to() or addStep()'),
    );
    const graph = new FlowSpec();
    graph.to({ className: 'Echo', name: 'a' });
    expect(() => graph.errorHandler({ className: 'Echo', before: 'a' })).toThrow(
      'a graph error handler cannot have before',
    );
    expect(() => graph.steps.get('a')!.errorHandler({ name: 'x' })).toThrow(
      'an error handler needs a className or a handler',
    );
    graph.to({ className: 'Nowhere', name: 'n' });
    expect(String(await buildError(graph))).toContain('class Nowhere was not found in the namespace or registry');
  });

  it('resolves Merge and routers by name from the registry', async () => {
    const graph = new FlowSpec();
    graph.to({ className: 'Echo', name: 'a' });
    graph.to({ className: 'Echo', name: 'b' });
    graph.addStep({ className: 'Merge', name: 'm', after: ['a', 'b'] }).respond();
    expect(graph.toDict().steps['m']).toMatchObject({ class_name: 'Merge' });
    expect(Merge.name).toBe('Merge');
    const fn = newFunction('merge');
    fn.setGraph(graph);
    const mock = await fn.toMockServer({ namespace: { Echo } });
    expect(await mock.test('/', { v: 1 })).toEqual([{ v: 1 }, { v: 1 }]);
  });
});
