import { V2ModelServer, newFunction, type ModelRequest, type NamedTensor } from '../../src';

/** Doubles every FP32 input; answers OIP tensors. */
class TensorDoubler extends V2ModelServer {
  seen: unknown[] = [];

  override load(): void {}

  override predict(request: ModelRequest<NamedTensor>): NamedTensor[] {
    this.seen.push(request.inputs[0]!.data);
    return request.inputs.map((t) => ({
      name: `${t.name}_doubled`,
      datatype: 'FP32',
      shape: t.shape,
      data: Float32Array.from(t.data as Float32Array, (x) => x * 2),
    }));
  }
}

/** Answers plain JSON even for tensor requests. */
class TensorCounter extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<NamedTensor>): unknown {
    return request.inputs.map((t) => t.data.length);
  }
}

async function oipServer() {
  const fn = newFunction('oip');
  fn.addModel('double:v1', { className: TensorDoubler });
  fn.addModel('count', { className: TensorCounter });
  return fn.toMockServer();
}

const request = {
  id: 'r1',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }],
};

describe('OIP tensor requests through the mock server', () => {
  it('decodes tensor inputs into typed arrays before predict', async () => {
    const fn = newFunction('seen');
    fn.addModel('d', { className: TensorDoubler });
    const server = await fn.toMockServer();
    const step = (server.graphServer.graph as unknown as { routes: Map<string, TensorDoubler> }).routes.get('d')!;
    await server.test('/v2/models/d/infer', request);
    expect(step.seen[0]).toBeInstanceOf(Float32Array);
    expect(Array.from(step.seen[0] as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('answers tensor outputs in the OIP response format', async () => {
    const server = await oipServer();
    const res = await server.test('/v2/models/double/versions/v1/infer', request);
    expect(res).toEqual({
      model_name: 'double',
      model_version: 'v1',
      id: 'r1',
      outputs: [{ name: 'x_doubled', datatype: 'FP32', shape: [2, 2], data: [2, 4, 6, 8] }],
    });
  });

  it('writes binary outputs when the request asks for them', async () => {
    const server = await oipServer();
    const res = server.graphServer.run({
      id: 'e1',
      path: '/v2/models/double/versions/v1/infer',
      method: 'POST',
      headers: {},
      body: { ...request, parameters: { binary_data_output: true } },
      contentType: 'application/json',
    });
    const answer = await res;
    expect(answer.status).toBe(200);
    expect(answer.headers['inference-header-content-length']).toBeDefined();
    expect(Buffer.isBuffer(answer.body)).toBe(true);
  });

  it('wraps plain predict results of tensor requests in the MLRun envelope', async () => {
    const server = await oipServer();
    const res = await server.test('/v2/models/count/infer', request);
    expect(res).toMatchObject({ id: 'r1', model_name: 'count', outputs: [4] });
  });

  it('rejects a tensor whose data does not match its shape with 400', async () => {
    const server = await oipServer();
    const bad = { inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2] }] };
    await expect(server.test('/v2/models/count/infer', bad)).rejects.toMatchObject({ status: 400 });
  });
});
