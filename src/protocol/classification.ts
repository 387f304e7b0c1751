/**
 * Triton's classification extension: a requested output with the parameter `classification: N` (what
 * tritonclient's `InferRequestedOutput(name, class_count=N)` sends) is answered as the N largest of its
 * elements instead of the elements themselves, each as the BYTES string "<value>:<index>", largest first:
 *
 *   [batch, C] of numbers  →  [batch, min(N, C)] of BYTES     (an output of rank 1: [C] → [min(N, C)])
 *
 * With class names (a model's `labels` parameter, as Triton's label file), "<value>:<index>:<label>" for
 * the indices that have one.
 * `<value>` is written as C's printf("%f") writes it for floats (six decimals; "nan", "inf") and in full for
 * integers; `<index>` is the element's position within its row; equal values keep their order, NaN comes last. Only the
 * integer types, FP32 and FP64 can be ranked (as in Triton); another datatype, or an N that is not a
 * whole number, is a BadRequestError. N = 0 asks for no classification.
 */
import { BadRequestError } from '../errors';
import type { NamedTensor, Parameters } from './types';

const RANKED = new Set(['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP32', 'FP64']);

/** How many classes a requested output's parameters ask for; undefined for none. */
export function classCount(parameters: Parameters | undefined, output: string): number | undefined {
  const given = parameters?.['classification'];
  if (given === undefined) return undefined;
  const n = typeof given === 'string' && /^\d+$/.test(given) ? Number(given) : given;
  if (!Number.isSafeInteger(n) || (n as number) < 0) {
    throw new BadRequestError(
      `output '${output}': classification must be a whole number of classes, got ${JSON.stringify(given)}`,
    );
  }
  return n === 0 ? undefined : (n as number);
}

function written(value: number | bigint, float: boolean): string {
  if (!float) return String(value);
  const v = value as number;
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return Math.abs(v) < 1e21
    ? v.toFixed(6)
    : v.toLocaleString('en-US', { useGrouping: false, minimumFractionDigits: 6 });
}

/** `tensor`'s top `count` classes per row (see the module comment), named by `labels` where it has them. */
export function classify(tensor: NamedTensor, count: number, labels?: readonly string[]): NamedTensor {
  if (!RANKED.has(tensor.datatype)) {
    throw new BadRequestError(
      `output '${tensor.name}': classification needs an integer, FP32 or FP64 output, not ${tensor.datatype}`,
    );
  }
  const data = tensor.data as ArrayLike<number | bigint>;
  const rows = tensor.shape.length > 1 ? tensor.shape[0]! : 1;
  const perRow = rows === 0 ? 0 : data.length / rows;
  const k = Math.min(count, perRow);
  const float = tensor.datatype === 'FP32' || tensor.datatype === 'FP64';
  const classes: Buffer[] = [];
  const order = Array.from({ length: perRow }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    const base = r * perRow;
    const ranked = [...order].sort((a, b) => {
      const x = data[base + a]!;
      const y = data[base + b]!;
      if (x !== x || y !== y) return x !== x && y !== y ? a - b : x !== x ? 1 : -1; // NaN ranks last
      return x > y ? -1 : x < y ? 1 : a - b;
    });
    for (let j = 0; j < k; j++) {
      const index = ranked[j]!;
      const label = labels?.[index];
      const named = label === undefined ? '' : `:${label}`;
      classes.push(Buffer.from(`${written(data[base + index]!, float)}:${index}${named}`));
    }
  }
  const shape = tensor.shape.length > 1 ? [rows, k] : [k];
  const out: NamedTensor = { name: tensor.name, datatype: 'BYTES', shape, data: classes };
  if (tensor.parameters !== undefined) out.parameters = tensor.parameters;
  return out;
}
