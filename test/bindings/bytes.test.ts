import { InferenceSession } from '../../bindings/session';
import { model } from './helpers';

/** Three BYTES elements per row, each holding NUL bytes (leading, inside and trailing). */
function row(i: number): Buffer[] {
  return [
    Buffer.from([0, 0x41 + i, 0]),
    Buffer.concat([Buffer.from(`row ${i}`), Buffer.from([0]), Buffer.from('after the NUL')]),
    Buffer.from([0xff, 0, 0xfe, i]),
  ];
}

function hex(data: unknown): string[] {
  return (data as Buffer[]).map((b) => Buffer.from(b).toString('hex'));
}

describe('BYTES elements with embedded NUL bytes', () => {
  it('come back byte for byte from a run of one request', async () => {
    const s = await InferenceSession.create(model('identity_bytes'), { batching: false });
    try {
      const data = [...row(1), ...row(2)];
      const out = await s.run({ x: { datatype: 'BYTES', shape: [2, 3], data } });
      expect(out['y']!.shape).toEqual([2, 3]);
      expect(hex(out['y']!.data)).toEqual(hex(data));
    } finally {
      await s.dispose();
    }
  });

  it('come back byte for byte to each request of a batch', async () => {
    const s = await InferenceSession.create(model('identity_bytes'), {
      batching: { maxBatchSize: 4, maxQueueDelayMicros: 60_000_000 },
    });
    try {
      const runs = [0, 1, 2, 3].map((i) => s.run({ x: { datatype: 'BYTES', shape: [1, 3], data: row(i) } }));
      const outs = await Promise.all(runs);
      outs.forEach((out, i) => expect(hex(out['y']!.data)).toEqual(hex(row(i))));
      expect(s.stats().batchSizes).toEqual({ '4': 1 });
    } finally {
      await s.dispose();
    }
  });
});
