/**
 * Triton's binary tensor data extension (reference/protocol.md §2.1).
 *
 * A binary body is a JSON header of `inference-header-content-length` bytes followed by the raw bytes of
 * every tensor whose parameters carry `binary_data_size`, concatenated in the order the tensors appear in
 * the header. Raw bytes are little-endian at the datatype's native size; BOOL is one byte 0/1; each BYTES
 * element is a little-endian uint32 length followed by that many bytes.
 *
 * Copies: a fixed-size tensor decoded from a body is a view over the body's memory when the offset is
 * aligned for its element size, and one copy otherwise. Encoding copies each output once, into the body.
 */
import {
  DATATYPE_INFO,
  type Datatype,
  type NumericArray,
  type TensorData,
  typedArrayName,
} from '../../bindings/datatypes';
import { BadRequestError, InvalidTensorError } from '../errors';
import { describe } from './elements';
import { parseJson } from './json-text';

export const HEADER_LENGTH = 'inference-header-content-length';

/** Largest BYTES element accepted, bytes (Triton's limit: a uint32 length). */
const MAX_U32 = 0xffffffff;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads `binary_data_size` of a tensor object; undefined when it is not binary. Throws when malformed. */
export function binaryDataSize(tensor: Record<string, unknown>, where: string): number | undefined {
  const params = tensor['parameters'];
  if (!isRecord(params) || params['binary_data_size'] === undefined) return undefined;
  const size = params['binary_data_size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new BadRequestError(`${where}: binary_data_size must be a non-negative integer, got ${describe(size)}`);
  }
  return size;
}

/**
 * Splits a binary-extension body: parses the JSON header and attaches to every input that has
 * `binary_data_size` its raw bytes as `binary` (a Buffer view over `body`). Throws BadRequestError when
 * the header length, the header JSON or the sizes do not fit the body.
 */
export function splitBinaryBody(body: Buffer, headerLengthText: string): unknown {
  const headerLength = Number(headerLengthText);
  if (!/^\d+$/.test(headerLengthText.trim()) || !Number.isSafeInteger(headerLength)) {
    throw new BadRequestError(`${HEADER_LENGTH} must be a non-negative integer, got '${headerLengthText}'`);
  }
  if (headerLength === 0) {
    throw new BadRequestError(`raw binary requests (${HEADER_LENGTH}: 0) are not supported; send a JSON header`);
  }
  if (headerLength > body.length) {
    throw new BadRequestError(`${HEADER_LENGTH} is ${headerLength} but the body has only ${body.length} bytes`);
  }
  const header = parseJson(body.subarray(0, headerLength).toString('utf8'), 'binary request header');
  if (!isRecord(header) || !Array.isArray(header['inputs'])) {
    throw new BadRequestError('binary request header must be a JSON object with an "inputs" list');
  }
  let offset = headerLength;
  header['inputs'].forEach((input: unknown, i: number) => {
    if (!isRecord(input)) return; // decodeInferRequest reports it with its index
    const where = `input '${String(input['name'] ?? i)}'`;
    const size = binaryDataSize(input, where);
    if (size === undefined) return;
    if (offset + size > body.length) {
      throw new BadRequestError(
        `${where}: binary_data_size ${size} runs past the end of the body (${body.length - offset} bytes left)`,
      );
    }
    input['binary'] = body.subarray(offset, offset + size);
    offset += size;
  });
  if (offset !== body.length) {
    throw new BadRequestError(
      `the body has ${body.length - headerLength} bytes after the JSON header but the inputs' binary_data_size total ${offset - headerLength}`,
    );
  }
  return header;
}

function viewOrCopy(datatype: Exclude<Datatype, 'BYTES'>, bytes: Uint8Array, count: number): NumericArray {
  const info = DATATYPE_INFO[datatype];
  const Ctor = info.array!;
  if (bytes.byteOffset % info.size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  // Every byte is written by the copy: no zero-filled allocation (a new ArrayBuffer starts 8-byte aligned).
  const copy = Buffer.allocUnsafeSlow(count * info.size);
  copy.set(bytes);
  return new Ctor(copy.buffer, copy.byteOffset, count);
}

function parseBytesElements(bytes: Uint8Array, count: number, where: string): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) {
      throw new InvalidTensorError(`${where}: BYTES element ${out.length} has a truncated 4-byte length prefix`);
    }
    const len = buf.readUInt32LE(offset);
    if (offset + 4 + len > buf.length) {
      throw new InvalidTensorError(
        `${where}: BYTES element ${out.length} declares ${len} bytes but only ${buf.length - offset - 4} remain`,
      );
    }
    out.push(buf.subarray(offset + 4, offset + 4 + len));
    offset += 4 + len;
  }
  if (out.length !== count) {
    throw new InvalidTensorError(
      `${where}: the shape holds ${count} BYTES elements but the binary data has ${out.length}`,
    );
  }
  return out;
}

/** Builds a tensor's data from its raw binary bytes; throws InvalidTensorError when sizes do not match. */
export function elementsFromBinary(datatype: Datatype, bytes: Uint8Array, count: number, where: string): TensorData {
  if (datatype === 'BYTES') return parseBytesElements(bytes, count, where);
  const expected = count * DATATYPE_INFO[datatype].size;
  if (bytes.byteLength !== expected) {
    throw new InvalidTensorError(
      `${where}: binary_data_size is ${bytes.byteLength} bytes but ${count} ${datatype} elements need ${expected}`,
    );
  }
  const data = viewOrCopy(datatype, bytes, count);
  if (datatype === 'BOOL') {
    const i = (data as Uint8Array).findIndex((v) => v > 1);
    if (i >= 0) throw new InvalidTensorError(`${where}: BOOL element ${i} is byte ${data[i]}, expected 0 or 1`);
  }
  return data;
}

/** The raw binary form of a tensor's data: a view for fixed-size types, a new Buffer for BYTES. */
export function elementsToBinary(datatype: Datatype, data: TensorData): Buffer {
  if (datatype !== 'BYTES') {
    const arr = data as NumericArray;
    return Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
  }
  const elements = data as Buffer[];
  let total = 0;
  for (const b of elements) {
    if (b.byteLength > MAX_U32) throw new InvalidTensorError(`a BYTES element of ${b.byteLength} bytes exceeds 2^32-1`);
    total += 4 + b.byteLength;
  }
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const b of elements) {
    out.writeUInt32LE(b.byteLength, offset);
    out.set(b, offset + 4);
    offset += 4 + b.byteLength;
  }
  return out;
}

/** True when `value` holds raw bytes (a Buffer or any Uint8Array). */
export function isRawBytes(value: unknown): value is Uint8Array {
  return Buffer.isBuffer(value) || typedArrayName(value) === 'Uint8Array';
}
