/**
 * Encoding of OIP inference responses (reference/protocol.md §1.3) in JSON or, when the request asked
 * for it, Triton's binary extension (§2.1).
 *
 * An output is binary when its requested-output parameter `binary_data` is true, or when that is absent
 * and the request parameter `binary_data_output` is true. When `request.outputs` lists outputs, only
 * those are returned, in that order; naming an output the model does not have is a BadRequestError. An
 * output requested with `classification: N` is answered as its top N classes (./classification.ts).
 */
import {
  DATATYPES,
  DATATYPE_INFO,
  type TensorData,
  elementCount,
  isDatatype,
  matchesDatatype,
} from '../../bindings/datatypes';
import { BadRequestError, InvalidTensorError, ModelError } from '../errors';
import { HEADER_LENGTH, elementsToBinary } from './binary';
import { classCount, classify } from './classification';
import { describe, elementsFromJson, elementsToJson } from './elements';
import { checkShape, flatten } from './request';
import { stringifyJson } from './json-text';
import type { InferRequest, InferResponse, NamedTensor, Parameters } from './types';

/** Where classification finds class names (a model's labels), asked only when an output is classified. */
export interface ClassLabels {
  classLabels(): readonly string[] | undefined;
}

export interface EncodedResponse {
  /** A JSON-serialisable object, or a Buffer for a binary-extension body. */
  body: unknown;
  headers: Record<string, string>;
}

/** True when a predict result is a non-empty list of NamedTensor with typed data (written as OIP outputs). */
export function isTensorList(value: unknown): value is NamedTensor[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (t: unknown) =>
        t !== null &&
        typeof t === 'object' &&
        typeof (t as NamedTensor).name === 'string' &&
        isDatatype((t as NamedTensor).datatype) &&
        Array.isArray((t as NamedTensor).shape) &&
        matchesDatatype((t as NamedTensor).datatype, (t as NamedTensor).data),
    )
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * True when a predict result is meant as OIP outputs: a non-empty list of objects that all have name,
 * datatype, shape and data. Such a result goes through checkOutputTensors, never into an MLRun envelope.
 */
export function looksLikeTensorList(value: unknown): value is Record<string, unknown>[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((t: unknown) => isRecord(t) && 'name' in t && 'datatype' in t && 'shape' in t && 'data' in t)
  );
}

function outputTensor(t: Record<string, unknown>, index: number, model: string): NamedTensor {
  const name = t['name'];
  if (typeof name !== 'string' || name === '') {
    throw new ModelError(`model ${model}: output ${index} has no name (a non-empty string)`);
  }
  const where = `model ${model}: output '${name}'`;
  const datatype = t['datatype'];
  if (!isDatatype(datatype)) {
    throw new ModelError(`${where}: unknown datatype ${describe(datatype)}; known: ${DATATYPES.join(', ')}`);
  }
  const shape = checkShape(t['shape'], where);
  const count = elementCount(shape);
  const given = t['data'];
  let data: TensorData;
  if (matchesDatatype(datatype, given)) {
    data = given as TensorData;
    if (data.length !== count) {
      throw new ModelError(`${where}: shape [${shape.join(', ')}] holds ${count} elements, data has ${data.length}`);
    }
  } else if (Array.isArray(given)) {
    const flat = flatten(given, shape, where);
    if (flat.length !== count) {
      throw new ModelError(`${where}: shape [${shape.join(', ')}] holds ${count} elements, data has ${flat.length}`);
    }
    data = elementsFromJson(datatype, flat, where);
  } else {
    const expected = datatype === 'BYTES' ? 'Buffers' : DATATYPE_INFO[datatype].array!.name;
    throw new ModelError(`${where}: ${datatype} data must be a list or ${expected}, got ${describe(given)}`);
  }
  const tensor: NamedTensor = { name, datatype, shape, data };
  if (isRecord(t['parameters'])) tensor.parameters = t['parameters'] as Parameters;
  return tensor;
}

/**
 * The OIP outputs of a predict result that looksLikeTensorList, each checked: a known datatype, a valid
 * shape, data of the datatype's in-memory form or a plain JSON list (flat or nested as the shape,
 * converted as request data is) holding exactly the shape's element count of valid values. Any mismatch
 * is a ModelError (500) naming the model and the output: the model broke its contract, not the client.
 */
