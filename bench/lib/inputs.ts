/**
 * Pre-generated input pools: every request in a benchmark reads a different image (cycling through the
 * pool), so that no cache or constant-folding effect can flatter either side.
 */

/** Shape of one image of the PP-OCR direction classifier, without the batch dimension. */
export const IMAGE_SHAPE: readonly number[] = [3, 48, 192];

export function elementsPerImage(imageShape: readonly number[] = IMAGE_SHAPE): number {
  return imageShape.reduce((a, b) => a * b, 1);
}

/** `count` images of `elements` floats each, pseudo-random in [-1, 1) from `seed` (xorshift32). */
export function imagePool(count: number, elements: number, seed = 1): Float32Array[] {
  let x = seed >>> 0 || 1;
  const pool: Float32Array[] = [];
  for (let n = 0; n < count; n++) {
    const image = new Float32Array(elements);
    for (let i = 0; i < elements; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      image[i] = ((x >>> 0) / 2 ** 32) * 2 - 1;
    }
    pool.push(image);
  }
  return pool;
}

/**
 * Batches of `batch` consecutive pool images, as many as it takes to use every image once (at least
 * one batch). Batch k holds images k*batch .. k*batch+batch-1 (wrapping around the pool).
 */
export function batchPool(pool: readonly Float32Array[], batch: number): Float32Array[] {
  const first = pool[0];
  if (first === undefined) throw new Error('empty image pool');
  const count = Math.max(1, Math.floor(pool.length / batch));
  const out: Float32Array[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Float32Array(first.length * batch);
    for (let j = 0; j < batch; j++) data.set(pool[(k * batch + j) % pool.length] as Float32Array, j * first.length);
    out.push(data);
  }
  return out;
}

/** Largest absolute difference between two equally long arrays; Infinity when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
