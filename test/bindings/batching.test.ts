import { InferenceSession } from '../../bindings/session';
import { loadAddon } from '../../bindings/loader';
import { addInputs, fp32, model, sumOf } from './helpers';

function expectSum(out: Record<string, { data: unknown; shape: number[] }>, i: number, rows = 1) {
  expect(out['sum']!.shape).toEqual([rows, 3]);
  expect(Array.from(out['sum']!.data as Float32Array)).toEqual(sumOf(i, rows));
}

describe('dynamic batching', () => {
  // A long maxQueueDelayMicros makes batch formation deterministic: only full batches can be sent.
  const wait = { maxQueueDelayMicros: 60_000_000 };

  it('gives each of 1,000 concurrent requests exactly its own output, in batches larger than one', async () => {
    const s = await InferenceSession.create(model('add'), { batching: { maxBatchSize: 25, ...wait } });
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => s.run(addInputs(i))));
    results.forEach((out, i) => expectSum(out, i));
    const stats = s.stats();
    expect(stats.requests).toBe(1000);
    expect(stats.failed).toBe(0);
    expect(stats.batchSizes).toEqual({ '25': 40 });
    expect(stats.batches).toBe(40);
    await s.dispose();
  });

  it('runs the requests of one event-loop turn as one batch with no queue delay (one wake-up per turn)', async () => {
    // With maxQueueDelayMicros 0 a runner woken by the first request would run it alone, before the
    // others are queued; the wake-up waits for the end of the turn, so the 20 go together.
    const batching = { maxBatchSize: 32, maxQueueDelayMicros: 0, adaptiveBatchSize: false }; // no probe batches
    const s = await InferenceSession.create(model('add'), { batching });
    for (let turn = 0; turn < 10; turn++) {
      // A runner still on its way back from the last batch would take what is queued when it gets there
      // (a slow machine, ASan): let it get back to waiting first. A turn may still split now and then.
      await new Promise((resolve) => setTimeout(resolve, 10));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.run(addInputs(i))));
      results.forEach((out, i) => expectSum(out, i));
    }
    const stats = s.stats();
    expect(stats.requests).toBe(200);
    expect(stats.batchSizes['20']).toBeGreaterThanOrEqual(8); // woken at the first request: batches of 1
    await s.dispose();
  });

  it('scatters multi-row requests by their own row counts', async () => {
    const s = await InferenceSession.create(model('add'), { batching: { maxBatchSize: 16, ...wait } });
    const rows = [1, 3, 2, 5, 1, 4];
    const results = await Promise.all(rows.map((r, i) => s.run(addInputs(i, r))));
    results.forEach((out, i) => expectSum(out, i, rows[i]));
    expect(s.stats().batchSizes).toEqual({ '16': 1 });
    await s.dispose();
  });

  it('never mixes requests whose non-batch dimensions differ', async () => {
    // 60 requests of each width 1..5: with batches of 60 rows, each batch must be one width.
    const s = await InferenceSession.create(model('identity_dyn'), { batching: { maxBatchSize: 60, ...wait } });
    const widths = Array.from({ length: 300 }, (_, i) => 1 + (i % 5));
    const results = await Promise.all(
      widths.map((n, i) =>
        s.run({
          x: fp32(
            [1, n],
            Array.from({ length: n }, (_, k) => i + k / 10),
          ),
        }),
      ),
    );
    results.forEach((out, i) => {
      const n = widths[i] as number;
      expect(out['y']!.shape).toEqual([1, n]);
      expect(Array.from(out['y']!.data as Float32Array)).toEqual(
        Array.from(Float32Array.from({ length: n }, (_, k) => i + k / 10)),
      );
    });
    expect(s.stats().batchSizes).toEqual({ '60': 5 });
    await s.dispose();
  });

  it('opportunistically batches what queued while the previous run was busy (delay 0)', async () => {
    const s = await InferenceSession.create(model('slow'), { intraOpThreads: 1, batching: { maxBatchSize: 32 } });
    const x = (i: number) =>
      fp32(
        [1, 256],
        Array.from({ length: 256 }, (_, k) => ((i + k) % 7) / 7),
      );
    const first = s.run({ x: x(0) }); // runs at once, alone
    const rest = Array.from({ length: 10 }, (_, i) => s.run({ x: x(i + 1) })); // queue while it runs
    await Promise.all([first, ...rest]);
    // The first run may or may not have started before the others queued (thread wake-up), but a
    // run takes ms and the 11 requests queue within µs: they cannot all run alone.
    const sizes = s.stats().batchSizes;
    expect(Math.max(...Object.keys(sizes).map(Number))).toBeGreaterThan(1);
    expect(s.stats().batches).toBeLessThan(11);
    await s.dispose();
  });

  it('runs every request alone when batching is off', async () => {
    const s = await InferenceSession.create(model('add'), { batching: false });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.run(addInputs(i))));
    results.forEach((out, i) => expectSum(out, i));
    expect(s.stats().batchSizes).toEqual({ '1': 50 });
    await s.dispose();
  });

  it('sends a batch as soon as it reaches a preferred size', async () => {
    const s = await InferenceSession.create(model('add'), {
      batching: { maxBatchSize: 16, preferredBatchSizes: [4], maxQueueDelayMicros: 10_000_000 },
    });
    // With a 10 s delay, only reaching the preferred size (4 rows) or the max can send a batch.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.run(addInputs(i))));
    results.forEach((out, i) => expectSum(out, i));
    expect(s.stats().batchSizes).toEqual({ '4': 2 });
    await s.dispose();
  });

  it('waits up to maxQueueDelayMicros for a batch to fill, then sends what it has', async () => {
    const s = await InferenceSession.create(model('add'), {
      batching: { maxBatchSize: 64, maxQueueDelayMicros: 200_000 },
    });
    const first = Array.from({ length: 3 }, (_, i) => s.run(addInputs(i)));
    const results = await Promise.all(first);
    results.forEach((out, i) => expectSum(out, i));
    // Three requests issued together wait for each other: one run of 3 rows, not three runs.
    expect(s.stats().batchSizes).toEqual({ '3': 1 });
    await s.dispose();
  });

  it('runs batches on several instances and still answers each request with its own rows', async () => {
    const s = await InferenceSession.create(model('slow'), {
      instances: 2,
      intraOpThreads: 1,
      batching: { maxBatchSize: 4 },
    });
    const inputs = Array.from({ length: 24 }, (_, i) =>
      fp32(
        [1, 256],
        Array.from({ length: 256 }, (_, k) => ((i * 7 + k) % 13) / 13),
      ),
    );
    const alone = await Promise.all(inputs.slice(0, 3).map((x) => s.run({ x })));
    const together = await Promise.all(inputs.map((x) => s.run({ x })));
    for (let i = 0; i < 3; i++) {
      const a = alone[i]!['y']!.data as Float32Array;
      const b = together[i]!['y']!.data as Float32Array;
      for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-5);
    }
    await s.dispose();
  });
});

