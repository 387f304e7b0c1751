import { join } from 'node:path';
import { ParallelRun, silentLogger, type Event, type GraphStep } from '../../src';
import { createContext } from '../../src/step/context';
import { Constant } from './fixtures/children';

/** A plain step answering `{[key]: value}`, or failing when value is an Error. */
class Tag implements GraphStep {
  constructor(
    readonly name: string,
    private readonly value: unknown,
  ) {}
  async doEvent(event: Event): Promise<unknown> {
    if (this.value instanceof Error) throw this.value;
    (event.body as Record<string, unknown>).touched = true;
    return { [this.name]: this.value };
  }
}

const event = (body: unknown): Event => ({ id: 'e', path: '/', method: 'POST', headers: {}, body });
const context = createContext({ logger: silentLogger });

async function parallel(children: GraphStep[], options: Record<string, unknown> = {}): Promise<ParallelRun> {
  const run = new ParallelRun({ name: 'par', context, ...options });
  for (const child of children) run.addRoute(child.name, child);
  await run.postInit();
  return run;
}

describe('ParallelRun', () => {
  it('merges the children results into a new body', async () => {
    const run = await parallel([new Tag('a', 1), new Tag('b', 2)]);
    const body = { x: 0 };
    expect(await run.doEvent(event(body))).toEqual({ a: 1, b: 2 });
    expect(body).toEqual({ x: 0 });
  });

  it('extends the event body with extendEvent', async () => {
    const run = await parallel([new Tag('a', 1)], { extendEvent: true });
    expect(await run.doEvent(event({ x: 0 }))).toEqual({ x: 0, a: 1 });
  });

  it('resolves key collisions by route order, the later route winning', async () => {
    const first = new Tag('k', 'first');
    const second = new Tag('k', 'second');
    const run = new ParallelRun({ name: 'par', context });
    run.addRoute('one', first).addRoute('two', second);
    await run.postInit();
    expect(await run.doEvent(event({}))).toEqual({ k: 'second' });
  });

  it('drops a failing child by default and counts it', async () => {
    const run = await parallel([new Tag('a', 1), new Tag('bad', new Error('no'))]);
    expect(await run.doEvent(event({}))).toEqual({ a: 1 });
    expect(run.dropped.get('bad')).toBe(1);
  });

  it('rejects a child result that is not an object', async () => {
    const run = await parallel([new Tag('a', 1), { name: 'n', doEvent: async () => 5 }]);
    await expect(run.doEvent(event({}))).rejects.toThrow('par: route n returned a number, which cannot be merged');
  });

  it("runs V2ModelServer children in worker threads with executorType 'process'", async () => {
    const hook = join(__dirname, '..', 'support', 'ts-worker-hook.js');
    const module = join(__dirname, 'fixtures', 'children.ts');
    const run = new ParallelRun({ name: 'par', context, executorType: 'process', workerExecArgv: ['--require', hook] });
    run.addRoute('c', new Constant({ name: 'c', module, outputs: [3], context }));
    await run.postInit();
    try {
      expect(await run.doEvent(event({ inputs: [1] }))).toMatchObject({ model_name: 'c', outputs: [3] });
    } finally {
      await run.close();
    }
  });
});
