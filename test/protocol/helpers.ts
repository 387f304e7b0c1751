/** Sample tensors of every datatype, shape [2, 3], for the protocol tests. */
import { DATATYPES, type Datatype, type TensorData, toBFloat16Bits, toFloat16Bits } from '../../bindings/datatypes';
import type { NamedTensor } from '../../src/protocol';

/** JSON values for each datatype whose round trip is exact. */
export const JSON_VALUES: Readonly<Record<Datatype, unknown[]>> = Object.freeze({
  BOOL: [true, false, true, true, false, false],
  UINT8: [0, 1, 2, 127, 200, 255],
  UINT16: [0, 1, 300, 40000, 65535, 7],
  UINT32: [0, 1, 70000, 4294967295, 5, 6],
  UINT64: [0, 1, 2 ** 40, 2 ** 53 - 1, 5, 6],
  INT8: [-128, -1, 0, 1, 100, 127],
  INT16: [-32768, -1, 0, 1, 1000, 32767],
  INT32: [-2147483648, -1, 0, 1, 100000, 2147483647],
  INT64: [-(2 ** 53 - 1), -1, 0, 1, 2 ** 40, 2 ** 53 - 1],
  FP16: [0, 1, -2, 0.5, 65504, -0.25],
  BF16: [0, 1, -2, 0.5, 256, -0.25],
  FP32: [0, 1.5, -2.25, 3.125, 1e10, -0.5],
  FP64: [0, 1.1, -2.2, Math.PI, 1e300, -0.5],
  BYTES: ['a', '', 'héllo', 'ünïcode ✓', 'x y', '42'],
});

/** The in-memory form of JSON_VALUES[datatype]. */
export function typedOf(datatype: Datatype): TensorData {
  const v = JSON_VALUES[datatype] as never[];
  switch (datatype) {
    case 'BOOL':
      return Uint8Array.from(v as boolean[], (b) => (b ? 1 : 0));
    case 'UINT8':
      return Uint8Array.from(v);
    case 'UINT16':
      return Uint16Array.from(v);
    case 'UINT32':
      return Uint32Array.from(v);
    case 'UINT64':
      return BigUint64Array.from(v as number[], (n) => BigInt(n));
    case 'INT8':
      return Int8Array.from(v);
    case 'INT16':
      return Int16Array.from(v);
    case 'INT32':
      return Int32Array.from(v);
    case 'INT64':
      return BigInt64Array.from(v as number[], (n) => BigInt(n));
    case 'FP16':
      return Uint16Array.from(v as number[], toFloat16Bits);
    case 'BF16':
      return Uint16Array.from(v as number[], toBFloat16Bits);
    case 'FP32':
      return Float32Array.from(v);
    case 'FP64':
      return Float64Array.from(v);
    case 'BYTES':
      return (v as string[]).map((s) => Buffer.from(s, 'utf8'));
  }
}

export function tensorOf(datatype: Datatype, name = 'x'): NamedTensor {
  return { name, datatype, shape: [2, 3], data: typedOf(datatype) };
}

export { DATATYPES };

/** Builds a Triton binary-extension body from a JSON header and the raw chunks that follow it. */
export function binaryBody(header: unknown, chunks: Buffer[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.length };
}

/** Parses a Triton binary-extension response body into its JSON header and the bytes after it. */
export function splitResponse(body: Buffer, headerLength: number): { header: Record<string, unknown>; rest: Buffer } {
  return {
    header: JSON.parse(body.subarray(0, headerLength).toString('utf8')) as Record<string, unknown>,
    rest: body.subarray(headerLength),
  };
}
