import { InferenceSession } from '../../bindings/session';
import { TimeoutError } from '../../src/errors';
import { addInputs, fp32, model, sumOf } from './helpers';

/**
 * Inline runs (SessionOptions.inlineRunMicros, native/engine.h RunInline): a model whose last 8 runs were
 * each short runs its batches on the JS thread at the wake, at the end of the event loop's turn.
 *
 * Whether a run was inline shows without timing: an inline batch settles inside the wake, a setImmediate
 * callback queued by run(); a callback queued right after it, in the same check phase, then sees the
 * promise settled. A batch run on a scheduler thread settles on a later turn (its completion is polled).
 */

const ROW = 256; // slow.onnx: x [batch, 256] -> y [batch, 256], several ms per row

/** Whether `running` has settled by the end of the check phase in which it was queued. */
async function settledThisTurn(running: Promise<unknown>): Promise<boolean> {
  let settled = false;
  running.then(
    () => (settled = true),
    () => (settled = true),
  );
  const seen = await new Promise<boolean>((resolve) => setImmediate(() => resolve(settled)));
  await running.catch(() => undefined);
  return seen;
}

/** Runs `count` requests one after the other (each its own batch). */
async function warmUp(s: InferenceSession, count = 8): Promise<void> {
  for (let i = 0; i < count; i++) await s.run(addInputs(i));
}

const batching = { maxBatchSize: 32, adaptiveBatchSize: false };

describe('inline runs', () => {
  it('run a fast model on the JS thread once its last 8 runs measured short, with the same results', async () => {
    const s = await InferenceSession.create(model('add'), { batching, inlineRunMicros: 1_000_000 });
    // The first 8 runs go to the scheduler thread: nothing is measured yet.
    for (let i = 0; i < 8; i++) expect(await settledThisTurn(s.run(addInputs(i)))).toBe(false);
    expect(s.stats().inlineBatches).toBe(0);

    expect(await settledThisTurn(s.run(addInputs(8)))).toBe(true);
    expect(s.stats().inlineBatches).toBe(1);

    // One turn of 20 requests of 1-3 rows: batches of at most twice the rows of the largest recent run.
    const rows = Array.from({ length: 20 }, (_, i) => 1 + (i % 3));
    const results = await Promise.all(rows.map((r, i) => s.run(addInputs(100 + i, r))));
    results.forEach((out, i) => {
      expect(out['sum']!.shape).toEqual([rows[i], 3]);
      expect(Array.from(out['sum']!.data as Float32Array)).toEqual(sumOf(100 + i, rows[i]));
    });
    const stats = s.stats();
    expect(stats.requests).toBe(29);
    expect(stats.failed).toBe(0);
    expect(stats.inlineBatches).toBeGreaterThan(1);
    expect(stats.inlineBatches).toBeLessThanOrEqual(stats.batches - 8);
    await s.dispose();
  });

  it('never happen with inlineRunMicros 0', async () => {
    const s = await InferenceSession.create(model('add'), { batching, inlineRunMicros: 0 });
    await warmUp(s);
    expect(await settledThisTurn(s.run(addInputs(8)))).toBe(false);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.run(addInputs(i))));
    expect(s.stats().inlineBatches).toBe(0);
    await s.dispose();
  });

  it('never happen for a model whose runs take longer than inlineRunMicros (the default, 100 µs)', async () => {
    const s = await InferenceSession.create(model('slow'), { intraOpThreads: 1, batching });
    expect(s.options.inlineRunMicros).toBe(100);
    const x = fp32([1, ROW], new Float32Array(ROW).fill(0.5));
    for (let i = 0; i < 9; i++) expect(await settledThisTurn(s.run({ x }))).toBe(false);
    expect(s.stats().inlineBatches).toBe(0);
    await s.dispose();
  });

  it('stop after one run that took longer: the next 8 batches go to the scheduler thread', async () => {
    const s = await InferenceSession.create(model('identity_dyn'), { batching, inlineRunMicros: 2000 });
    const small = fp32([1, 4], [1, 2, 3, 4]);
    for (let i = 0; i < 8; i++) await s.run({ x: small });
    expect(await settledThisTurn(s.run({ x: small }))).toBe(true);
    // One row of 40 million floats: its copies take far more than 2 ms, and it runs inline (one row).
    const big = new Float32Array(40_000_000);
    big[big.length - 1] = 7;
    const running = s.run({ x: fp32([1, big.length], big) });
    expect(await settledThisTurn(running)).toBe(true);
    expect(((await running)['y']!.data as Float32Array)[big.length - 1]).toBe(7);
    expect(s.stats().inlineBatches).toBe(2);
    for (let i = 0; i < 8; i++) expect(await settledThisTurn(s.run({ x: small }))).toBe(false);
    expect(await settledThisTurn(s.run({ x: small }))).toBe(true);
    expect(s.stats().inlineBatches).toBe(3);
    await s.dispose();
  });

  it('fail a request that timed out while queued, as a scheduler thread does', async () => {
    const s = await InferenceSession.create(model('add'), { batching, inlineRunMicros: 1_000_000 });
    await warmUp(s);
    const running = s.run(addInputs(1), { timeoutMs: 1 });
    const until = Date.now() + 20; // past its deadline before the wake at the end of this turn
    while (Date.now() < until);
    await expect(running).rejects.toBeInstanceOf(TimeoutError);
    expect(await settledThisTurn(s.run(addInputs(2)))).toBe(true);
    expect(s.stats().timedOut).toBe(1);
    await s.dispose();
  });

  it('refuse an inlineRunMicros that is not an integer from 0 to 1,000,000', async () => {
    for (const inlineRunMicros of [-1, 1.5, 1_000_001]) {
      await expect(InferenceSession.create(model('add'), { inlineRunMicros })).rejects.toThrow(
        /inlineRunMicros must be an integer from 0 to 1000000/,
      );
    }
  });
});
