import { InferenceSession } from '../../bindings/session';
import { model } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CONSTANT_VALUES } = require('../../scripts/models/fixtures') as { CONSTANT_VALUES: number[] };

describe('a model with no inputs', () => {
  it('is not batched and runs each request alone, with no feeds', async () => {
    const s = await InferenceSession.create(model('constant'));
    try {
      expect(s.inputs).toEqual([]);
      expect(s.batching).toBe(false);
      const outs = await Promise.all([1, 2, 3, 4].map(() => s.run({})));
      for (const out of outs) {
        expect(out['y']!.shape).toEqual([2, 3]);
        expect(Array.from(out['y']!.data as Float32Array)).toEqual(CONSTANT_VALUES);
      }
      expect(s.stats().batchSizes).toEqual({ '1': 4 });
    } finally {
      await s.dispose();
    }
  });

  it('rejects an input it does not have', async () => {
    const s = await InferenceSession.create(model('constant'));
    try {
      await expect(s.run({ x: { datatype: 'FP32', shape: [1], data: Float32Array.of(1) } })).rejects.toThrow(
        /unknown input 'x'/,
      );
    } finally {
      await s.dispose();
    }
  });
});
