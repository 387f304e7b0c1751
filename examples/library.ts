/**
 * The README's library examples as an npm user writes them: everything from `import ... from 'graphserve'`.
 * test/packaging/pack.test.ts compiles this file against the packed tarball installed into an empty project
 * (TypeScript strict, once as ESM and once as CommonJS) and runs it: it prints one JSON line of results.
 * In the checkout, tsconfig.json maps 'graphserve' to src/index.ts so that it type-checks here too.
 *
 * The iris model's folder comes from the IRIS_MODEL environment variable.
 */
import {
  InferenceSession,
  OnnxModelServer,
  RemoteStep,
  V2ModelServer,
  VotingEnsemble,
  newFunction,
  type Event,
  type ModelRequest,
} from 'graphserve';

// "Writing a model server"
export class Multiplier extends V2ModelServer {
  #factor = 1;

  override async load(): Promise<void> {
    this.#factor = Number(this.getParam('multiplier', 1));
  }

  override predict(request: ModelRequest<number>): number[] {
    return request.inputs.map((x) => x * this.#factor);
  }
}

async function writingAModelServer(): Promise<unknown> {
  const fn = newFunction('demo');
  fn.setTopology('router');
  fn.addModel('double', { className: Multiplier, multiplier: 2 });
  fn.addModel('triple', { className: 'Multiplier', multiplier: 3 });
  const server = await fn.toMockServer({ namespace: { Multiplier } });
  const res = await server.test('/v2/models/triple/infer', { inputs: [1, 2, 5] });
  await server.waitForCompletion();
  return res;
}

// OnnxModelServer by its registered name, and as an instance; labels from parameters
async function onnxModels(iris: string): Promise<unknown> {
  const fn = newFunction('onnx');
  fn.addModel('iris', { className: 'OnnxModelServer', modelPath: `${iris}/model.onnx` });
  fn.addModel(
    'named',
    new OnnxModelServer({ name: 'named', modelPath: iris, labels: ['setosa', 'versicolor', 'virginica'] }),
  );
  const server = await fn.toMockServer();
  const rows = [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
  ];
  const plain = await server.test('/v2/models/iris/infer', { inputs: rows });
  const labelled = await server.test('/v2/models/named/infer', { inputs: rows });
  const metadata = await server.test('/v2/models/iris');
  return { plain, labelled, metadata };
}

// "Flow graphs", with a remote step over real HTTP and an ensemble
export function clean(body: { inputs: unknown[] }): { inputs: number[] } {
  return { inputs: body.inputs.map(Number) };
}

export function summarize(response: { model_name: string; outputs: number[] }): { model: string; total: number } {
  return { model: response.model_name, total: response.outputs.reduce((a, b) => a + b, 0) };
}

function apologise(event: Event): { failed: unknown } {
  return { failed: event.origin_state };
}

async function flowWithRemoteAndEnsemble(): Promise<unknown> {
  const backend = newFunction('backend');
  backend.setTopology('router', { className: VotingEnsemble, voteType: 'regression' });
  backend.addModel('a', { className: Multiplier, multiplier: 2 });
  backend.addModel('b', { className: Multiplier, multiplier: 4 });
  const app = await backend.serve({ host: '127.0.0.1', port: 0 });
  try {
    const fn = newFunction('flow-demo');
    const graph = fn.setTopology('flow', { engine: 'async' });
    graph
      .to({ name: 'preprocess', handler: clean })
      .to(
        new RemoteStep({
          name: 'ensemble',
          url: `${app.url}/v2/models/VotingEnsemble/infer`,
          method: 'POST',
          retries: 0,
        }),
      )
      .to({ name: 'postprocess', handler: summarize })
      .respond();
    graph.errorHandler({ name: 'on-error', handler: apologise, fullEvent: true });
    const server = await fn.toMockServer();
    const answer = await server.test('/', { inputs: ['1', 2] });
    await server.waitForCompletion();
    return answer;
  } finally {
    await app.close();
  }
}

// "The engine on its own"
async function engine(iris: string): Promise<unknown> {
  const session = await InferenceSession.create(`${iris}/model.onnx`, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({
      [session.inputs[0]!.name]: { datatype: 'FP32', shape: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2]) },
    });
    return { inputs: session.inputs.map((i) => i.name), outputs: Object.keys(out) };
  } finally {
    await session.dispose();
  }
}

export async function main(): Promise<Record<string, unknown>> {
  const iris = process.env['IRIS_MODEL'];
  if (!iris) throw new Error('set IRIS_MODEL to the iris model folder');
  return {
    multiplier: await writingAModelServer(),
    onnx: await onnxModels(iris),
    flow: await flowWithRemoteAndEnsemble(),
    engine: await engine(iris),
  };
}

// Run when executed directly (compiled in the consumer project); the checkout only type-checks it.
if (process.env['GRAPHSERVE_EXAMPLE_RUN'] === '1') {
  main().then(
    (results) => console.log(JSON.stringify(results)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
