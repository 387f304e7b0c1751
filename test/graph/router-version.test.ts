import { MockServerError, V2ModelServer, newFunction, silentLogger, type ModelRequest } from '../../src';

class Echo extends V2ModelServer {
  override load(): void {}

  override predict(request: ModelRequest): unknown {
    return request.inputs;
  }
}

describe('versioned paths to a model added by name', () => {
  it('answers /versions/<v> for the version the model declares, and 404 for another', async () => {
    const fn = newFunction('versions');
    fn.setTopology('router');
    fn.addModel('iris', { className: Echo, name: 'iris:1' });
    const server = await fn.toMockServer({ logger: silentLogger });
    const res = (await server.test('/v2/models/iris/versions/1/infer', { inputs: [1] })) as Record<string, unknown>;
    expect(res['model_name']).toBe('iris');
    expect(res['model_version']).toBe('1');
    const err = await server.test('/v2/models/iris/versions/2/infer', { inputs: [1] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MockServerError);
    expect((err as MockServerError).status).toBe(404);
  });
});
