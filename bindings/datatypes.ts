/**
 * Open Inference Protocol datatypes and their in-memory representation.
 *
 * Numeric tensors are TypedArrays. FP16 and BF16 travel as raw 16-bit words in a Uint16Array (Node 20
 * has no Float16Array; ORT's Float16_t/BFloat16_t are plain uint16 words). BOOL is a Uint8Array of
 * 0/1. BYTES is an array of Buffers (one per element; UTF-8 when it came from a JSON string).
 */

export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'BF16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

export type Datatype = (typeof DATATYPES)[number];

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** The data of one tensor: a TypedArray for fixed-size types, an array of Buffers for BYTES. */
export type TensorData = NumericArray | Buffer[];

/** A tensor as every layer above the addon sees it. */
export interface Tensor {
  datatype: Datatype;
  /** Dimensions, outermost first. A scalar has shape []. */
  shape: number[];
  data: TensorData;
}

type TypedArrayCtor = {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
};

interface DatatypeInfo {
  /** Bytes per element; 0 for BYTES (variable). */
  size: number;
  /** TypedArray used to hold it; undefined for BYTES. */
  array?: TypedArrayCtor;
  /** ONNXTensorElementDataType enum value (onnxruntime_c_api.h). */
  onnx: number;
}

export const DATATYPE_INFO: Readonly<Record<Datatype, DatatypeInfo>> = Object.freeze({
  BOOL: { size: 1, array: Uint8Array, onnx: 9 },
  UINT8: { size: 1, array: Uint8Array, onnx: 2 },
  UINT16: { size: 2, array: Uint16Array, onnx: 4 },
  UINT32: { size: 4, array: Uint32Array, onnx: 12 },
  UINT64: { size: 8, array: BigUint64Array as unknown as TypedArrayCtor, onnx: 13 },
  INT8: { size: 1, array: Int8Array, onnx: 3 },
  INT16: { size: 2, array: Int16Array, onnx: 5 },
  INT32: { size: 4, array: Int32Array, onnx: 6 },
  INT64: { size: 8, array: BigInt64Array as unknown as TypedArrayCtor, onnx: 7 },
  FP16: { size: 2, array: Uint16Array, onnx: 10 },
  BF16: { size: 2, array: Uint16Array, onnx: 16 },
  FP32: { size: 4, array: Float32Array, onnx: 1 },
  FP64: { size: 8, array: Float64Array, onnx: 11 },
  BYTES: { size: 0, onnx: 8 },
});

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A zero-filled TypedArray of `length` elements for a fixed-size datatype. */
export function allocate(datatype: Exclude<Datatype, 'BYTES'>, length: number): NumericArray {
  const ctor = DATATYPE_INFO[datatype].array;
  if (!ctor) throw new TypeError(`${datatype} has no fixed-size representation`);
  return new ctor(length);
}

/** The TypedArray class expected for a datatype, or undefined for BYTES. */
export function arrayClassOf(datatype: Datatype): TypedArrayCtor | undefined {
  return DATATYPE_INFO[datatype].array;
}

/**
 * %TypedArray%.prototype[Symbol.toStringTag]'s getter: a TypedArray's constructor name (from any realm),
 * undefined for anything else; a property read, where Object.prototype.toString builds a string.
 */
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => unknown;

/** Name of a value's TypedArray class, realm-independent (jest runs tests in their own realm). */
export function typedArrayName(value: unknown): string | undefined {
  return typedArrayTag.call(value) as string | undefined;
}

/** Whether `data` has the representation `datatype` requires. */
export function matchesDatatype(datatype: Datatype, data: unknown): boolean {
  if (datatype === 'BYTES') {
    return Array.isArray(data) && data.every((b) => Buffer.isBuffer(b) || b instanceof Uint8Array);
  }
  const ctor = DATATYPE_INFO[datatype].array;
  return ctor !== undefined && typedArrayName(data) === ctor.name;
}

/** FP32 → FP16 bits (round to nearest even), for users building FP16 tensors from numbers. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half; // may carry into the exponent, which is the correct rounding
  return sign | e;
}

/** FP16 bits → number. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** FP32 → BF16 bits (round to nearest even). */
export function toBFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** BF16 bits → number. */
export function fromBFloat16Bits(bits: number): number {
  const u = new Uint32Array([(bits & 0xffff) << 16]);
  return new Float32Array(u.buffer)[0] as number;
}
