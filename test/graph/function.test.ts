import {
  InvalidOptionError,
  ModelRouter,
  RouterSpec,
  V2ModelServer,
  newFunction,
  registerClass,
  type Event,
  type ModelRequest,
  type ResolvedRoute,
} from '../../src';

class Adder extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<number>): unknown {
    return request.inputs[0]! + this.getParam<number>('add', 0);
  }
}

describe('serving function spec', () => {
  it('serializes to a dict with MLRun field names', () => {
    const fn = newFunction('spec-fn', { parameters: { p: 1 } });
    fn.setTopology('router', { urlPrefix: '/v2/models' });
    fn.addModel('m1', { className: Adder, modelPath: './models/m1', add: 5 });
    fn.addModel('m2:v1', { className: 'Adder', inputPath: 'req' });
    expect(fn.toDict()).toEqual({
      kind: 'serving',
      metadata: { name: 'spec-fn' },
      spec: {
        parameters: { p: 1 },
        graph: {
          kind: 'router',
          class_name: 'ModelRouter',
          class_args: { url_prefix: '/v2/models' },
          routes: {
            m1: { kind: 'task', class_name: 'Adder', class_args: { model_path: './models/m1', add: 5 } },
            'm2:v1': { kind: 'task', class_name: 'Adder', input_path: 'req' },
          },
        },
      },
    });
  });

  it('sets the router topology on the first addModel', () => {
    const fn = newFunction('auto');
    fn.addModel('m', { className: Adder });
    expect(fn.spec?.kind).toBe('router');
    expect([...(fn.spec as RouterSpec).routes.keys()]).toEqual(['m']);
  });

  it('rejects setting the topology twice unless existOk', () => {
    const fn = newFunction('twice');
    fn.setTopology('router');
    expect(() => fn.setTopology('router')).toThrow('graph topology is already set');
    expect(() => fn.setTopology('router', {}, { existOk: true })).not.toThrow();
  });

  it('rejects building a function without a graph', async () => {
    await expect(newFunction('empty').toMockServer()).rejects.toThrow(InvalidOptionError);
  });
});

describe('class lookup', () => {
  it('finds class names in the namespace before the registry', async () => {
    class RegisteredAdder extends Adder {
      override predict(): unknown {
        return 'registry';
      }
    }
    registerClass('LookupAdder', RegisteredAdder);
    const fn = newFunction('lookup');
    fn.addModel('m', { className: 'LookupAdder' });
    const fromRegistry = await fn.toMockServer();
    expect(await fromRegistry.test('/v2/models/m/infer', { inputs: [1] })).toMatchObject({ outputs: 'registry' });
    const fromNamespace = await fn.toMockServer({ namespace: { LookupAdder: Adder } });
    expect(await fromNamespace.test('/v2/models/m/infer', { inputs: [1] })).toMatchObject({ outputs: 1 });
  });

  it('rejects an unknown class name', async () => {
    const fn = newFunction('unknown');
    fn.addModel('m', { className: 'NoSuchModel' });
    await expect(fn.toMockServer()).rejects.toThrow('class NoSuchModel was not found in the namespace or registry');
  });

  it('passes class args to the router class', async () => {
    const fn = newFunction('prefix');
    fn.setTopology('router', { className: '*', urlPrefix: '/api/models' });
    fn.addModel('m', { className: Adder, add: 2 });
    const server = await fn.toMockServer();
    expect(await server.test('/api/models/m/infer', { inputs: [1] })).toMatchObject({ outputs: 3 });
    expect(await server.test('/api/models')).toEqual({ models: ['m'] });
    await expect(server.test('/v2/models/m/infer', { inputs: [1] })).rejects.toMatchObject({ status: 404 });
  });

  it('accepts a router subclass as the topology class', async () => {
    const routed: string[] = [];
    class LoggingRouter extends ModelRouter {
      protected override async runRoute(event: Event, route: ResolvedRoute): Promise<unknown> {
        routed.push(`${route.model}/${route.subpath}`);
        return super.runRoute(event, route);
      }
    }
    const fn = newFunction('custom-router');
    fn.setTopology('router', { className: LoggingRouter });
    fn.addModel('m', { className: Adder });
    const server = await fn.toMockServer();
    await server.test('/v2/models/m/infer', { inputs: [1] });
    expect(routed).toEqual(['m/infer']);
    expect(server.graphServer.graph).toBeInstanceOf(LoggingRouter);
  });

  it('rejects a topology class that is not a router', async () => {
    const fn = newFunction('not-router');
    fn.setTopology('router', { className: Adder });
    await expect(fn.toMockServer()).rejects.toThrow('must extend BaseRouter');
  });
});

describe('serve', () => {
  it('serves the same graph over HTTP', async () => {
    const fn = newFunction('http');
    fn.addModel('m', { className: Adder, add: 10 });
    const running = (await fn.serve({ host: '127.0.0.1', port: 0 })) as { url: string; close(): Promise<void> };
    try {
      const res = await fetch(`${running.url}/v2/models/m/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'h1', inputs: [1] }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 'h1', model_name: 'm', outputs: 11 });
      const missing = await fetch(`${running.url}/v2/models/nope/infer`, { method: 'POST', body: '{"inputs":[1]}' });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'GS_MODEL_NOT_FOUND' });
    } finally {
      await running.close();
    }
  });
});
