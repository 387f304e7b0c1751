import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelNotFoundError } from '../../src/errors';
import {
  V2ModelServer,
  createContext,
  formatTimestamp,
  newFunction,
  silentLogger,
  type ModelRequest,
  type ModelResponse,
  type ModelServerOptions,
  type TrackingRecord,
} from '../../src';

describe('V2ModelServer construction', () => {
  it('splits a name:version key', () => {
    const model = new V2ModelServer({ name: 'm3:v1' });
    expect([model.name, model.version]).toEqual(['m3', 'v1']);
    expect(new V2ModelServer({ name: 'plain' }).version).toBe('');
  });

  it('keeps class arguments apart from constructor options', () => {
    const model = new V2ModelServer({ name: 'm', modelPath: '/tmp/x', multiplier: 5, nested: { a: 1 } });
    expect(model.classArgs).toEqual({ multiplier: 5, nested: { a: 1 } });
    expect(model.getParam('multiplier')).toBe(5);
    expect(model.getParam('modelPath')).toBeUndefined();
  });

  it('passes class arguments from the step spec to the constructor', async () => {
    const seen: ModelServerOptions[] = [];
    class Recorder extends V2ModelServer {
      constructor(options: ModelServerOptions) {
        super(options);
        seen.push(options);
      }
      override load(): void {}
    }
    const fn = newFunction('args');
    fn.addModel('r:v7', { className: Recorder, modelPath: './m', threshold: 0.5, inputPath: 'req' });
    await fn.toMockServer();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ name: 'r:v7', modelPath: './m', threshold: 0.5, inputPath: 'req' });
    expect(seen[0]!.context).toBeDefined();
  });
});

describe('getParam', () => {
  it('looks in class args, then the model spec parameters, then function parameters, then the default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gs-param-'));
    await writeFile(join(dir, 'model.bin'), 'weights');
    await writeFile(
      join(dir, 'model_spec.yaml'),
      'model_file: model.bin\nparameters:\n  fromSpec: spec\n  both: spec\n',
    );
    const context = createContext({ parameters: { fromFunction: 'function', both: 'function', own: 'function' } });
    const model = new V2ModelServer({ name: 'p', modelPath: dir, context, own: 'class', both: 'class' });
    expect(model.getParam('own')).toBe('class');
    expect(model.getParam('both')).toBe('class');
    expect(model.getParam('fromFunction')).toBe('function');
    expect(model.getParam('missing', 42)).toBe(42);
    expect(model.getParam('fromSpec')).toBeUndefined();
    await model.getModel();
    expect(model.getParam('both')).toBe('spec');
    expect(model.getParam('fromSpec')).toBe('spec');
    expect(model.getParam('own')).toBe('class');
  });

  it('sees the serving function parameters', async () => {
    class Reader extends V2ModelServer {
      override load(): void {}
      override predict(): unknown {
        return this.getParam('scale', 'none');
      }
    }
    const fn = newFunction('params', { parameters: { scale: 3 } });
    fn.addModel('r', { className: Reader });
    const server = await fn.toMockServer();
    expect(await server.test('/v2/models/r/infer', { inputs: [] })).toMatchObject({ outputs: 3 });
  });
});

describe('timestamps', () => {
  it('formats UTC with microseconds and +00:00, as Python isoformat', () => {
    const ms = Date.UTC(2024, 9, 23, 10, 15, 52, 123) + 0.456;
    expect(formatTimestamp(ms)).toBe('2024-10-23 10:15:52.123456+00:00');
    expect(formatTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 0))).toBe('2024-01-02 03:04:05.000000+00:00');
  });
});

