/**
 * JSON element conversion for every OIP datatype, in both directions.
 *
 * Decoding takes a flat list of JSON values and fills the datatype's in-memory form (see
 * bindings/datatypes.ts). Every element is checked: a value that does not fit the datatype is an
 * InvalidTensorError naming the tensor, the element index, the value and what was expected.
 *
 * Decoding takes `bigint` values too (./json-text.ts parses integers of 2^53 or more as bigint): INT64
 * and UINT64 keep them exactly, float datatypes convert them with Number, and the other datatypes reject
 * them (their ranges are far below 2^53).
 *
 * Encoding turns in-memory data into a flat list of JSON values: INT64/UINT64 as numbers when every
 * value is a safe integer, and as bigint otherwise (written exactly by stringifyJson in ./json-text.ts;
 * an in-process caller sees the bigint values), FP16/BF16 decoded to numbers, BOOL as booleans, BYTES
 * as UTF-8 strings, or base64 strings (with the output parameter content_type 'base64') when any element
 * is not valid UTF-8.
 */
import { isUtf8 } from 'node:buffer';
import {
  type Datatype,
  type NumericArray,
  type TensorData,
  allocate,
  fromBFloat16Bits,
  fromFloat16Bits,
  toBFloat16Bits,
  toFloat16Bits,
} from '../../bindings/datatypes';
import { InvalidTensorError } from '../errors';

type SmallInt = 'INT8' | 'UINT8' | 'INT16' | 'UINT16' | 'INT32' | 'UINT32';

const INT_RANGES: Readonly<Record<SmallInt, readonly [number, number]>> = Object.freeze({
  INT8: [-128, 127],
  UINT8: [0, 255],
  INT16: [-32768, 32767],
  UINT16: [0, 65535],
  INT32: [-2147483648, 2147483647],
  UINT32: [0, 4294967295],
});

const BIG_RANGES = Object.freeze({
  INT64: [-(2n ** 63n), 2n ** 63n - 1n] as const,
  UINT64: [0n, 2n ** 64n - 1n] as const,
});

/** JSON has no NaN or infinities: these strings stand for them in float tensors. */
const FLOAT_WORDS: Readonly<Record<string, number>> = Object.freeze({
  NaN: NaN,
  nan: NaN,
  Infinity: Infinity,
  inf: Infinity,
  '-Infinity': -Infinity,
  '-inf': -Infinity,
});

/** Options of a JSON decode: how BYTES strings are encoded. */
export interface ElementOptions {
  /** BYTES strings are base64 (input parameter content_type 'base64') rather than UTF-8. */
  base64?: boolean;
}

/** A short text of a JSON value for error messages (never throws: bigint and deep values included). */
export function describe(value: unknown): string {
  if (typeof value === 'bigint') return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined; // a bigint inside, or nested too deeply: the type is enough
  }
  if (text === undefined) {
    if (Array.isArray(value)) return 'a list';
    return value !== null && typeof value === 'object' ? 'an object' : String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function bad(where: string, index: number, value: unknown, datatype: Datatype, expected: string): InvalidTensorError {
  return new InvalidTensorError(
    `${where}: element ${index} is ${describe(value)}, which is not a valid ${datatype} (expected ${expected})`,
  );
}

function toFloat(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(FLOAT_WORDS, v)) return FLOAT_WORDS[v];
  return undefined;
}

function toBig(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  return undefined;
}

function fillSmallInt(dt: SmallInt, flat: readonly unknown[], where: string): NumericArray {
  const [lo, hi] = INT_RANGES[dt];
  const out = allocate(dt, flat.length) as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw bad(where, i, v, dt, `an integer from ${lo} to ${hi}`);
    }
    out[i] = v;
  }
  return out;
}

