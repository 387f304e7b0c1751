/**
 * Decoding of OIP inference requests (reference/protocol.md §1.2, §1.4) from a decoded body into typed
 * tensors. A tensor's data may be given as
 *   - JSON `data`, nested in its natural shape or flat (both legal in OIP), converted per datatype;
 *   - `binary` raw bytes, attached by the binary extension decoder (./binary.ts) or by in-process callers;
 *   - in-process only: `data` already in the datatype's in-memory form (a TypedArray, or Buffers for BYTES).
 * Every failure is a BadRequestError (request structure) or InvalidTensorError (one tensor), with a
 * message naming the tensor and what is wrong.
 */
import {
  DATATYPES,
  type Datatype,
  type TensorData,
  elementCount,
  isDatatype,
  matchesDatatype,
} from '../../bindings/datatypes';
import { BadRequestError, InvalidTensorError } from '../errors';
import { binaryDataSize, elementsFromBinary, isRawBytes } from './binary';
import { describe, elementsFromJson } from './elements';
import { MAX_DEPTH, flattenRegular } from './nesting';
import type { InferRequest, NamedTensor, Parameters, RequestedOutput } from './types';

/** Largest dimension and element count accepted in a request (2^31, as the engine). */
export const MAX_ELEMENTS = 2 ** 31;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * True when body.inputs is a list of OIP tensor objects ({name, datatype, shape, data|binary}). An empty
 * list is one too (vacuously): it is how a model with no inputs is called.
 */
export function isTensorRequest(body: unknown): boolean {
  if (!isRecord(body) || !Array.isArray(body['inputs'])) return false;
  return body['inputs'].every(
    (t: unknown) =>
      isRecord(t) &&
      typeof t['name'] === 'string' &&
      typeof t['datatype'] === 'string' &&
      Array.isArray(t['shape']) &&
      ('data' in t || 'binary' in t || (isRecord(t['parameters']) && 'binary_data_size' in t['parameters'])),
  );
}

function checkParameters(value: unknown, where: string): Parameters | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new BadRequestError(`${where}: parameters must be an object`);
  return value as Parameters;
}

/** Validates a shape: at most MAX_DEPTH integers from 0 to 2^31, at most 2^31 elements in all. */
export function checkShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape)) throw new InvalidTensorError(`${where}: shape must be a list of integers`);
  if (shape.length > MAX_DEPTH) {
    throw new InvalidTensorError(`${where}: shape has ${shape.length} dimensions, more than ${MAX_DEPTH}`);
  }
  shape.forEach((d: unknown, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_ELEMENTS) {
      throw new InvalidTensorError(`${where}: shape[${i}] must be an integer from 0 to 2^31, got ${describe(d)}`);
    }
  });
  const count = elementCount(shape as number[]);
  if (count > MAX_ELEMENTS) {
    throw new InvalidTensorError(`${where}: shape [${shape.join(', ')}] holds ${count} elements, more than 2^31`);
  }
  return shape as number[];
}

/**
 * Flattens JSON data (row-major): flat data is returned as is, nested data must be nested exactly as
 * `shape` (OIP allows either, nothing in between).
 */
export function flatten(data: readonly unknown[], shape: readonly number[], where: string): readonly unknown[] {
  if (!data.some(Array.isArray)) return data;
  return flattenRegular(data, shape, where, `data is neither flat nor nested as the shape [${shape.join(', ')}]`);
}

function decodeData(t: Record<string, unknown>, datatype: Datatype, shape: number[], where: string): TensorData {
  const count = elementCount(shape);
  const binary = t['binary'];
  if (binary !== undefined) {
    if (!isRawBytes(binary)) throw new InvalidTensorError(`${where}: binary must be a Buffer of raw bytes`);
    const declared = binaryDataSize(t, where);
    if (declared !== undefined && declared !== binary.byteLength) {
      throw new InvalidTensorError(`${where}: binary_data_size is ${declared} but ${binary.byteLength} bytes came`);
    }
    return elementsFromBinary(datatype, binary, count, where);
  }
  const data = t['data'];
  if (data === undefined) {
    const hint = binaryDataSize(t, where) !== undefined ? ' (binary_data_size needs a binary body)' : '';
    throw new InvalidTensorError(`${where}: data is missing${hint}`);
  }
  if (matchesDatatype(datatype, data)) {
    const typed = data as TensorData;
    if (typed.length !== count) {
      throw new InvalidTensorError(`${where}: shape holds ${count} elements but the data has ${typed.length}`);
    }
    return typed;
  }
  if (!Array.isArray(data)) throw new InvalidTensorError(`${where}: data must be a list`);
  const flat = flatten(data, shape, where);
  if (flat.length !== count) {
    throw new InvalidTensorError(`${where}: shape holds ${count} elements but the data has ${flat.length}`);
  }
  const params = t['parameters'];
  const base64 = isRecord(params) && params['content_type'] === 'base64';
  return elementsFromJson(datatype, flat, where, { base64 });
}

function decodeInput(t: unknown, index: number): NamedTensor {
  if (!isRecord(t)) throw new BadRequestError(`inputs[${index}] must be a tensor object`);
  const name = t['name'];
  if (typeof name !== 'string' || name === '') {
    throw new BadRequestError(`inputs[${index}]: name must be a non-empty string`);
  }
  const where = `input '${name}'`;
  const datatype = t['datatype'];
  if (!isDatatype(datatype)) {
    throw new InvalidTensorError(`${where}: unknown datatype ${describe(datatype)}; known: ${DATATYPES.join(', ')}`);
  }
  const shape = checkShape(t['shape'], where);
  const parameters = checkParameters(t['parameters'], where);
  const data = decodeData(t, datatype, shape, where);
  const tensor: NamedTensor = { name, datatype, shape, data };
  if (parameters !== undefined) tensor.parameters = parameters;
  return tensor;
}

function decodeOutputs(value: unknown): RequestedOutput[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new BadRequestError('outputs must be a list of {name, parameters?}');
  return value.map((o: unknown, i) => {
    if (!isRecord(o) || typeof o['name'] !== 'string') {
      throw new BadRequestError(`outputs[${i}] must be an object with a string name`);
    }
    const parameters = checkParameters(o['parameters'], `output '${o['name']}'`);
    return parameters === undefined ? { name: o['name'] } : { name: o['name'], parameters };
  });
}

/** Turns a decoded OIP request body into typed tensors (see the module comment). */
export function decodeInferRequest(body: unknown): InferRequest {
  if (!isRecord(body)) throw new BadRequestError('an inference request must be a JSON object');
  const inputs = body['inputs'];
  if (!Array.isArray(inputs)) throw new BadRequestError('an inference request needs an "inputs" list');
  const id = body['id'];
  if (id !== undefined && typeof id !== 'string') throw new BadRequestError('id must be a string');
  const decoded = inputs.map(decodeInput);
  if (decoded.length > 1) {
    const seen = new Set<string>(); // none for a single input: this runs for every request
    for (const t of decoded) {
      if (seen.has(t.name)) throw new BadRequestError(`input '${t.name}' is given more than once`);
      seen.add(t.name);
    }
  }
  const request: InferRequest = { inputs: decoded };
  if (id !== undefined) request.id = id;
  const parameters = checkParameters(body['parameters'], 'request');
  if (parameters !== undefined) request.parameters = parameters;
  const outputs = decodeOutputs(body['outputs']);
  if (outputs !== undefined) request.outputs = outputs;
  return request;
}
