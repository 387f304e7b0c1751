/**
 * Event-loop spinning (bindings/event-loop-spin.ts): when the engine's last request settles, the event loop
 * keeps turning for the set time, stops while a request is in flight, ends by itself, and never starts when
 * set to 0. Real sessions: add.onnx (microseconds a run) and slow.onnx (milliseconds a row).
 */
import {
  MAX_EVENT_LOOP_SPIN_MICROS,
  eventLoopSpinMicros,
  eventLoopSpinStats,
  kDefaultEventLoopSpinMicros,
  setEventLoopSpinMicros,
} from '../../bindings/event-loop-spin';
import { InferenceSession } from '../../bindings/session';
import { CancelledError, InvalidOptionError } from '../../src/errors';
import { addInputs, fp32, model, randomFloats } from './helpers';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await nextTurn();
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_ROW = 256;

describe('event-loop spinning', () => {
  let add: InferenceSession;
  let slow: InferenceSession;

  beforeAll(async () => {
    add = await InferenceSession.create(model('add'));
    slow = await InferenceSession.create(model('slow'), { intraOpThreads: 1, batching: { maxBatchSize: 1 } });
  });

  afterAll(async () => {
    setEventLoopSpinMicros(kDefaultEventLoopSpinMicros);
    await Promise.all([add.dispose(), slow.dispose()]);
  });

  it('spins after the last request settles, for the time set, then stops by itself', async () => {
    setEventLoopSpinMicros(2_000);
    const before = eventLoopSpinStats();
    await add.run(addInputs(1));
    expect(eventLoopSpinStats().spins).toBe(before.spins + 1);
    await turns(3);
    expect(eventLoopSpinStats().turns).toBeGreaterThanOrEqual(before.turns + 2); // a turn each
    await sleep(20); // ten times the spin
    const ended = eventLoopSpinStats().turns;
    await turns(2);
    expect(eventLoopSpinStats().turns).toBe(ended);
  });

  it('stops while a request is in flight and spins again when it settles', async () => {
    setEventLoopSpinMicros(MAX_EVENT_LOOP_SPIN_MICROS); // 100 ms: only a request in flight stops it
    await add.run(addInputs(2));
    await nextTurn();
    const running = slow.run({ x: fp32([32, SLOW_ROW], randomFloats(32 * SLOW_ROW, 7)) });
    await turns(2);
    const stopped = eventLoopSpinStats();
    await sleep(5);
    expect(eventLoopSpinStats()).toEqual(stopped); // 32 rows of slow.onnx take far longer than 5 ms
    const out = await running;
    expect(out['y']!.shape).toEqual([32, SLOW_ROW]);
    expect(eventLoopSpinStats().spins).toBe(stopped.spins + 1);
    await turns(3);
    expect(eventLoopSpinStats().turns).toBeGreaterThanOrEqual(stopped.turns + 2);
    setEventLoopSpinMicros(0); // ends the spin at its next turn
    await add.run(addInputs(3));
  });

  it('counts a request that failed as settled', async () => {
    setEventLoopSpinMicros(1_000);
    const busy = slow.run({ x: fp32([8, SLOW_ROW], randomFloats(8 * SLOW_ROW, 8)) });
    const controller = new AbortController();
    const cancelled = slow.run({ x: fp32([1, SLOW_ROW], randomFloats(SLOW_ROW, 9)) }, { signal: controller.signal });
    controller.abort(); // still queued behind the first: it leaves the queue unrun
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    const before = eventLoopSpinStats();
    await busy;
    expect(eventLoopSpinStats().spins).toBe(before.spins + 1); // in flight back to 0 after a rejection too
  });

  it('never spins when set to 0', async () => {
    setEventLoopSpinMicros(0);
    expect(eventLoopSpinMicros()).toBe(0);
    await turns(2);
    const before = eventLoopSpinStats();
    await add.run(addInputs(4));
    await turns(2);
    expect(eventLoopSpinStats()).toEqual(before);
  });

  it('refuses a time that is not an integer from 0 to the maximum', () => {
    for (const bad of [-1, 1.5, MAX_EVENT_LOOP_SPIN_MICROS + 1, Number.NaN]) {
      expect(() => setEventLoopSpinMicros(bad)).toThrow(InvalidOptionError);
    }
    expect(() => setEventLoopSpinMicros(-1)).toThrow(`from 0 to ${MAX_EVENT_LOOP_SPIN_MICROS} µs, got -1`);
    setEventLoopSpinMicros(150);
    expect(eventLoopSpinMicros()).toBe(150);
  });
});
