/**
 * Batch padding (BatchingOptions.padBatches): every batch runs at maxBatchSize rows, padded with zero
 * rows (empty strings), and each request still gets exactly its own rows. 'auto' pads only on CUDA, so
 * on this CPU machine it does not.
 */
import { InferenceSession } from '../../bindings/session';
import { InvalidOptionError } from '../../src/errors';
import { fp32, model } from './helpers';

describe('padBatches', () => {
  it('runs a lone 2-row request as 8 rows and returns its 2 rows', async () => {
    const s = await InferenceSession.create(model('mlp'), { batching: { maxBatchSize: 8, padBatches: true } });
    const plain = await InferenceSession.create(model('mlp'), { batching: { maxBatchSize: 8, padBatches: false } });
    const x = fp32([2, 4], [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]);
    const [padded, unpadded] = await Promise.all([s.run({ x }), plain.run({ x })]);
    expect(padded['probabilities']!.shape).toEqual([2, 3]);
    expect(Array.from(padded['probabilities']!.data as Float32Array)).toEqual(
      Array.from(unpadded['probabilities']!.data as Float32Array),
    );
    expect(Array.from(padded['label']!.data as BigInt64Array)).toEqual(
      Array.from(unpadded['label']!.data as BigInt64Array),
    );
    expect(s.stats().paddedRows).toBe(6);
    expect(plain.stats().paddedRows).toBe(0);
    await Promise.all([s.dispose(), plain.dispose()]);
  });

  it('pads batches of several requests and scatters each its own rows', async () => {
    const s = await InferenceSession.create(model('identity_fp32'), {
      intraOpThreads: 1,
      batching: { maxBatchSize: 16, padBatches: true },
    });
    const requests = Array.from({ length: 20 }, (_, i) => fp32([1 + (i % 3), 3], Array(3 * (1 + (i % 3))).fill(i)));
    const outputs = await Promise.all(requests.map((x) => s.run({ x })));
    outputs.forEach((out, i) => {
      expect(out['y']!.shape).toEqual(requests[i]!.shape);
      expect(Array.from(out['y']!.data as Float32Array)).toEqual(Array.from(requests[i]!.data as Float32Array));
    });
    const stats = s.stats();
    const rows = Object.entries(stats.batchSizes).reduce((n, [size, runs]) => n + Number(size) * runs, 0);
    expect(stats.paddedRows).toBe(stats.batches * 16 - rows); // every batch ran at 16 rows
    await s.dispose();
  });

  it('pads BYTES inputs with empty strings', async () => {
    const s = await InferenceSession.create(model('identity_bytes'), {
      batching: { maxBatchSize: 4, padBatches: true },
    });
    const data = [Buffer.from('a\u0000b'), Buffer.from(''), Buffer.from([0xff])];
    const out = await s.run({ x: { datatype: 'BYTES', shape: [1, 3], data } });
    expect((out['y']!.data as Buffer[]).map((b) => Buffer.from(b).toString('hex'))).toEqual(
      data.map((b) => b.toString('hex')),
    );
    expect(s.stats().paddedRows).toBe(3);
    await s.dispose();
  });

  it("does not pad on CPU with 'auto' (the default), and refuses anything but true, false or 'auto'", async () => {
    const s = await InferenceSession.create(model('mlp'), { batching: { maxBatchSize: 8 } });
    await s.run({ x: fp32([1, 4], [1, 2, 3, 4]) });
    expect(s.stats().paddedRows).toBe(0);
    await s.dispose();
    await expect(
      InferenceSession.create(model('mlp'), { batching: { padBatches: 'yes' as unknown as boolean } }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
