/**
 * The gRPC service definition: proto/grpc_service.proto (the KServe v2 `inference.GRPCInferenceService` with
 * Triton's extensions) loaded once with @grpc/proto-loader, and the shapes its messages take in JavaScript.
 *
 * Loader options, and what they mean for the shapes below: field names as in the .proto (snake_case); int64 and
 * uint64 as decimal strings (exact beyond 2^53), or numbers where inferenceService says; enums by name; `bytes` as Buffers (views over the received
 * message, no copy); repeated fields and maps always present (empty when not sent); fields not sent are
 * absent rather than defaulted; a oneof's chosen field is named by `parameter_choice`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { GraphServeError } from '../../errors';
import { alignRawContents } from './raw-align';

const PROTO_FILE = 'grpc_service.proto';

const LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
});

/** The package's proto/ folder: found upwards from this file (src/server/grpc in a checkout, dist/src/… built). */
export function protoDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, PROTO_FILE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new GraphServeError(`${PROTO_FILE} not found in a proto/ folder above ${__dirname}`);
    dir = parent;
  }
}

let service: ServiceDefinition | undefined;

type Longs = typeof String | typeof Number;

function loadService(longs: Longs): ServiceDefinition {
  const dir = protoDir();
  const definition = loadSync(join(dir, PROTO_FILE), { ...LOADER_OPTIONS, longs, includeDirs: [dir] });
  const pkg = loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: { service: ServiceDefinition } };
  };
  return pkg.inference.GRPCInferenceService.service;
}

function unsafe(value: unknown): boolean {
  return typeof value === 'number' && !Number.isSafeInteger(value);
}

/** Whether a request read with int64 as numbers holds a value that needs its exact form (see inferenceService). */
function needsExact(req: ProtoInferRequest): boolean {
  const params = (map: Record<string, ProtoParameter> | undefined): boolean =>
    Object.values(map ?? {}).some((p) => unsafe(p.int64_param) || unsafe(p.uint64_param));
  return (
    params(req.parameters) ||
    req.inputs.some(
      (t) =>
        params(t.parameters) ||
        (t.contents?.int64_contents ?? []).some(unsafe) ||
        (t.contents?.uint64_contents ?? []).some(unsafe),
    ) ||
    req.outputs.some((o) => params(o.parameters))
  );
}

/**
 * The GRPCInferenceService definition (loaded on first use). ModelInfer and ModelStreamInfer requests are read
 * with int64 fields as numbers first (protobuf.js turns each int64 into decimal text by long division: tens of
 * µs per shape value), and read again exactly, as text, only when an int64/uint64 element or parameter is
 * beyond 2^53 (a safe integer read as a number is exact: BigInt of it equals BigInt of its text). Their raw input
 * contents are then moved to their datatypes' boundaries inside the message where they can be (./raw-align.ts).
 */
export function inferenceService(): ServiceDefinition {
  if (service === undefined) {
    const exact = loadService(String);
    const fast = loadService(Number);
    const methods = { ...exact };
    for (const name of ['ModelInfer', 'ModelStreamInfer']) {
      const quick = fast[name]!.requestDeserialize as (bytes: Buffer) => ProtoInferRequest;
      const slow = exact[name]!.requestDeserialize;
      const read = (bytes: Buffer): unknown => {
        let request = quick(bytes);
        if (needsExact(request)) request = slow(bytes) as ProtoInferRequest;
        alignRawContents(request, bytes);
        return request;
      };
      methods[name] = { ...exact[name]!, requestDeserialize: read };
    }
    service = methods;
  }
  return service;
}

/** An InferParameter / ModelRepositoryParameter: one of its fields, named by parameter_choice. */
export interface ProtoParameter {
  parameter_choice?: string;
  bool_param?: boolean;
  int64_param?: string | number;
  string_param?: string;
  double_param?: number;
  uint64_param?: string | number;
  bytes_param?: Buffer;
}

/** InferTensorContents: the repeated field of the tensor's datatype (int64 and uint64 as decimal strings). */
export interface ProtoContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Array<string | number>; // numbers when read quickly, text when read exactly
  uint_contents?: number[];
  uint64_contents?: Array<string | number>;
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

/** ModelInferRequest.InferInputTensor and ModelInferResponse.InferOutputTensor. */
export interface ProtoTensor {
  name?: string;
  datatype?: string;
  shape: string[] | number[];
  parameters: Record<string, ProtoParameter>;
  contents?: ProtoContents;
}

export interface ProtoInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters: Record<string, ProtoParameter>;
  inputs: ProtoTensor[];
  outputs: { name?: string; parameters: Record<string, ProtoParameter> }[];
  raw_input_contents: Buffer[];
}

export interface ProtoInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, ProtoParameter>;
  outputs: ProtoTensor[];
  raw_output_contents?: Buffer[];
}
