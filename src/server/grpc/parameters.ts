/**
 * Parameters between gRPC's maps of InferParameter / ModelRepositoryParameter and the protocol's plain
 * `{name: string | number | boolean}` objects, both ways.
 *
 * In: bool, string and double as they are; int64 and uint64 as numbers when they are safe integers, else as
 * their decimal text (exact); bytes (repository parameters only) as base64 text, as Triton's HTTP API sends
 * file contents. Out: booleans, strings, integers as int64_param, other numbers as double_param.
 */
import type { Parameters } from '../../protocol';
import type { ProtoParameter } from './proto';

function integerOf(value: string | number): number | string {
  if (typeof value === 'number') return value; // read as a number: a safe integer (see inferenceService)
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

/** The value of one parameter; undefined when none of its fields is set. */
function valueOf(p: ProtoParameter): string | number | boolean | undefined {
  switch (p.parameter_choice) {
    case 'bool_param':
      return p.bool_param ?? false;
    case 'int64_param':
      return integerOf(p.int64_param ?? '0');
    case 'uint64_param':
      return integerOf(p.uint64_param ?? '0');
    case 'string_param':
      return p.string_param ?? '';
    case 'double_param':
      return p.double_param ?? 0;
    case 'bytes_param':
      return (p.bytes_param ?? Buffer.alloc(0)).toString('base64');
    default:
      return undefined;
  }
}

/** A gRPC parameter map as a plain object; undefined when it is empty. */
export function fromProtoParameters(map: Record<string, ProtoParameter> | undefined): Parameters | undefined {
  if (map === undefined) return undefined;
  let out: Parameters | undefined;
  for (const [name, p] of Object.entries(map)) {
    const value = valueOf(p);
    if (value !== undefined) (out ??= {})[name] = value;
  }
  return out;
}

/** A plain parameter object as a gRPC InferParameter map (values of other types are left out). */
export function toProtoParameters(params: Record<string, unknown> | undefined): Record<string, ProtoParameter> {
  const out: Record<string, ProtoParameter> = {};
  if (params === undefined) return out;
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'boolean') out[name] = { bool_param: value };
    else if (typeof value === 'string') out[name] = { string_param: value };
    else if (typeof value === 'bigint') out[name] = { int64_param: String(value) };
    else if (typeof value === 'number') {
      out[name] = Number.isSafeInteger(value) ? { int64_param: String(value) } : { double_param: value };
    }
  }
  return out;
}
