/**
 * A gRPC ModelInferRequest as the body of an inference Event: the same decoded OIP request an HTTP client's
 * JSON or binary body becomes (src/protocol), so GraphServer and the models check and run it exactly alike.
 *
 * - `raw_input_contents[i]` becomes input i's `binary` bytes (a view over the received message): the protocol
 *   checks its size against the shape and datatype, as it does for the binary extension's tensors.
 * - Typed `contents` become the input's `data` list, taken from the one field that holds the datatype
 *   (fp32_contents for FP32 …); values of another field are an error, as are FP16/BF16 in typed contents
 *   (they have no field: raw only). int64/uint64 elements are exact (decimal text to bigint).
 * - The answer always comes back from GraphServer in binary form (binary_data_output and every output's
 *   binary_data set): raw bytes, exact for every datatype. Whether the gRPC response carries them as
 *   raw_output_contents (the default, as Triton) or typed contents (the client sent binary_data_output=false)
 *   is `raw` in the result.
 */
import { BadRequestError } from '../../errors';
import type { Datatype } from '../../protocol';
import { truthy } from '../../protocol/response';
import { fromProtoParameters } from './parameters';
import type { ProtoContents, ProtoInferRequest, ProtoTensor } from './proto';

/** The InferTensorContents field of each datatype that has one. */
export const CONTENTS_FIELD: Readonly<Partial<Record<Datatype, keyof ProtoContents>>> = Object.freeze({
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
});

const FIELDS = Object.freeze([...new Set(Object.values(CONTENTS_FIELD))]);

/** The decoded body for GraphServer, and how the response should carry its tensors. */
export interface InferBody {
  body: Record<string, unknown>;
  /** true: raw_output_contents; false: typed contents (the client set binary_data_output=false). */
  raw: boolean;
}

/** The elements of typed contents for `datatype`, as the protocol's data list (see the module comment). */
function dataOf(datatype: string | undefined, contents: ProtoContents | undefined, where: string): unknown[] {
  const field = CONTENTS_FIELD[datatype as Datatype];
  const given = FIELDS.filter((f) => (contents?.[f]?.length ?? 0) > 0);
  if (field === undefined) {
    if (given.length > 0 && (datatype === 'FP16' || datatype === 'BF16')) {
      throw new BadRequestError(`${where}: ${datatype} has no typed contents field; send it in raw_input_contents`);
    }
    return []; // an unknown datatype: the protocol names it
  }
  const other = given.find((f) => f !== field);
  if (other !== undefined) {
    throw new BadRequestError(`${where}: ${datatype} elements go in contents.${field}, not contents.${other}`);
  }
  const values = contents?.[field] ?? [];
  if (field === 'int64_contents' || field === 'uint64_contents')
    return (values as Array<string | number>).map((v) => BigInt(v));
  return values as unknown[];
}

function inputOf(t: ProtoTensor, raw: Buffer | undefined, index: number): Record<string, unknown> {
  const name = t.name ?? '';
  const input: Record<string, unknown> = { name, datatype: t.datatype ?? '', shape: t.shape.map(Number) };
  const parameters = fromProtoParameters(t.parameters);
  if (parameters !== undefined) input['parameters'] = parameters;
  const where = `input '${name || index}'`;
  if (raw !== undefined) input['binary'] = raw;
  else if (t.datatype === 'BYTES') input['data'] = t.contents?.bytes_contents ?? [];
  else input['data'] = dataOf(t.datatype, t.contents, where);
  return input;
}

function checkRaw(req: ProtoInferRequest): void {
  const raw = req.raw_input_contents;
  if (raw.length === 0) return;
  if (raw.length !== req.inputs.length) {
    throw new BadRequestError(`raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs`);
  }
  const typed = req.inputs.find((t) => t.contents !== undefined && FIELDS.some((f) => t.contents![f]?.length));
  if (typed !== undefined) {
    throw new BadRequestError(`input '${typed.name ?? ''}' has contents although the request has raw_input_contents`);
  }
}

/** The Event body of a ModelInferRequest (see the module comment); throws BadRequestError. */
export function inferBody(req: ProtoInferRequest): InferBody {
  checkRaw(req);
  const raw = req.raw_input_contents;
  const parameters = fromProtoParameters(req.parameters) ?? {};
  const typed = truthy(parameters['binary_data_output']) === false;
  parameters['binary_data_output'] = true;
  const body: Record<string, unknown> = {
    inputs: req.inputs.map((t, i) => inputOf(t, raw.length > 0 ? raw[i] : undefined, i)),
    parameters,
  };
  if (req.id) body['id'] = req.id;
  if (req.outputs.length > 0) {
    body['outputs'] = req.outputs.map((o) => ({
      name: o.name ?? '',
      parameters: { ...fromProtoParameters(o.parameters), binary_data: true },
    }));
  }
  return { body, raw: !typed };
}
