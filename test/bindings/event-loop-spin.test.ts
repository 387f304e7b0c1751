/**
 * Event-loop spinning (bindings/event-loop-spin.ts): when the engine's last request settles after a run on
 * the JS thread, the event loop keeps turning for the set time; it stops while a request is in flight, ends
 * by itself, never follows a run on the scheduler thread nor a wake that ran many requests, and never starts
 * when set to 0. Real sessions: add.onnx (microseconds a run: on the JS thread once measured, or always on
 * the scheduler thread) and slow.onnx (milliseconds a row).
 */
import {
  MAX_EVENT_LOOP_SPIN_MICROS,
  SPIN_MAX_INLINE_REQUESTS,
  eventLoopSpinMicros,
  eventLoopSpinStats,
  kDefaultEventLoopSpinMicros,
  setEventLoopSpinMicros,
} from '../../bindings/event-loop-spin';
import { InferenceSession } from '../../bindings/session';
import { CancelledError, InvalidOptionError } from '../../src/errors';
import { addInputs, fp32, model, randomFloats, sumOf } from './helpers';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await nextTurn();
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_ROW = 256;
const slowInput = (rows: number, seed: number) => ({ x: fp32([rows, SLOW_ROW], randomFloats(rows * SLOW_ROW, seed)) });

describe('event-loop spinning', () => {
  let inline: InferenceSession;
  let threaded: InferenceSession;
  let slow: InferenceSession;

  beforeAll(async () => {
    inline = await InferenceSession.create(model('add'), { inlineRunMicros: 1_000_000 });
    threaded = await InferenceSession.create(model('add'), { inlineRunMicros: 0 });
    slow = await InferenceSession.create(model('slow'), { intraOpThreads: 1, batching: { maxBatchSize: 1 } });
    setEventLoopSpinMicros(0);
    // The engine measures a model's first 8 runs on the scheduler thread, then runs this one on the JS thread.
    for (let i = 0; i < 8; i++) await inline.run(addInputs(i));
    expect(inline.stats().inlineBatches).toBe(0);
    await inline.run(addInputs(8));
    expect(inline.stats().inlineBatches).toBe(1);
  });

  afterAll(async () => {
    setEventLoopSpinMicros(kDefaultEventLoopSpinMicros);
    await Promise.all([inline.dispose(), threaded.dispose(), slow.dispose()]);
  });

  it('spins after a run on the JS thread, for the time set, then stops by itself', async () => {
    setEventLoopSpinMicros(20_000); // long enough that a busy machine's pauses do not end it before 3 turns
    const before = eventLoopSpinStats();
    await inline.run(addInputs(1));
    expect(eventLoopSpinStats().spins).toBe(before.spins + 1);
    await turns(3);
    expect(eventLoopSpinStats().turns).toBeGreaterThanOrEqual(before.turns + 2); // a turn each
    await sleep(200); // ten times the spin
    const ended = eventLoopSpinStats().turns;
    await turns(2);
    expect(eventLoopSpinStats().turns).toBe(ended);
  });

  it('never spins after a run on the scheduler thread', async () => {
    setEventLoopSpinMicros(2_000);
    await sleep(5); // any spin before has ended
    const before = eventLoopSpinStats();
    const out = await threaded.run(addInputs(2));
    expect(Array.from(out['sum']!.data as Float32Array)).toEqual(sumOf(2));
    await turns(3);
    expect(eventLoopSpinStats()).toEqual(before);
    expect(threaded.stats().inlineBatches).toBe(0);
  });

  it('stops while a request is in flight and spins again after the next run on the JS thread', async () => {
    setEventLoopSpinMicros(MAX_EVENT_LOOP_SPIN_MICROS); // 100 ms: only a request in flight stops it
    await inline.run(addInputs(3));
    await nextTurn();
    const running = slow.run(slowInput(32, 7));
    await turns(2);
    const stopped = eventLoopSpinStats();
    await sleep(5);
    expect(eventLoopSpinStats()).toEqual(stopped); // 32 rows of slow.onnx take far longer than 5 ms
    expect((await running)['y']!.shape).toEqual([32, SLOW_ROW]);
    expect(eventLoopSpinStats().spins).toBe(stopped.spins); // slow.onnx ran on the scheduler thread
    await inline.run(addInputs(4));
    expect(eventLoopSpinStats().spins).toBe(stopped.spins + 1);
    await turns(3);
    expect(eventLoopSpinStats().turns).toBeGreaterThanOrEqual(stopped.turns + 2);
    setEventLoopSpinMicros(0); // cuts the spin going on: it ends at its next turn
    await turns(2);
    const cut = eventLoopSpinStats();
    await turns(2);
    expect(eventLoopSpinStats()).toEqual(cut);
  });

  it('spins after a wake that ran up to SPIN_MAX_INLINE_REQUESTS requests on the JS thread, not after more', async () => {
    setEventLoopSpinMicros(1_000);
    const all = (first: number, count: number) =>
      Promise.all(Array.from({ length: count }, (_, k) => inline.run(addInputs(first + k))));
    await sleep(5); // any spin before has ended
    const before = eventLoopSpinStats();
    const batches = inline.stats().inlineBatches;
    const many = await all(20, SPIN_MAX_INLINE_REQUESTS + 1); // queued in one turn: one wake runs them all
    expect(Array.from(many[SPIN_MAX_INLINE_REQUESTS]!['sum']!.data as Float32Array)).toEqual(
      sumOf(20 + SPIN_MAX_INLINE_REQUESTS),
    );
    expect(inline.stats().inlineBatches).toBeGreaterThan(batches); // they did run on the JS thread
    await turns(2);
    expect(eventLoopSpinStats()).toEqual(before);
    await all(40, SPIN_MAX_INLINE_REQUESTS);
    expect(eventLoopSpinStats().spins).toBe(before.spins + 1);
  });

  it('counts a request that failed as settled: the next run on the JS thread spins', async () => {
    setEventLoopSpinMicros(1_000);
    const busy = slow.run(slowInput(8, 8));
    const controller = new AbortController();
    const cancelled = slow.run(slowInput(1, 9), { signal: controller.signal });
    controller.abort(); // still queued behind the first: it leaves the queue unrun
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    await busy;
    const before = eventLoopSpinStats();
    await inline.run(addInputs(5));
    expect(eventLoopSpinStats().spins).toBe(before.spins + 1); // nothing in flight: the rejection was counted
  });

  it('never spins when set to 0', async () => {
    setEventLoopSpinMicros(0);
    expect(eventLoopSpinMicros()).toBe(0);
    await sleep(5);
    const before = eventLoopSpinStats();
    await inline.run(addInputs(6));
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
