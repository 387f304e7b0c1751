/**
 * Steps as instances, as MLRun's seeds write them: `graph.to(new RemoteStep({...}))`,
 * `graph.to(new BatchHttpRequests({...}))`, user class instances in to(), addStep() and addRoute(),
 * model instances in addModel(); each serializes with toDict() and loads back.
 */
import {
  BatchHttpRequests,
  RemoteStep,
  V2ModelServer,
  functionFromDict,
  newFunction,
  toYaml,
  parseGraphText,
  type ModelRequest,
} from '../../src';
import { TestServer, echo } from '../remote/http-fixture';

/** A user step class that keeps its options (so that toDict() can write them) and counts its calls. */
class AddConstant {
  calls = 0;
  constructor(readonly options: { value?: number; name?: string } = {}) {}
  do(body: { x: number }): { x: number } {
    this.calls++;
    return { x: body.x + (this.options.value ?? 0) };
  }
}

class Doubler extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<number>): number[] {
    return request.inputs.map((x) => x * Number(this.getParam('factor', 2)));
  }
}

describe('steps as instances', () => {
  let remote: TestServer;
  let url: string;

  beforeAll(async () => {
    remote = new TestServer(echo);
    url = await remote.start();
  });

  afterAll(() => remote.stop());

  it('runs graph.to(new RemoteStep(...)) and a user instance, and loads the graph back from toDict()', async () => {
    const fn = newFunction('instances');
    const add = new AddConstant({ value: 10 });
    const graph = fn.setTopology('flow', { engine: 'sync' });
    graph.to(add).to(new RemoteStep({ name: 'echo', url, method: 'POST', subpath: 'x', retries: 0 }));
    const server = await fn.toMockServer({ namespace: { AddConstant } });
    expect(await server.test('/', { x: 1 })).toMatchObject({ method: 'POST', path: '/x', body: { x: 11 } });
    expect(add.calls).toBe(1); // the instance itself ran

    const dict = fn.toDict();
    expect(dict.spec.graph).toMatchObject({
      steps: {
        AddConstant: { kind: 'task', class_name: 'AddConstant', class_args: { value: 10 } },
        echo: {
          kind: 'task',
          class_name: 'RemoteStep',
          class_args: { url, subpath: 'x', retries: 0 },
          after: ['AddConstant'],
        },
      },
    });
    const loaded = functionFromDict(parseGraphText(toYaml(dict)));
    const again = await loaded.toMockServer({ namespace: { AddConstant } });
    expect(await again.test('/', { x: 2 })).toMatchObject({ path: '/x', body: { x: 12 } });
  });

  it('runs graph.to(new BatchHttpRequests(...)) and addStep(instance)', async () => {
    const fn = newFunction('batch');
    const graph = fn.setTopology('flow', { engine: 'sync' });
    graph.to(new BatchHttpRequests({ name: 'fanout', url, retries: 0 }));
    graph.addStep(new AddConstant({ name: 'never', value: 1 }), { after: 'fanout' });
    const dict = fn.toDict();
    expect(dict.spec.graph).toMatchObject({
      steps: { fanout: { class_name: 'BatchHttpRequests', class_args: { url, retries: 0 } } },
    });
    const step = graph.steps.get('fanout')!;
    expect(step.kind).toBe('task');
    const only = newFunction('batch-only');
    only.setTopology('flow', { engine: 'sync' }).to(new BatchHttpRequests({ name: 'fanout', url, retries: 0 }));
    const server = await only.toMockServer();
    const res = (await server.test('/', [{ a: 1 }, { a: 2 }])) as Array<{ body: unknown }>;
    expect(res.map((r) => r.body)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('takes model instances in addModel() and addRoute(), serving the instance and writing its options', async () => {
    const fn = newFunction('models');
    const router = fn.setTopology('router');
    fn.addModel('d', new Doubler({ name: 'd', factor: 3 }));
    const metadata = { platform: 'js', inputs: [{ name: 'x', datatype: 'FP64', shape: [-1] }] };
    router.addRoute('q', new Doubler({ name: 'q', factor: 4, loadMode: 'async', metadata }));
    const server = await fn.toMockServer();
    await server.waitForCompletion();
    expect(await server.test('/v2/models/d/infer', { inputs: [1, 2] })).toMatchObject({ outputs: [3, 6] });
    expect(await server.test('/v2/models/q/infer', { inputs: [1] })).toMatchObject({ outputs: [4] });
    const dict = fn.toDict().spec.graph!;
    expect(dict).toMatchObject({
      kind: 'router',
      routes: {
        d: { class_name: 'Doubler', class_args: { factor: 3 }, name: 'd' },
        q: { class_name: 'Doubler', class_args: { factor: 4, load_mode: 'async', metadata }, name: 'q' },
      },
    });
    const loaded = await functionFromDict(fn.toDict()).toMockServer({ namespace: { Doubler } });
    await loaded.waitForCompletion();
    expect(await loaded.test('/v2/models/q/infer', { inputs: [2] })).toMatchObject({ outputs: [8] });
    expect(await loaded.test('/v2/models/q')).toMatchObject({ platform: 'js', inputs: metadata.inputs });
  });
});
