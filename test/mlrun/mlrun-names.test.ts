/**
 * Specs with MLRun's field names all the way down: a graph spec written for MLRun (class_args with
 * model_path, vote_type, prediction_col_name, url_expression naming a function …, MLRun's module paths
 * for its classes) loads and runs; toDict() writes those names; camelCase keys keep loading.
 */
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { V2ModelServer, functionFromDict, newFunction, parseGraphText, toYaml, type ModelRequest } from '../../src';

const IRIS = join(__dirname, '..', '..', 'examples', 'models', 'iris', 'model.onnx');

/** Answers `{label: [2, …]}`: one class per row, as iris's label output. */
class AlwaysVirginica extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest): { label: number[] } {
    return { label: request.inputs.map(() => 2) };
  }
}

function clean(body: { inputs: number[][] }): { inputs: number[][] } {
  return { inputs: body.inputs };
}

const MLRUN_YAML = `
kind: serving
metadata:
  name: mlrun-written
spec:
  parameters: {}
  graph:
    kind: flow
    engine: async
    steps:
      pre:
        kind: task
        handler: clean
      ens:
        kind: router
        class_name: mlrun.serving.VotingEnsemble
        class_args:
          vote_type: classification
          format_response_with_col_name_flag: true
          prediction_col_name: label
          executor_type: array
          weights: {iris: 2, other: 1}
        after: [pre]
        responder: true
        routes:
          iris:
            kind: task
            class_name: OnnxModelServer
            class_args:
              model_path: ${JSON.stringify(IRIS)}
              load_mode: sync
          other:
            kind: task
            class_name: AlwaysVirginica
`;

const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
];

describe("MLRun's field names", () => {
  it('loads and runs a graph spec written for MLRun, snake_case class args included', async () => {
    const fn = functionFromDict(parseGraphText(MLRUN_YAML));
    const server = await fn.toMockServer({ namespace: { AlwaysVirginica, clean } });
    const res = await server.test('/v2/models/ens/infer', { inputs: ROWS });
    // iris says setosa (0) then virginica (2) and weighs 2/3: it wins the first row
    expect(res).toMatchObject({ model_name: 'ens', outputs: { label: [0, 2] } });
  });

  it('writes MLRun names in toDict(), and the written spec loads back', async () => {
    const fn = newFunction('written');
    fn.setTopology('router', {
      className: 'VotingEnsemble',
      name: 'ens',
      voteType: 'classification',
      formatResponseWithColNameFlag: true,
      predictionColName: 'label',
      executorType: 'array',
    });
    fn.addModel('iris', { className: 'OnnxModelServer', modelPath: IRIS, loadMode: 'sync' });
    fn.addModel('other', { className: AlwaysVirginica, model_path: 'ignored-by-this-class' });
    const dict = fn.toDict();
    expect(dict.spec.graph).toMatchObject({
      kind: 'router',
      class_name: 'VotingEnsemble',
      class_args: {
        vote_type: 'classification',
        format_response_with_col_name_flag: true,
        prediction_col_name: 'label',
        executor_type: 'array',
      },
      routes: {
        iris: { class_name: 'OnnxModelServer', class_args: { model_path: IRIS, load_mode: 'sync' } },
        other: { class_args: { model_path: 'ignored-by-this-class' } },
      },
    });
    expect(JSON.stringify(dict)).not.toMatch(/voteType|modelPath|predictionColName|loadMode/);
    const loaded = functionFromDict(parseGraphText(toYaml(dict)));
    const server = await loaded.toMockServer({ namespace: { AlwaysVirginica } });
    // a tie on the first row (setosa against virginica, equal weights) goes to the lowest class
    expect(await server.test('/v2/models/ens/infer', { inputs: ROWS })).toMatchObject({ outputs: { label: [0, 2] } });
  });

  it('keeps loading camelCase keys in a dict', async () => {
    const fn = functionFromDict({
      kind: 'serving',
      metadata: { name: 'camel' },
      spec: {
        graph: {
          kind: 'router',
          routes: { iris: { kind: 'task', class_name: 'OnnxModelServer', class_args: { modelPath: IRIS } } },
        },
      },
    });
    const server = await fn.toMockServer();
    expect(await server.test('/v2/models/iris/infer', { inputs: ROWS })).toMatchObject({
      outputs: { label: [0, 2] },
    });
  });

  describe('url_expression', () => {
    let backend: Server;
    let url: string;

    beforeAll(async () => {
      backend = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
      await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    });

    afterAll(() => new Promise<void>((resolve) => backend.close(() => resolve())));

    it('names a function of the namespace, written back by its name; an expression is refused', async () => {
      const target = (body: { user: string }): string => `${url}/users/${body.user}`;
      const spec = (expression: string) => `
kind: flow
steps:
  call:
    kind: task
    class_name: mlrun.serving.remote.RemoteStep
    class_args: {url_expression: ${JSON.stringify(expression)}, method: POST, return_json: true, retries: 0}
    responder: true
`;
      const fn = functionFromDict(parseGraphText(spec('target')));
      const server = await fn.toMockServer({ namespace: { target } });
      expect(await server.test('/', { user: 'ann' })).toEqual({ path: '/users/ann' });
      expect(fn.toDict().spec.graph).toMatchObject({
        steps: { call: { class_args: { url_expression: 'target', return_json: true } } },
      });
      const python = functionFromDict(parseGraphText(spec('event["url"]')));
      await expect(python.toMockServer({ namespace: { target } })).rejects.toThrow(
        'url_expression "event[\\"url\\"]" is not a function of the namespace (expressions are not evaluated)',
      );
    });
  });
});