export function checkOutputTensors(outputs: readonly Record<string, unknown>[], model: string): NamedTensor[] {
  return outputs.map((t, i) => {
    try {
      return outputTensor(t, i, model);
    } catch (err) {
      if (err instanceof InvalidTensorError) throw new ModelError(err.message, { cause: err });
      throw err;
    }
  });
}

/** An OIP boolean parameter: true or 'true', false or 'false'; undefined for anything else. */
export function truthy(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

interface Selected {
  tensor: NamedTensor;
  binary: boolean;
}

/** The outputs to answer, each checked (a ModelError when the model broke its contract), then classified if asked. */
function selectOutputs(
  outputs: readonly NamedTensor[],
  request: InferRequest | undefined,
  labels: ClassLabels | undefined,
): Selected[] {
  const binaryDefault = truthy(request?.parameters?.['binary_data_output']) ?? false;
  const wanted = request?.outputs;
  if (wanted === undefined || wanted.length === 0) {
    return outputs.map((tensor) => {
      checkOutput(tensor);
      return { tensor, binary: binaryDefault };
    });
  }
  const byName = new Map(outputs.map((t) => [t.name, t]));
  return wanted.map((w) => {
    const tensor = byName.get(w.name);
    if (tensor === undefined) {
      throw new BadRequestError(
        `unknown output '${w.name}' requested; the outputs are: ${outputs.map((t) => t.name).join(', ')}`,
      );
    }
    checkOutput(tensor); // the model's output as it gave it, before classification replaces it
    const classes = classCount(w.parameters, w.name);
    return {
      tensor: classes === undefined ? tensor : classify(tensor, classes, labels?.classLabels()),
      binary: truthy(w.parameters?.['binary_data']) ?? binaryDefault,
    };
  });
}

function checkOutput(t: NamedTensor): void {
  if (!isDatatype(t.datatype) || !matchesDatatype(t.datatype, t.data)) {
    throw new ModelError(`output '${t.name}' does not hold ${String(t.datatype)} data`);
  }
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new ModelError(
      `output '${t.name}': shape [${t.shape.join(', ')}] holds ${count} elements, data has ${t.data.length}`,
    );
  }
}

function outputHeader(t: NamedTensor, parameters: Parameters | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { name: t.name, datatype: t.datatype, shape: t.shape };
  if (parameters !== undefined && Object.keys(parameters).length > 0) out['parameters'] = parameters;
  return out;
}

function responseHeader(res: InferResponse, outputs: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = { model_name: res.model_name };
  if (res.model_version !== undefined) out['model_version'] = res.model_version;
  out['id'] = res.id;
  if (res.parameters !== undefined) out['parameters'] = res.parameters;
  out['outputs'] = outputs;
  return out;
}

/**
 * Encodes an InferResponse as JSON or binary, as `request` asked (see the module comment); `labels` names
 * the classes of classified outputs.
 */
export function encodeInferResponse(
  res: InferResponse,
  request: InferRequest | undefined,
  labels?: ClassLabels,
): EncodedResponse {
  const selected = selectOutputs(res.outputs, request, labels);
  const chunks: Buffer[] = [];
  const outputs = selected.map(({ tensor, binary }) => {
    if (binary) {
      const bytes = elementsToBinary(tensor.datatype, tensor.data);
      chunks.push(bytes);
      return outputHeader(tensor, { ...tensor.parameters, binary_data_size: bytes.byteLength });
    }
    const json = elementsToJson(tensor.datatype, tensor.data);
    const params = json.base64 ? { ...tensor.parameters, content_type: 'base64' } : tensor.parameters;
    const output = outputHeader(tensor, params);
    output['data'] = json.data; // added, not spread into a copy: a spread that adds a key is V8's slow path
    return output;
  });
  const header = responseHeader(res, outputs);
  if (chunks.length === 0) return { body: header, headers: { 'content-type': 'application/json' } };
  const json = Buffer.from(stringifyJson(header), 'utf8');
  return {
    body: Buffer.concat([json, ...chunks]),
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(json.byteLength) },
  };
}
