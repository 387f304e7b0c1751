/**
 * The side outputs over Redis Streams: the error stream (every step failure, with the failing step, the error
 * and the event id; the event still goes to its error handler) and model monitoring (MLRun's tracking records,
 * every `sample`-th request, `batch` per message, one per ensemble child plus one for the vote). A monitoring
 * failure never fails a request.
 */
import { newFunction, silentLogger, V2ModelServer, type ModelRequest } from '../../src';
import type { MockServer } from '../../src';
import { uniqueName } from './brokers';
import { useRedis, waitFor } from './harness';

class Doubler extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<number>): unknown {
    return request.inputs.map((x) => x * 2);
  }
}

class Tripler extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<number>): unknown {
    return request.inputs.map((x) => x * 3);
  }
}

/** Records only what loggedResults() picks. */
class Redacted extends Doubler {
  override loggedResults(request: ModelRequest<number>): { inputs: unknown; outputs: unknown } {
    return { inputs: request.inputs.length, outputs: 'redacted' };
  }
}

const redis = useRedis();
const servers: MockServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const url = (key: string): string => `redis://${redis.address}/${key}`;

/** Every message of a stream, as published (JSON). */
async function messages(key: string): Promise<Record<string, unknown>[]> {
  const entries = await redis.reader.client.xrange(key, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('value') + 1]!) as Record<string, unknown>);
}

async function trackedRouter(tracking: { sample?: number; batch?: number }, key: string): Promise<MockServer> {
  const fn = newFunction('tracked');
  fn.addModel('doubler', { className: Doubler });
  fn.setTracking({ streamPath: url(key), ...tracking });
  const server = await fn.toMockServer({ logger: silentLogger });
  servers.push(server);
  return server;
}

describe('the error stream', () => {
  it('records each step failure with the step, the error and the event id; the error handler still answers', async () => {
    const errors = uniqueName('errors');
    const fn = newFunction('failing');
    const graph = fn.setTopology('flow', { engine: 'sync' });
    graph
      .to({
        name: 'boom',
        handler: () => {
          throw new Error('no can do');
        },
      })
      .errorHandler({ name: 'recover', handler: () => ({ recovered: true }) });
    fn.setErrorStream(url(errors));
    expect(fn.toDict().spec).toMatchObject({ error_stream: url(errors) });
    const server = await fn.toMockServer({ logger: silentLogger });
    servers.push(server);
    expect(await server.test('/', { x: 1 }, { eventId: 'ev-1' })).toEqual({ recovered: true });
    await waitFor(async () => (await messages(errors)).length === 1, 5_000, 'the error record');
    expect((await messages(errors))[0]).toMatchObject({
      origin_state: 'boom',
      error: 'no can do',
      code: 'GS_MODEL_ERROR',
      event: { id: 'ev-1', body: { x: 1 } },
      function_uri: 'failing',
    });
  });
});

describe('model monitoring', () => {
  it("records every sample-th request of a model with MLRun's fields", async () => {
    const key = uniqueName('tracking');
    const server = await trackedRouter({ sample: 2 }, key);
    for (let i = 1; i <= 4; i++) await server.test('/v2/models/doubler/infer', { id: `r${i}`, inputs: [i] });
    await waitFor(async () => (await messages(key)).length === 2, 5_000, 'two tracking records');
    const records = await messages(key);
    expect(records.map((r) => (r.request as { id: string }).id)).toEqual(['r1', 'r3']);
    expect(records[1]).toMatchObject({
      model: 'doubler',
      op: 'infer',
      request: { id: 'r3', inputs: [3] },
      resp: { outputs: [6] },
      function_uri: 'tracked',
    });
    expect(typeof records[1]!.when).toBe('string');
    expect(typeof records[1]!.microsec).toBe('number');
  });

  it('records what loggedResults() picks instead of the inputs and outputs', async () => {
    const key = uniqueName('logged');
    const fn = newFunction('logged');
    fn.addModel('redacted', { className: Redacted });
    fn.setTracking({ streamPath: url(key) });
    const server = await fn.toMockServer({ logger: silentLogger });
    servers.push(server);
    await server.test('/v2/models/redacted/infer', { inputs: [1, 2, 3] });
    await waitFor(async () => (await messages(key)).length === 1, 5_000, 'the record');
    expect((await messages(key))[0]).toMatchObject({ request: { inputs: 3 }, resp: { outputs: 'redacted' } });
  });

  it('sends micro-batches of `batch` records as headers and rows', async () => {
    const key = uniqueName('batched');
    const server = await trackedRouter({ batch: 3 }, key);
    for (let i = 1; i <= 7; i++) await server.test('/v2/models/doubler/infer', { inputs: [i] });
    await waitFor(async () => (await messages(key)).length === 2, 5_000, 'two batches');
    const batches = await messages(key);
    expect(batches[0]!.headers).toEqual(['request', 'op', 'resp', 'when', 'microsec', 'metrics']);
    expect((batches[0]!.values as unknown[][]).map((row) => row[2])).toEqual([
      { outputs: [2] },
      { outputs: [4] },
      { outputs: [6] },
    ]);
    await server.close();
    await waitFor(async () => (await messages(key)).length === 3, 5_000, 'the last partial batch, sent at close');
    expect(((await messages(key))[2]!.values as unknown[]).length).toBe(1);
  });

  it('records one record per ensemble child and one for the vote', async () => {
    const key = uniqueName('ensemble');
    const fn = newFunction('ens');
    fn.setTopology('router', { className: 'VotingEnsemble', name: 'vote', voteType: 'regression' });
    fn.addModel('a', { className: Doubler });
    fn.addModel('b', { className: Tripler });
    fn.setTracking({ streamPath: url(key) });
    const server = await fn.toMockServer({ logger: silentLogger });
    servers.push(server);
    const answer = (await server.test('/v2/models/vote/infer', { inputs: [2] })) as { id: string; outputs: number[] };
    expect(answer.outputs).toEqual([5]);
    await waitFor(async () => (await messages(key)).length === 3, 5_000, 'three records');
    const records = await messages(key);
    expect(records.map((r) => r.model).sort()).toEqual(['a', 'b', 'vote']);
    const vote = records.find((r) => r.model === 'vote')!;
    expect(vote).toMatchObject({ request: { id: answer.id, inputs: [2] }, resp: { outputs: [5] } });
  });

  it('never fails a request when the tracking stream refuses records', async () => {
    const key = uniqueName('not-a-stream');
    await redis.reader.client.set(key, 'a string key: XADD answers WRONGTYPE');
    const server = await trackedRouter({}, key);
    const answer = (await server.test('/v2/models/doubler/infer', { inputs: [4] })) as { outputs: number[] };
    expect(answer.outputs).toEqual([8]);
    expect(await redis.reader.client.type(key)).toBe('string');
  });
});
