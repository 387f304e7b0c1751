import { addHistograms, diffHistograms, meanBatchSize, median, quantile, round } from '../../bench/lib/stats';
import { batchPool, imagePool, maxAbsDiff } from '../../bench/lib/inputs';

describe('bench statistics', () => {
  it('takes the median of odd and even sample counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('interpolates quantiles between neighbouring samples', () => {
    const samples = Array.from({ length: 101 }, (_, i) => i);
    expect(quantile(samples, 0.99)).toBe(99);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([5], 0.99)).toBe(5);
  });

  it('rounds to significant digits', () => {
    expect(round(1234.5678, 4)).toBe(1235);
    expect(round(0.000123456, 3)).toBe(0.000123);
    expect(round(0)).toBe(0);
  });

  it('adds, subtracts and averages batch-size histograms', () => {
    const before = { '1': 2, '32': 5 };
    const after = { '1': 2, '16': 1, '32': 9 };
    expect(diffHistograms(after, before)).toEqual({ '16': 1, '32': 4 });
    expect(addHistograms(before, { '32': 1, '8': 2 })).toEqual({ '1': 2, '32': 6, '8': 2 });
    expect(meanBatchSize({ '16': 1, '32': 1 })).toBe(24);
    expect(meanBatchSize({})).toBeNaN();
  });
});

describe('bench input pools', () => {
  it('makes distinct, reproducible images', () => {
    const a = imagePool(3, 8, 7);
    const b = imagePool(3, 8, 7);
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    expect(maxAbsDiff(a[0] as Float32Array, a[1] as Float32Array)).toBeGreaterThan(0);
  });

  it('concatenates consecutive images into batches', () => {
    const pool = imagePool(4, 2);
    const batches = batchPool(pool, 2);
    expect(batches).toHaveLength(2);
    expect(Array.from(batches[1] as Float32Array)).toEqual([
      ...(pool[2] as Float32Array),
      ...(pool[3] as Float32Array),
    ]);
  });

  it('reports arrays of different lengths as infinitely different', () => {
    expect(maxAbsDiff([1, 2], [1])).toBe(Infinity);
    expect(maxAbsDiff([1, NaN], [1, 2])).toBeNaN();
  });
});