describe('output memory', () => {
  it('gives each request an ArrayBuffer of exactly its own rows (external over ORT memory from 16 KiB, copied below)', async () => {
    const s = await InferenceSession.create(model('add'));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => s.run(addInputs(i))));
    expect(s.stats().zeroCopyOutputs).toBe(true);
    for (const out of results) {
      const data = out['sum']!.data as Float32Array;
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(3 * 4);
    }
    await s.dispose();
  });

  it('copies outputs when the runtime refuses external buffers, with the same results', async () => {
    const addon = loadAddon();
    addon.setExternalBuffersAllowed(false);
    try {
      const s = await InferenceSession.create(model('add'));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.run(addInputs(i))));
      results.forEach((out, i) => expectSum(out, i));
      expect(s.stats().zeroCopyOutputs).toBe(false);
      // Outputs of 16 KiB and more are the ones that would be external: 5,000 FP32 = 20 kB each.
      const wide = await InferenceSession.create(model('identity_dyn'));
      const inputs = Array.from({ length: 4 }, (_, i) => Float32Array.from({ length: 5000 }, (_, k) => i + k / 8));
      const echoed = await Promise.all(inputs.map((data) => wide.run({ x: fp32([1, 5000], Array.from(data)) })));
      echoed.forEach((out, i) => expect(out['y']!.data).toEqual(inputs[i]));
      await wide.dispose();
      await s.dispose();
    } finally {
      addon.setExternalBuffersAllowed(true);
    }
  });

  it('keeps outputs valid after the session and the other requests are gone', async () => {
    const s = await InferenceSession.create(model('add'));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.run(addInputs(i))));
    await s.dispose();
    const kept = results[7]!;
    results.length = 0;
    (globalThis as { gc?: () => void }).gc?.();
    expectSum(kept, 7);
  });
});
