import { Dispatcher } from '../../src/streams/delivery';
import type { InMessage } from '../../src/streams';

function message(key: string, position: number, shard = '0'): InMessage {
  return { key, value: Buffer.from(`${key}:${position}`), shard, position: String(position), raw: position };
}

/** Resolves once `condition` holds (checked every few ms; the test's timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** A promise with its resolve, to finish handlers when a test says so. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('Dispatcher (at-least-once delivery)', () => {
  it('runs one key in arrival order and different keys at once', async () => {
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    const dispatcher = new Dispatcher(
      async (m) => {
        started.push(m.value.toString());
        const g = gate();
        gates.set(m.value.toString(), g);
        await g.promise;
      },
      async () => undefined,
      { maxInFlight: 10 },
    );
    dispatcher.push(message('a', 0));
    dispatcher.push(message('a', 1));
    dispatcher.push(message('b', 2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a:0', 'b:2']);
    gates.get('a:0')!.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a:0', 'b:2', 'a:1']);
    gates.get('a:1')!.open();
    gates.get('b:2')!.open();
    await dispatcher.drain();
  });

  it('acknowledges a shard only up to its first unfinished message', async () => {
    const acked: string[][] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    const dispatcher = new Dispatcher(
      async (m) => {
        const g = gate();
        gates.set(m.position, g);
        await g.promise;
      },
      async (done) => void acked.push(done.map((m) => m.position)),
      { maxInFlight: 10 },
    );
    for (let i = 0; i < 3; i++) dispatcher.push(message(`k${i}`, i));
    await until(() => gates.size === 3);
    gates.get('2')!.open();
    gates.get('1')!.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(acked).toEqual([]);
    gates.get('0')!.open();
    await dispatcher.drain();
    expect(acked).toEqual([['0', '1', '2']]);
  });

  it('holds at most maxInFlight messages: capacity() waits for room', async () => {
    const g = gate();
    const dispatcher = new Dispatcher(
      () => g.promise,
      async () => undefined,
      { maxInFlight: 2 },
    );
    dispatcher.push(message('a', 0));
    dispatcher.push(message('b', 1));
    let room = false;
    const waiting = dispatcher.capacity().then(() => (room = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(room).toBe(false);
    g.open();
    await waiting;
    expect(room).toBe(true);
    await dispatcher.drain();
  });

  it('retries a failing message until it succeeds, then acknowledges it', async () => {
    let calls = 0;
    const acked: string[] = [];
    const retries: number[] = [];
    const dispatcher = new Dispatcher(
      async () => {
        if (++calls < 3) throw new Error('broker away');
      },
      async (done) => void acked.push(...done.map((m) => m.position)),
      { maxInFlight: 1, retryMinMs: 1, retryMaxMs: 2, onRetry: (_m, _e, attempt) => retries.push(attempt) },
    );
    dispatcher.push(message('a', 7));
    await until(() => acked.length === 1);
    await dispatcher.drain();
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
    expect(acked).toEqual(['7']);
    expect(dispatcher.failing).toBe(false);
  });

  it('never acknowledges a message that still fails when it stops, nor what comes after it', async () => {
    const acked: string[] = [];
    const dispatcher = new Dispatcher(
      async (m) => {
        if (m.position === '1') throw new Error('down');
      },
      async (done) => void acked.push(...done.map((m) => m.position)),
      { maxInFlight: 5, retryMinMs: 1, retryMaxMs: 1 },
    );
    dispatcher.push(message('a', 0));
    dispatcher.push(message('b', 1));
    dispatcher.push(message('b', 2));
    await until(() => acked.length === 1 && dispatcher.failing);
    await dispatcher.drain();
    expect(acked).toEqual(['0']);
  });
});
