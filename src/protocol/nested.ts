/**
 * The plain-list dialect: a nested JSON list (e.g. `[[5.1, 3.5, 1.4, 0.2]]`) becomes a tensor whose shape
 * is the nesting and whose element type is given by the caller (the model's declared input type). Lists
 * nested more than MAX_DEPTH (./nesting.ts) deep are refused.
 */
import type { Datatype, Tensor } from '../../bindings/datatypes';
import { elementsFromJson } from './elements';
import { flattenRegular, shapeOfNested } from './nesting';
import { checkShape } from './request';

/** Builds a tensor of `datatype` from a nested list (or a scalar); throws InvalidTensorError when ragged or mistyped. */
export function tensorFromNested(value: unknown, datatype: Datatype, where: string): Tensor {
  const shape = checkShape(shapeOfNested(value, where), where);
  const flat = flattenRegular(value, shape, where, 'the list is ragged');
  return { datatype, shape, data: elementsFromJson(datatype, flat, where) };
}
