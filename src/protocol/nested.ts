/**
 * The plain-list dialect: a nested JSON list (e.g. `[[5.1, 3.5, 1.4, 0.2]]`) becomes a tensor whose shape
 * is the nesting and whose element type is given by the caller (the model's declared input type).
 */
import type { Datatype, Tensor } from '../../bindings/datatypes';
import { InvalidTensorError } from '../errors';
import { elementsFromJson } from './elements';
import { checkShape } from './request';

/** Shape of a nested list, read along its first elements. */
function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/** Flattens `value` and checks that every sub-list has the length `shape` says (no ragged lists). */
function flattenRegular(value: unknown, shape: readonly number[], where: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new InvalidTensorError(`${where}: element ${path} is a list, expected a scalar`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? `${v.length} items` : 'a scalar';
      throw new InvalidTensorError(
        `${where}: the list is ragged: ${path || 'the top'} has ${got}, expected ${shape[depth]}`,
      );
    }
    v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return out;
}

/** Builds a tensor of `datatype` from a nested list (or a scalar); throws InvalidTensorError when ragged or mistyped. */
export function tensorFromNested(value: unknown, datatype: Datatype, where: string): Tensor {
  const shape = checkShape(shapeOf(value), where);
  const flat = flattenRegular(value, shape, where);
  return { datatype, shape, data: elementsFromJson(datatype, flat, where) };
}
