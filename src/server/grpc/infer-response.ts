/**
 * GraphServer's answer to an inference Event as a gRPC ModelInferResponse.
 *
 * The answer is normally the binary extension's body (./infer-request.ts asks for it): a JSON header, then each
 * output's raw bytes. Those bytes become raw_output_contents as they are (Triton's form), or typed contents when
 * the client set binary_data_output=false (FP16/BF16 outputs have no typed field: such a response stays raw).
 * A model whose postprocess answers JSON tensors is converted the same way. An answer whose outputs are not
 * tensors (an MLRun-style envelope) cannot travel in a ModelInferResponse: that is a ModelError (INTERNAL).
 */
import type { EventResponse } from '../../event';
import { ModelError } from '../../errors';
import {
  HEADER_LENGTH,
  elementsFromBinary,
  elementsFromJson,
  elementsToBinary,
  parseJson,
  type Datatype,
} from '../../protocol';
import type { TensorData } from '../../../bindings/datatypes';
import { CONTENTS_FIELD } from './infer-request';
import { toProtoParameters } from './parameters';
import type { ProtoContents, ProtoInferResponse, ProtoTensor } from './proto';

/** One output of the answer with its raw bytes. */
interface RawOutput {
  name: string;
  datatype: Datatype;
  shape: number[];
  parameters: Record<string, unknown> | undefined;
  bytes: Buffer;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function notTensors(model: string): ModelError {
  return new ModelError(`model ${model} answered outputs that are not tensors; gRPC carries tensors only`);
}

const NO_BYTES = Buffer.alloc(0);

/**
 * An output's header fields, checked (the model's answer has been checked by the protocol already), with
 * no bytes yet: the caller sets them (in place: a spread that adds a key is V8's slow path).
 */
function headerOf(o: unknown, model: string): RawOutput {
  if (
    !isRecord(o) ||
    typeof o['name'] !== 'string' ||
    typeof o['datatype'] !== 'string' ||
    !Array.isArray(o['shape'])
  ) {
    throw notTensors(model);
  }
  const parameters = isRecord(o['parameters']) ? { ...o['parameters'] } : undefined;
  return {
    name: o['name'],
    datatype: o['datatype'] as Datatype,
    shape: o['shape'] as number[],
    parameters,
    bytes: NO_BYTES,
  };
}

/** Raw bytes of a JSON-encoded output (`data` as the protocol writes it: flat, BYTES maybe base64). */
function bytesOfJson(o: Record<string, unknown>, out: Omit<RawOutput, 'bytes'>, model: string): Buffer {
  if (!Array.isArray(o['data'])) throw notTensors(model);
  const base64 = out.parameters?.['content_type'] === 'base64';
  if (base64) delete out.parameters!['content_type'];
  const data = elementsFromJson(out.datatype, o['data'] as unknown[], `model ${model}: output '${out.name}'`, {
    base64,
  });
  return elementsToBinary(out.datatype, data);
}

/** The header and every output's raw bytes, from a binary or a JSON answer. */
function rawOutputs(res: EventResponse, model: string): { header: Record<string, unknown>; outputs: RawOutput[] } {
  const body = res.body;
  const binary = Buffer.isBuffer(body) && res.headers[HEADER_LENGTH] !== undefined;
  const headerLength = binary ? Number(res.headers[HEADER_LENGTH]) : 0;
  const header = binary ? parseJson(body.subarray(0, headerLength).toString('utf8'), 'the model answer') : body;
  if (!isRecord(header) || !Array.isArray(header['outputs'])) throw notTensors(model);
  let offset = headerLength;
  const outputs = header['outputs'].map((o: unknown) => {
    const out = headerOf(o, model);
    const size = out.parameters?.['binary_data_size'];
    if (binary && typeof size === 'number') {
      delete out.parameters!['binary_data_size'];
      out.bytes = (body as Buffer).subarray(offset, offset + size);
      offset += size;
      return out;
    }
    out.bytes = bytesOfJson(o as Record<string, unknown>, out, model);
    return out;
  });
  return { header, outputs };
}

/** An InferTensorContents holding `data` in the field of its datatype (int64/uint64 as decimal text). */
function contentsOf(datatype: Datatype, data: TensorData): ProtoContents {
  const field = CONTENTS_FIELD[datatype]!;
  if (datatype === 'BYTES') return { bytes_contents: data as Buffer[] };
  if (datatype === 'INT64' || datatype === 'UINT64') return { [field]: Array.from(data as BigInt64Array, String) };
  if (datatype === 'BOOL') return { bool_contents: Array.from(data as Uint8Array, (v) => v !== 0) };
  return { [field]: Array.from(data as Float32Array) };
}

function tensorOf(o: RawOutput, contents: ProtoContents | undefined): ProtoTensor {
  const t: ProtoTensor = { name: o.name, datatype: o.datatype, shape: o.shape, parameters: {} };
  t.parameters = toProtoParameters(o.parameters);
  if (contents !== undefined) t.contents = contents;
  return t;
}

/** The ModelInferResponse for a successful inference answer (see the module comment); throws ModelError. */
export function inferResponse(res: EventResponse, raw: boolean, model: string): ProtoInferResponse {
  const { header, outputs } = rawOutputs(res, model);
  const asRaw = raw || outputs.some((o) => CONTENTS_FIELD[o.datatype] === undefined);
  const response: ProtoInferResponse = {
    model_name: typeof header['model_name'] === 'string' ? header['model_name'] : model,
    outputs: [],
  };
  if (typeof header['model_version'] === 'string') response.model_version = header['model_version'];
  if (typeof header['id'] === 'string') response.id = header['id'];
  if (isRecord(header['parameters'])) response.parameters = toProtoParameters(header['parameters']);
  if (asRaw) {
    response.outputs = outputs.map((o) => tensorOf(o, undefined));
    response.raw_output_contents = outputs.map((o) => o.bytes);
  } else {
    response.outputs = outputs.map((o) => {
      const count = o.shape.reduce((a, b) => a * b, 1);
      const where = `model ${model}: output '${o.name}'`;
      return tensorOf(o, contentsOf(o.datatype, elementsFromBinary(o.datatype, o.bytes, count, where)));
    });
  }
  return response;
}
