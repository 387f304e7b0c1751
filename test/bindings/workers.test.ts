import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InferenceSession } from '../../bindings/session';
import { fp32, model } from './helpers';

const script = path.join(__dirname, 'worker-script.js');

function runWorker(data: object): { worker: Worker; message: Promise<Record<string, unknown>> } {
  const worker = new Worker(script, { workerData: data });
  const message = new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, message };
}

describe('the addon in worker_threads', () => {
  it('loads and runs in several workers at once, beside the main thread', async () => {
    const main = await InferenceSession.create(model('identity_dyn'));
    const workers = [1000, 2000].map((seed) =>
      runWorker({ model: model('identity_dyn'), requests: 200, width: 4, seed }),
    );
    const mainOut = await main.run({ x: fp32([1, 2], [7, 8]) });
    expect(Array.from(mainOut['y']!.data as Float32Array)).toEqual([7, 8]);
    for (const { message, worker } of workers) {
      expect(await message).toEqual({ ok: true, count: 200 });
      await worker.terminate();
    }
    await main.dispose();
  });

  it('survives a worker terminated with requests in flight, and loads again in a new worker', async () => {
    const { worker, message } = runWorker({
      model: model('slow'),
      options: { intraOpThreads: 1, batching: { maxBatchSize: 2 } },
      requests: 20,
      width: 256,
      seed: 1,
      hang: true,
    });
    expect(await message).toEqual({ started: true });
    await worker.terminate();
    const again = runWorker({ model: model('identity_dyn'), requests: 10, width: 3, seed: 5 });
    expect(await again.message).toEqual({ ok: true, count: 10 });
    await again.worker.terminate();
  });
});
