/**
 * predict()'s two request shapes, typed (PredictRequest: the MLRun dialect as sent, or a TensorRequest
 * with OIP tensors decoded, told apart by `dialect`), and custom classes declaring their metadata
 * (inputs, outputs, platform) so that GET /v2/models/<m> is complete.
 */
import { V2ModelServer, newFunction, type ModelServerOptions, type NamedTensor, type PredictRequest } from '../../src';

/** Row sums for both dialects: plain lists in the MLRun dialect, an FP32 tensor [n, k] in OIP. */
class RowSum extends V2ModelServer {
  seen: string[] = [];

  constructor(options: ModelServerOptions) {
    super({
      ...options,
      metadata: {
        platform: 'graphserve_js',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
        outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1] }],
      },
    });
  }

  override load(): void {}

  override predict(request: PredictRequest<number[]>): unknown {
    if (request.dialect === 'oip') {
      this.seen.push(JSON.stringify(Object.keys(request)));
      const x: NamedTensor = request.inputs[0]!; // typed: a decoded tensor
      const [rows, cols] = x.shape as [number, number];
      const data = x.data as Float32Array;
      const sums = new Float32Array(rows);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sums[r]! += data[r * cols + c]!;
      return [{ name: 'sum', datatype: 'FP32', shape: [rows], data: sums }];
    }
    this.seen.push('mlrun');
    return request.inputs.map((row) => row.reduce((a, b) => a + b, 0)); // row: number[]
  }
}

async function server() {
  const fn = newFunction('typed');
  fn.addModel('sum', { className: RowSum });
  return fn.toMockServer();
}

describe('predict() request shapes', () => {
  it('gets the MLRun dialect as sent and OIP tensors decoded, told apart by dialect', async () => {
    const s = await server();
    expect(
      await s.test('/v2/models/sum/infer', {
        inputs: [
          [1, 2],
          [3, 4],
        ],
      }),
    ).toMatchObject({ outputs: [3, 7] });
    const oip = await s.test('/v2/models/sum/infer', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }],
    });
    expect(oip).toMatchObject({
      model_name: 'sum',
      outputs: [{ name: 'sum', datatype: 'FP32', shape: [2], data: [3, 7] }],
    });
    const model = (s.graphServer.graph as unknown as { routes: Map<string, RowSum> }).routes.get('sum')!;
    // 'dialect' marks the decoded request without being one of its keys
    expect(model.seen).toEqual(['mlrun', JSON.stringify(['inputs'])]);
  });
});

describe('declared metadata', () => {
  it('answers the inputs, outputs and platform a class declares', async () => {
    const s = await server();
    expect(await s.test('/v2/models/sum')).toEqual({
      name: 'sum',
      version: '',
      platform: 'graphserve_js',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
      outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1] }],
    });
  });

  it('takes metadata as an option of the spec, and refuses a malformed one', async () => {
    class Plain extends V2ModelServer {
      override load(): void {}
      override predict(): number {
        return 1;
      }
    }
    const fn = newFunction('spec-metadata');
    fn.addModel('p', { className: Plain, metadata: { inputs: [{ name: 'in', datatype: 'BYTES', shape: [1] }] } });
    const s = await fn.toMockServer();
    expect(await s.test('/v2/models/p')).toEqual({
      name: 'p',
      version: '',
      inputs: [{ name: 'in', datatype: 'BYTES', shape: [1] }],
      outputs: [],
    });
    const bad = newFunction('bad-metadata');
    bad.addModel('p', { className: Plain, metadata: { inputs: 'x' } });
    await expect(bad.toMockServer()).rejects.toThrow('metadata.inputs must be a list of {name, datatype, shape}');
  });
});
