/**
 * The adaptive batch size (BatchingOptions.adaptiveBatchSize, native/batch_tuner.h). Its decisions are
 * checked through traceBatchTuner, the real tuner fed per-row costs instead of a clock: a test of timing
 * would only test the machine. A real session then shows the option's effects that do not depend on
 * timing: correct outputs whatever the caps, the cap reported in stats, and no tuning where something
 * else decides batch sizes.
 */
import { InferenceSession } from '../../bindings/session';
import { loadAddon } from '../../bindings/loader';
import { InvalidOptionError } from '../../src/errors';
import { fp32, model } from './helpers';

/** µs per row of a run of r rows, for r = 0..max, from the cost at each tracked size (others unused). */
function costs(max: number, at: Record<number, number>): number[] {
  return Array.from({ length: max + 1 }, (_, r) => at[r] ?? 0);
}

/** The caps for `batches` runs with `queued` rows waiting at each (a number: always that many). */
function trace(max: number, at: Record<number, number>, batches: number, queued: number | number[] = max, rows = 1) {
  const load = typeof queued === 'number' ? Array<number>(batches).fill(queued) : queued;
  return loadAddon().traceBatchTuner(max, costs(max, at), load, rows);
}

/** Per-row costs measured for the PP-OCR direction classifier on a 2-core CPU (ms ×1000), one ORT thread. */
const CONV_CPU = { 1: 1013, 2: 952, 4: 1051, 8: 1423, 16: 1600, 32: 1606 };
/** A tiny model: a fixed 30 µs per run dominates, so every row added makes rows cheaper. */
const TINY = Object.fromEntries([1, 2, 4, 8, 16, 32].map((r) => [r, 30 / r + 2]));

describe('adaptive batch size: the tuner', () => {
  it('starts at maxBatchSize, measures every size, then caps batches at the cheapest per row', () => {
    const caps = trace(32, CONV_CPU, 120);
    expect(caps.slice(0, 8)).toEqual(Array(8).fill(32)); // warm-up: no probe
    // Exploration: every other batch tries a size, in turn, until each has 3 measurements.
    expect(caps.slice(8, 20)).toEqual([32, 1, 32, 2, 32, 4, 32, 8, 32, 16, 32, 1]);
    const settled = caps.slice(60);
    expect(new Set(settled)).toEqual(new Set([2, 1, 4])); // 2, and its neighbours as probes
    expect(settled.filter((c) => c === 2).length).toBeGreaterThan(0.9 * settled.length);
  });

  it('keeps maxBatchSize for a model that every added row makes cheaper, probing only the next size down', () => {
    const settled = trace(32, TINY, 200).slice(60);
    expect(new Set(settled)).toEqual(new Set([32, 16]));
    expect(settled.filter((c) => c === 32).length).toBeGreaterThan(0.9 * settled.length);
  });

  it('stays at maxBatchSize when a smaller size is cheaper by less than the margin (10%)', () => {
    const close = { 1: 1000, 2: 980, 4: 960, 8: 950, 16: 945, 32: 1000 };
    expect(
      trace(32, close, 200)
        .slice(60)
        .filter((c) => c !== 32 && c !== 16),
    ).toEqual([]);
  });

  it('tracks a maxBatchSize that is not a power of two as a size of its own', () => {
    const caps = trace(12, { 1: 10, 2: 9, 4: 5, 8: 6, 12: 7 }, 100);
    expect(new Set(caps)).toEqual(new Set([1, 2, 4, 8, 12]));
    expect(caps.slice(60).filter((c) => c === 4).length).toBeGreaterThan(0.9 * 40);
  });

  it('does not leave maxBatchSize for a size it cannot compare with maxBatchSize itself', () => {
    // 10 rows queued: runs of 9-10 rows count for 16, so 32 is never measured and stays the cap.
    const perRow = Object.fromEntries(Array.from({ length: 33 }, (_, r) => [r, 30 / Math.max(r, 1) + 2]));
    const late = trace(32, perRow, 300, 10).slice(100);
    expect(late.filter((c) => c !== 32).length).toBeLessThanOrEqual(Math.ceil(late.length / 16)); // probes only
  });

  it('ends exploring when sizes stay unmeasured: requests of 3 rows never run 1 or 2 rows', () => {
    const late = trace(32, CONV_CPU, 400, 32, 3).slice(200);
    expect(late.filter((c) => c !== late[0]).length).toBeLessThanOrEqual(Math.ceil(late.length / 16));
  });

  it('keeps maxBatchSize through a light start (one row at a time) and tunes once the load fills batches', () => {
    const load = [...Array<number>(100).fill(1), ...Array<number>(300).fill(32)];
    const tiny = trace(32, TINY, 400, load);
    expect(tiny.slice(100).filter((c) => c !== 32).length).toBeLessThanOrEqual(Math.ceil(300 / 16));
    const conv = trace(32, CONV_CPU, 400, load);
    expect(conv.slice(300).filter((c) => c === 1 || c === 2).length).toBeGreaterThan(90);
  });

  it('always gives 1 when maxBatchSize is 1', () => {
    expect(new Set(trace(1, { 1: 10 }, 50))).toEqual(new Set([1]));
  });
});

