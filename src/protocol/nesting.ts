/**
 * Nested JSON lists as tensors: reading a list's shape from its nesting, and flattening a list that is
 * nested exactly as a shape (every sub-list at a depth has the same length, scalars only at the bottom).
 * Used by the plain-list dialect (./nested.ts) and by OIP `data` given nested (./request.ts).
 */
import { InvalidTensorError } from '../errors';

/**
 * Deepest nesting accepted in tensor data, which is also the highest rank of a shape. Walks over nested
 * data recurse once per level, so the limit also bounds their stack.
 */
export const MAX_DEPTH = 64;

/** Shape of a nested list, read along its first elements; throws when it is nested more than MAX_DEPTH deep. */
export function shapeOfNested(value: unknown, where: string): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    if (shape.length === MAX_DEPTH) {
      throw new InvalidTensorError(`${where}: the list is nested more than ${MAX_DEPTH} levels deep`);
    }
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/**
 * Flattens `value` (row-major), checking that it is nested exactly as `shape` (at most MAX_DEPTH dims).
 * Throws InvalidTensorError starting with `${where}: ${problem}` and saying where the nesting breaks.
 */
export function flattenRegular(value: unknown, shape: readonly number[], where: string, problem: string): unknown[] {
  const out: unknown[] = [];
  const at: number[] = []; // the index path of the list being walked, for messages
  const fail = (got: string, expected: string): never => {
    const path = at.length === 0 ? 'the top' : at.map((i) => `[${i}]`).join('');
    throw new InvalidTensorError(`${where}: ${problem}: ${path} ${got}, expected ${expected}`);
  };
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) fail('is a list', 'a scalar');
      out.push(v);
      return;
    }
    if (!Array.isArray(v)) return fail('is a scalar', `a list of ${shape[depth]}`);
    if (v.length !== shape[depth]) fail(`has ${v.length} items`, String(shape[depth]));
    if (depth === shape.length - 1) {
      // the innermost lists, where the scalars are: one loop, no call per element
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (Array.isArray(item)) {
          at.push(i);
          fail('is a list', 'a scalar');
        }
        out.push(item);
      }
      return;
    }
    for (let i = 0; i < v.length; i++) {
      at.push(i);
      walk(v[i], depth + 1);
      at.pop();
    }
  };
  walk(value, 0);
  return out;
}
