/** MLRun's graph.set_flow(steps, force) and insert_step(key, step, after, before), as setFlow() and insertStep(). */
import { GraphError, newFunction } from '../../src';

const add = (n: number) =>
  Object.defineProperty((body: number[]) => [...body, n], 'name', { value: `add${n}` }) as (body: number[]) => number[];

/** A user class step given as an instance. */
class Append {
  constructor(readonly options: { value: number }) {}
  do(body: number[]): number[] {
    return [...body, this.options.value];
  }
}

describe('setFlow and insertStep', () => {
  it('setFlow builds a chain of the steps in order, the last one answering', async () => {
    const fn = newFunction('chain');
    const graph = fn.setTopology('flow', { engine: 'sync' });
    const last = graph.setFlow([
      { name: 'a', handler: add(1) },
      { name: 'b', handler: add(2) },
      new Append({ value: 3 }),
    ]);
    expect(last?.name).toBe('Append');
    expect([...graph.steps.values()].map((s) => [s.name, s.after])).toEqual([
      ['a', []],
      ['b', ['a']],
      ['Append', ['b']],
    ]);
    const server = await fn.toMockServer();
    expect(await server.test('/', [0])).toEqual([0, 1, 2, 3]);
  });

  it('setFlow refuses to replace existing steps without force, and replaces them with it', async () => {
    const fn = newFunction('replace');
    const graph = fn.setTopology('flow', { engine: 'sync' });
    graph.to({ name: 'old', handler: add(9) });
    expect(() => graph.setFlow([{ name: 'new', handler: add(1) }])).toThrow(GraphError);
    expect(() => graph.setFlow([{ name: 'new', handler: add(1) }])).toThrow(
      'setFlow() called on a graph that already has steps; to replace them, pass { force: true }',
    );
    graph.setFlow([{ name: 'new', handler: add(1) }], { force: true });
    expect([...graph.steps.keys()]).toEqual(['new']);
    const server = await fn.toMockServer();
    expect(await server.test('/', [0])).toEqual([0, 1]);
  });

  it('insertStep names the step by its key and links it after and before existing steps', async () => {
    const fn = newFunction('insert');
    const graph = fn.setTopology('flow', { engine: 'sync' });
    graph.setFlow([
      { name: 'first', handler: add(1) },
      { name: 'last', handler: add(3) },
    ]);
    graph.insertStep('middle', new Append({ value: 2 }), 'first', 'last');
    graph.insertStep('tail', { handler: add(4) }, 'last');
    expect(graph.steps.get('middle')!.after).toEqual(['first']);
    expect(graph.steps.get('last')!.after).toEqual(['middle']);
    const server = await fn.toMockServer();
    expect(await server.test('/', [0])).toEqual([0, 1, 2, 3, 4]);
    expect(fn.toDict().spec.graph).toMatchObject({
      steps: { middle: { class_name: 'Append', class_args: { value: 2 }, after: ['first'] } },
    });
  });
});