describe('adaptive batch size: a session', () => {
  const x = (i: number) => ({ x: fp32([1, 4], [i, i + 1, i + 2, i + 3]) });

  it('answers every request with its own rows, in batches of at most maxBatchSize, and reports a tracked cap', async () => {
    const s = await InferenceSession.create(model('identity_dyn'), { batching: { maxBatchSize: 16 } });
    for (let round = 0; round < 20; round++) {
      const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => s.run(x(round * 100 + i))));
      outs.forEach((out, i) =>
        expect(Array.from(out['y']!.data as Float32Array)).toEqual(
          Array.from(x(round * 100 + i).x.data as Float32Array),
        ),
      );
    }
    const stats = s.stats();
    expect(stats.failed).toBe(0);
    expect(Math.max(...Object.keys(stats.batchSizes).map(Number))).toBeLessThanOrEqual(16);
    expect([1, 2, 4, 8, 16]).toContain(stats.batchCap);
    expect(Math.min(...Object.keys(stats.batchSizes).map(Number))).toBeLessThan(16); // probes ran
    await s.dispose();
  });

  /** 30 turns of 8 requests on a session with `batching`; its stats. */
  async function thirtyTurns(batching: Record<string, unknown>) {
    const s = await InferenceSession.create(model('identity_dyn'), { batching });
    for (let round = 0; round < 30; round++) await Promise.all(Array.from({ length: 8 }, (_, i) => s.run(x(i))));
    const stats = s.stats();
    await s.dispose();
    return stats;
  }

  it('leaves batches alone when a long queue delay decides them: only full batches go', async () => {
    const stats = await thirtyTurns({ maxBatchSize: 8, maxQueueDelayMicros: 60_000_000 });
    // With the tuner, the explore phase would have capped some batches below 8.
    expect(stats.batchSizes).toEqual({ '8': 30 });
    expect(stats.batchCap).toBe(8);
  });

  it('leaves batches alone when adaptiveBatchSize is false, or preferred sizes or padding decide them', async () => {
    const settings = [
      { maxBatchSize: 8, adaptiveBatchSize: false },
      { maxBatchSize: 8, preferredBatchSizes: [8] },
      { maxBatchSize: 8, padBatches: true },
    ];
    for (const batching of settings) {
      const stats = await thirtyTurns(batching);
      // With no delay a runner that comes back while a turn's requests are still being queued takes those
      // already there (a slow machine, ASan): a turn or two may split. The tuner's probes split ~9 of 30.
      expect([batching, stats.batchSizes['8']! >= 27]).toEqual([batching, true]);
      expect(stats.batchCap).toBe(8);
    }
  });

  it('caps some batches below maxBatchSize with no delay (the probes after 8 warm-up runs)', async () => {
    const s = await InferenceSession.create(model('identity_dyn'), { batching: { maxBatchSize: 8 } });
    for (let round = 0; round < 30; round++) await Promise.all(Array.from({ length: 8 }, (_, i) => s.run(x(i))));
    expect(Object.keys(s.stats().batchSizes).filter((rows) => rows !== '8').length).toBeGreaterThan(0);
    await s.dispose();
  });

  it('reports a cap of 1 when batching is off', async () => {
    const s = await InferenceSession.create(model('identity_dyn'), { batching: false });
    expect(s.stats().batchCap).toBe(1);
    await s.dispose();
  });

  it('refuses an adaptiveBatchSize that is not a boolean', async () => {
    const bad = { batching: { adaptiveBatchSize: 'yes' as unknown as boolean } };
    await expect(InferenceSession.create(model('identity_dyn'), bad)).rejects.toThrow(InvalidOptionError);
  });
});