function fillBigInt(dt: 'INT64' | 'UINT64', flat: readonly unknown[], where: string): NumericArray {
  const [lo, hi] = BIG_RANGES[dt];
  const out = allocate(dt, flat.length) as BigInt64Array | BigUint64Array;
  for (let i = 0; i < flat.length; i++) {
    const v = toBig(flat[i]);
    if (v === undefined || v < lo || v > hi) {
      throw bad(where, i, flat[i], dt, `an integer (number or decimal string) from ${lo} to ${hi}`);
    }
    out[i] = v;
  }
  return out;
}

function fillFloat(dt: 'FP16' | 'BF16' | 'FP32' | 'FP64', flat: readonly unknown[], where: string): NumericArray {
  const out = allocate(dt, flat.length) as Float32Array | Float64Array | Uint16Array;
  const convert = dt === 'FP16' ? toFloat16Bits : dt === 'BF16' ? toBFloat16Bits : (x: number) => x;
  for (let i = 0; i < flat.length; i++) {
    const v = toFloat(flat[i]);
    if (v === undefined) throw bad(where, i, flat[i], dt, 'a number, or "NaN", "Infinity", "-Infinity"');
    out[i] = convert(v);
  }
  return out;
}

function fillBool(flat: readonly unknown[], where: string): NumericArray {
  const out = new Uint8Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v !== false && v !== 0) throw bad(where, i, v, 'BOOL', 'true, false, 1 or 0');
  }
  return out;
}

function fillBytes(flat: readonly unknown[], where: string, base64: boolean): Buffer[] {
  const out: Buffer[] = new Array<Buffer>(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'string') throw bad(where, i, v, 'BYTES', base64 ? 'a base64 string' : 'a string');
    if (base64 && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw bad(where, i, v, 'BYTES', 'a base64 string');
    out[i] = Buffer.from(v, base64 ? 'base64' : 'utf8');
  }
  return out;
}

/** Builds a datatype's in-memory data from a flat list of JSON values; throws InvalidTensorError. */
export function elementsFromJson(
  datatype: Datatype,
  flat: readonly unknown[],
  where: string,
  options: ElementOptions = {},
): TensorData {
  switch (datatype) {
    case 'BOOL':
      return fillBool(flat, where);
    case 'INT64':
    case 'UINT64':
      return fillBigInt(datatype, flat, where);
    case 'FP16':
    case 'BF16':
    case 'FP32':
    case 'FP64':
      return fillFloat(datatype, flat, where);
    case 'BYTES':
      return fillBytes(flat, where, options.base64 ?? false);
    default:
      return fillSmallInt(datatype, flat, where);
  }
}

/** JSON values of one tensor's data, and whether BYTES had to be written as base64. */
export interface JsonElements {
  data: Array<number | bigint | boolean | string>;
  base64: boolean;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Numbers when every value is a safe integer (the common case), the bigint values themselves otherwise. */
function bigIntsToJson(arr: BigInt64Array | BigUint64Array): Array<number | bigint> {
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i]!;
    if (v > MAX_SAFE || v < -MAX_SAFE) return Array.from(arr);
  }
  return Array.from(arr, Number);
}

/** Turns in-memory tensor data into a flat list of JSON values (see the module comment). */
export function elementsToJson(datatype: Datatype, data: TensorData): JsonElements {
  if (datatype === 'BYTES') {
    const buffers = data as Buffer[];
    const utf8 = buffers.every((b) => isUtf8(b));
    const encoding = utf8 ? 'utf8' : 'base64';
    return {
      data: buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString(encoding)),
      base64: !utf8,
    };
  }
  const arr = data as NumericArray;
  switch (datatype) {
    case 'BOOL':
      return { data: Array.from(arr as Uint8Array, (v) => v !== 0), base64: false };
    case 'INT64':
    case 'UINT64':
      return { data: bigIntsToJson(arr as BigInt64Array | BigUint64Array), base64: false };
    case 'FP16':
      return { data: Array.from(arr as Uint16Array, fromFloat16Bits), base64: false };
    case 'BF16':
      return { data: Array.from(arr as Uint16Array, fromBFloat16Bits), base64: false };
    default:
      return { data: Array.from(arr as Float64Array), base64: false };
  }
}
