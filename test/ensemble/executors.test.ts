import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { newFunction, silentLogger, type ServingLogger, type StepSpec, type VotingEnsemble } from '../../src';
import type { MockServer } from '../../src';
import { eventLoopSpinMicros, setEventLoopSpinMicros } from '../../bindings/event-loop-spin';
import { Broken, Busy, Constant, NativeIdentity, SpinReporter, ThreadReporter } from './fixtures/children';

const CHILDREN = join(__dirname, 'fixtures', 'children.ts');
const HOOK = join(__dirname, '..', 'support', 'ts-worker-hook.js');
const FIXTURES = join(__dirname, '..', 'fixtures', 'models');
const namespace = { Broken, Busy, Constant, NativeIdentity, SpinReporter, ThreadReporter };
type Envelope = { outputs: number[] };

const open: VotingEnsemble[] = [];
afterAll(() => Promise.all(open.map((e) => e.close())));

async function ensemble(
  executorType: string,
  routes: Record<string, StepSpec>,
  args: StepSpec = {},
  logger: ServingLogger = silentLogger,
): Promise<MockServer> {
  const fn = newFunction('ens');
  const processArgs = executorType === 'process' ? { workerExecArgv: ['--require', HOOK] } : {};
  fn.setTopology('router', { className: '*VotingEnsemble', name: 'ens', executorType, ...processArgs, ...args });
  for (const [key, spec] of Object.entries(routes)) fn.addModel(key, { module: CHILDREN, ...spec });
  const server = await fn.toMockServer({ namespace, logger });
  open.push(server.graphServer.graph as unknown as VotingEnsemble);
  return server;
}

const reporters = { a: { className: 'ThreadReporter' }, b: { className: 'ThreadReporter' } };

describe.each(['array', 'thread', 'process'])('executorType %s', (executorType) => {
  it('votes over every child', async () => {
    const routes = { a: { className: 'Busy', factor: 1 }, b: { className: 'Busy', factor: 3 } };
    const server = await ensemble(executorType, routes, { voteType: 'regression' });
    const res = (await server.test('/v2/models/ens/infer', { inputs: [1, 2] })) as Envelope;
    expect(res.outputs).toEqual([2, 4]);
  });

  it('drops a failing child by default, logging and counting it', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const routes = { a: { className: 'Constant', outputs: [4] }, bad: { className: 'Broken' } };
    const server = await ensemble(executorType, routes, { voteType: 'regression' }, logger);
    const res = (await server.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope;
    expect(res.outputs).toEqual([4]);
    expect(warnings).toEqual(['ens: route bad failed and was dropped from the result']);
    expect((server.graphServer.graph as unknown as VotingEnsemble).dropped.get('bad')).toBe(1);
  });

  it("fails the request on a failing child with onChildError 'fail'", async () => {
    const routes = { a: { className: 'Constant', outputs: [4] }, bad: { className: 'Broken' } };
    const server = await ensemble(executorType, routes, { onChildError: 'fail' });
    await expect(server.test('/v2/models/ens/infer', { inputs: [1] })).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining('route bad failed: broken on purpose'),
    });
  });

  it('fails when every child fails', async () => {
    const server = await ensemble(executorType, { x: { className: 'Broken' }, y: { className: 'Broken' } });
    await expect(server.test('/v2/models/ens/infer', { inputs: [1] })).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining('every route failed'),
    });
  });
});

describe('where children run', () => {
  it("runs 'thread' children on the main thread", async () => {
    const server = await ensemble('thread', reporters);
    const res = (await server.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope;
    expect(res.outputs).toEqual([threadId]);
  });

  it("runs 'process' children in worker threads", async () => {
    const server = await ensemble('process', reporters, { voteType: 'regression' });
    const res = (await server.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope;
    expect(res.outputs[0]).toBeGreaterThan(0);
    expect(res.outputs[0]).not.toBe(threadId);
  });

  it('loads the native addon in the workers', async () => {
    const modelPath = join(FIXTURES, 'identity_fp32.onnx');
    const server = await ensemble(
      'process',
      { n: { className: 'NativeIdentity', modelPath } },
      { voteType: 'regression' },
    );
    const [value] = ((await server.test('/v2/models/ens/infer', { inputs: [7] })) as Envelope).outputs;
    expect(value! % 1000).toBeCloseTo(7);
    expect(Math.floor(value! / 1000)).not.toBe(threadId);
  });

  it("gives the workers the main thread's event-loop spin (--event-loop-spin-micros)", async () => {
    const before = eventLoopSpinMicros();
    setEventLoopSpinMicros(350); // not the default: a worker left at the default would answer 200
    try {
      const server = await ensemble('process', { s: { className: 'SpinReporter' } }, { voteType: 'regression' });
      const res = (await server.test('/v2/models/ens/infer', { inputs: [1] })) as Envelope;
      expect(res.outputs).toEqual([350]);
    } finally {
      setEventLoopSpinMicros(before);
    }
  });

  it('refuses at start a process child without a module', async () => {
    const fn = newFunction('ens');
    fn.setTopology('router', { className: 'VotingEnsemble', executorType: 'process' });
    fn.addModel('a', { className: 'Constant', outputs: [1] });
    await expect(fn.toMockServer({ namespace, logger: silentLogger })).rejects.toThrow(
      "executorType 'process' cannot rebuild route a in a worker: give its spec a module",
    );
  });
});