describe('the predict pipeline', () => {
  it('runs preprocess, validate, predict and postprocess in order', async () => {
    const calls: string[] = [];
    class Traced extends V2ModelServer {
      override load(): void {}
      override preprocess(request: ModelRequest, op: string): ModelRequest {
        calls.push(`preprocess:${op}`);
        return { ...request, inputs: request.inputs.map((x) => (x as number) + 1) };
      }
      override validate(request: ModelRequest, op: string): ModelRequest {
        calls.push(`validate:${op}:${JSON.stringify(request.inputs)}`);
        return request;
      }
      override predict(request: ModelRequest<number>): unknown {
        calls.push('predict');
        return request.inputs.map((x) => x * 10);
      }
      override postprocess<R extends object>(response: R): R {
        calls.push('postprocess');
        return { ...response, extra: (response as unknown as ModelResponse).outputs };
      }
    }
    const fn = newFunction('pipeline');
    fn.addModel('t', { className: Traced });
    const server = await fn.toMockServer();
    const res = await server.test('/v2/models/t/predict', { inputs: [1, 2] });
    expect(calls).toEqual(['preprocess:predict', 'validate:predict:[2,3]', 'predict', 'postprocess']);
    expect(res).toMatchObject({ outputs: [20, 30], extra: [20, 30] });
  });

  it('waits for hooks that answer promises, on the MLRun envelope and on OIP tensors alike', async () => {
    const calls: string[] = [];
    const later = <T>(value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), 5));
    class Deferred extends V2ModelServer {
      override load(): void {}
      override preprocess(request: ModelRequest): Promise<ModelRequest> {
        calls.push('preprocess');
        return later({ ...request, inputs: request.inputs.map((x) => (x as number) + 1) });
      }
      override validate(request: ModelRequest): Promise<ModelRequest> {
        calls.push(`validate:${JSON.stringify(request.inputs)}`);
        return later(request);
      }
      override predict(request: ModelRequest<number>): unknown {
        calls.push('predict');
        if (request.parameters?.['tensors'] === true) {
          return [
            { name: 'y', datatype: 'FP32', shape: [request.inputs.length], data: request.inputs.map((x) => x * 10) },
          ];
        }
        return request.inputs.map((x) => x * 10);
      }
      override postprocess<R extends object>(response: R): Promise<R> {
        calls.push('postprocess');
        return later({ ...response, id: 'postprocessed' });
      }
    }
    const fn = newFunction('deferred-hooks');
    fn.addModel('d', { className: Deferred });
    const server = await fn.toMockServer();
    expect(await server.test('/v2/models/d/predict', { inputs: [1, 2] })).toMatchObject({
      outputs: [20, 30],
      id: 'postprocessed',
    });
    expect(calls).toEqual(['preprocess', 'validate:[2,3]', 'predict', 'postprocess']);
    calls.length = 0;
    const oip = { inputs: [], parameters: { tensors: true } };
    // No inputs to add to: the tensor path's postprocess (answerTensors) waits for its promise as well.
    expect(await server.test('/v2/models/d/infer', oip)).toMatchObject({
      outputs: [{ name: 'y', datatype: 'FP32', shape: [0], data: [] }],
      id: 'postprocessed',
    });
    expect(calls).toEqual(['preprocess', 'validate:[]', 'predict', 'postprocess']);
  });

  it('answers 400 for a validate that throws or rejects with a plain error, its own status for a GraphServeError', async () => {
    class Picky extends V2ModelServer {
      override load(): void {}
      override validate(request: ModelRequest): ModelRequest | Promise<ModelRequest> {
        const [first] = request.inputs as string[];
        if (first === 'throw') throw new Error('thrown: not this one');
        if (first === 'reject') return Promise.reject(new Error('rejected: not this one'));
        if (first === 'gone') return Promise.reject(new ModelNotFoundError('no such thing'));
        return request;
      }
      override predict(request: ModelRequest): unknown {
        return request.inputs;
      }
    }
    const fn = newFunction('picky-hooks');
    fn.addModel('p', { className: Picky });
    const gs = await fn.toGraphServer({ logger: silentLogger });
    const answer = (input: string) =>
      gs.run({ id: 'x', path: '/v2/models/p/predict', method: 'POST', headers: {}, body: { inputs: [input] } });
    expect(await answer('throw')).toMatchObject({
      status: 400,
      body: { error: 'thrown: not this one', code: 'GS_BAD_REQUEST' },
    });
    expect(await answer('reject')).toMatchObject({
      status: 400,
      body: { error: 'rejected: not this one', code: 'GS_BAD_REQUEST' },
    });
    expect((await answer('gone')).status).toBe(404);
    expect(await answer('fine')).toMatchObject({ status: 200, body: { outputs: ['fine'] } });
  });

  it('orders *_dict inputs by the model spec features', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gs-dict-'));
    await writeFile(join(dir, 'm.bin'), '');
    await writeFile(
      join(dir, 'model_spec.json'),
      JSON.stringify({ model_file: 'm.bin', inputs: [{ name: 'a' }, { name: 'b' }], outputs: [{ name: 'y' }] }),
    );
    class Echo extends V2ModelServer {
      override async load(): Promise<void> {
        await this.getModel();
        this.model = true;
      }
      override predict(request: ModelRequest): unknown {
        return request.inputs;
      }
    }
    const fn = newFunction('dict');
    fn.addModel('e', { className: Echo, modelPath: dir });
    const server = await fn.toMockServer({ logger: silentLogger });
    const one = await server.test('/v2/models/e/infer_dict', { inputs: { b: 2, a: 1 } });
    expect(one).toMatchObject({ outputs: [1, 2] });
    const rows = await server.test('/v2/models/e/predict_dict', {
      inputs: [
        { b: 2, a: 1 },
        { a: 3, b: 4 },
      ],
    });
    expect(rows).toMatchObject({
      outputs: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(await server.test('/v2/models/e', undefined)).toMatchObject({ inputs: [{ name: 'a' }, { name: 'b' }] });
    const missing = await server.test('/v2/models/e/infer_dict', { inputs: { a: 1 } }, { silent: true });
    expect(missing).toMatchObject({ code: 'GS_BAD_REQUEST' });
  });

  it('reads the request at inputPath and writes the response at resultPath', async () => {
    class Doubler extends V2ModelServer {
      override load(): void {}
      override predict(request: ModelRequest<number>): unknown {
        return request.inputs[0]! * 2;
      }
    }
    const fn = newFunction('paths');
    fn.addModel('d', { className: Doubler, inputPath: 'req', resultPath: 'resp' });
    const server = await fn.toMockServer();
    const res = (await server.test('/v2/models/d/infer', { req: { inputs: [4] }, keep: 1 })) as Record<string, unknown>;
    expect(res.keep).toBe(1);
    expect(res.req).toEqual({ inputs: [4] });
    expect(res.resp).toMatchObject({ model_name: 'd', outputs: 8 });
  });

  it('records metrics and tracking records, with loggedResults choosing what is logged', async () => {
    const records: TrackingRecord[] = [];
    class Tracked extends V2ModelServer {
      override load(): void {
        this.setMetric('loaded', 1);
      }
      override predict(request: ModelRequest<number>): unknown {
        if (request.inputs[0] === 0) throw new Error('zero');
        return request.inputs[0]! + 1;
      }
      override loggedResults(request: ModelRequest, response: object): { inputs: unknown; outputs: unknown } {
        return { inputs: ['logged', ...request.inputs], outputs: (response as ModelResponse).outputs };
      }
    }
    const fn = newFunction('tracking');
    fn.addModel('t', { className: Tracked });
    const server = await fn.toMockServer({ monitor: (r) => records.push(r), logger: silentLogger });
    await server.test('/v2/models/t/infer', { inputs: [1] }, { eventId: 'e1' });
    await server.test('/v2/models/t/infer', { inputs: [0] }, { silent: true });
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ model: 't', op: 'infer', id: 'e1', inputs: ['logged', 1], outputs: 2 });
    expect(records[0]!.metrics).toEqual({ loaded: 1 });
    expect(records[1]).toMatchObject({ error: 'zero', inputs: [0] });
  });
});
