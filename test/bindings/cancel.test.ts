/**
 * Cancellation: a request whose signal aborts while it waits in the engine's queue leaves the queue
 * unrun (CancelledError, counted in stats.cancelled); requests around it run as usual.
 */
import { InferenceSession } from '../../bindings/session';
import { CancelledError } from '../../src/errors';
import { fp32, model, randomFloats } from './helpers';

const ROW = 256; // slow.onnx: x [batch, 256] -> y [batch, 256], several ms per row

describe('InferenceSession.run with a signal', () => {
  let session: InferenceSession;

  beforeAll(async () => {
    // One row per run: every request after the first waits in the queue while the first runs.
    session = await InferenceSession.create(model('slow'), { intraOpThreads: 1, batching: { maxBatchSize: 1 } });
  });

  afterAll(() => session.dispose());

  it('removes a queued request from the queue when its signal aborts', async () => {
    const before = session.stats();
    const input = (seed: number) => ({ x: fp32([1, ROW], randomFloats(ROW, seed)) });
    const first = session.run(input(1));
    const controller = new AbortController();
    const cancelled = session.run(input(2), { signal: controller.signal });
    const last = session.run(input(3));
    controller.abort(); // the first request is still running: the second cannot have left the queue

    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    const [a, c] = await Promise.all([first, last]);
    expect(a['y']!.shape).toEqual([1, ROW]);
    expect(c['y']!.shape).toEqual([1, ROW]);

    const after = session.stats();
    expect(after.cancelled - before.cancelled).toBe(1);
    expect(after.requests - before.requests).toBe(3);
    expect(after.batches - before.batches).toBe(2); // the cancelled request never ran
  });

  it('refuses a request whose signal has already aborted, without queueing it', async () => {
    const before = session.stats();
    const controller = new AbortController();
    controller.abort();
    await expect(
      session.run({ x: fp32([1, ROW], randomFloats(ROW, 4)) }, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(session.stats().requests).toBe(before.requests);
  });

  it('lets a request that already ran keep its result when its signal aborts afterwards', async () => {
    const controller = new AbortController();
    const out = await session.run({ x: fp32([1, ROW], randomFloats(ROW, 5)) }, { signal: controller.signal });
    controller.abort();
    expect(out['y']!.data.length).toBe(ROW);
  });
});
