import * as path from 'node:path';
import type { Tensor } from '../../bindings/datatypes';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'models');
export const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples', 'models');

export function model(name: string): string {
  return path.join(FIXTURES, `${name}.onnx`);
}

export function fp32(shape: number[], values: number[] | Float32Array): Tensor {
  return { datatype: 'FP32', shape, data: Float32Array.from(values) };
}

/** Inputs of add.onnx (a + b over FP32 [rows, 3]) for request `i`: a counts up from i * 1000, b is all i. */
export function addInputs(i: number, rows = 1): Record<'a' | 'b', Tensor> {
  const a = Float32Array.from({ length: rows * 3 }, (_, k) => i * 1000 + k);
  const b = Float32Array.from({ length: rows * 3 }, () => i);
  return { a: fp32([rows, 3], a), b: fp32([rows, 3], b) };
}

/** The `sum` add.onnx answers for addInputs(i, rows), flat. */
export function sumOf(i: number, rows = 1): number[] {
  return Array.from({ length: rows * 3 }, (_, k) => i * 1000 + k + i);
}

/** A deterministic pseudo-random Float32Array (xorshift), values in [-1, 1). */
export function randomFloats(length: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
