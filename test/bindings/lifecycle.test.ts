import { InferenceSession } from '../../bindings/session';
import { DisposedError, QueueFullError, TimeoutError } from '../../src/errors';
import { fp32, model } from './helpers';

const x = (i: number) => ({
  x: fp32(
    [1, 256],
    Array.from({ length: 256 }, (_, k) => ((i + k) % 11) / 11),
  ),
});
// Requests wait in the queue: only a batch of 1,000 rows or a 60 s delay could send them.
const parked = { maxBatchSize: 1000, maxQueueDelayMicros: 60_000_000 };

describe('queue limits, timeouts and dispose', () => {
  it('rejects a request beyond maxQueueSize with QueueFullError and keeps serving the others', async () => {
    const s = await InferenceSession.create(model('slow'), { batching: { ...parked, maxQueueSize: 2 } });
    const queued = Promise.allSettled([s.run(x(1)), s.run(x(2))]);
    const err = await s.run(x(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueFullError);
    expect((err as QueueFullError).status).toBe(503);
    expect((err as Error).message).toMatch(/queue is full.*maxQueueSize 2/);
    expect(s.stats().rejected).toBe(1);
    expect(s.stats().queued).toBe(2);
    await s.dispose();
    for (const r of await queued) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DisposedError);
    }
  });

  it('fails a request still queued at its timeout with TimeoutError', async () => {
    const s = await InferenceSession.create(model('slow'), { batching: parked });
    const err = await s.run(x(1), { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).status).toBe(504);
    expect(s.stats().timedOut).toBe(1);
    await s.dispose();
  });

  it('applies the session default timeout, and a per-request value overrides it', async () => {
    const s = await InferenceSession.create(model('slow'), { batching: parked, timeoutMs: 20 });
    await expect(s.run(x(1))).rejects.toBeInstanceOf(TimeoutError);
    const longer = s.run(x(2), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await s.dispose();
    expect(await longer).toBeInstanceOf(DisposedError);
  });

  it('settles every in-flight request on dispose, with a result or DisposedError', async () => {
    const s = await InferenceSession.create(model('slow'), { intraOpThreads: 1, batching: { maxBatchSize: 4 } });
    const runs = Promise.allSettled(Array.from({ length: 60 }, (_, i) => s.run(x(i))));
    await s.dispose();
    const settled = await runs;
    let done = 0;
    for (const r of settled) {
      if (r.status === 'fulfilled') {
        expect(r.value['y']!.shape).toEqual([1, 256]);
        done++;
      } else {
        expect(r.reason).toBeInstanceOf(DisposedError);
      }
    }
    expect(done).toBeLessThan(60);
  });

  it('rejects runs after dispose, and dispose twice is harmless', async () => {
    const s = await InferenceSession.create(model('add'));
    await s.dispose();
    await s.dispose();
    await expect(s.run({ a: fp32([1, 3], [1, 2, 3]), b: fp32([1, 3], [1, 2, 3]) })).rejects.toBeInstanceOf(
      DisposedError,
    );
  });

  it('lets a session be garbage-collected without dispose', async () => {
    await (async () => {
      const s = await InferenceSession.create(model('add'));
      await s.run({ a: fp32([1, 3], [1, 2, 3]), b: fp32([1, 3], [1, 2, 3]) });
    })();
    (globalThis as { gc?: () => void }).gc?.();
    const t = await InferenceSession.create(model('add'));
    const out = await t.run({ a: fp32([1, 3], [1, 2, 3]), b: fp32([1, 3], [1, 2, 3]) });
    expect(Array.from(out['sum']!.data as Float32Array)).toEqual([2, 4, 6]);
    await t.dispose();
  });
});
