/**
 * The gRPC service definition: proto/grpc_service.proto (the KServe v2 `inference.GRPCInferenceService` with
 * Triton's extensions) loaded once with @grpc/proto-loader, and the shapes its messages take in JavaScript.
 *
 * Loader options, and what they mean for the shapes below: field names as in the .proto (snake_case); int64 and
 * uint64 as decimal strings (exact beyond 2^53); enums by name; `bytes` as Buffers (views over the received
 * message, no copy); repeated fields and maps always present (empty when not sent); fields not sent are
 * absent rather than defaulted; a oneof's chosen field is named by `parameter_choice`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { GraphServeError } from '../../errors';

/** The service's full name, as clients call it. */
export const SERVICE_NAME = 'inference.GRPCInferenceService';

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

/** The GRPCInferenceService definition (loaded on first use). */
export function inferenceService(): ServiceDefinition {
  if (service === undefined) {
    const dir = protoDir();
    const definition = loadSync(join(dir, PROTO_FILE), { ...LOADER_OPTIONS, includeDirs: [dir] });
    const pkg = loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: { service: ServiceDefinition } };
    };
    service = pkg.inference.GRPCInferenceService.service;
  }
  return service;
}

/** An InferParameter / ModelRepositoryParameter: one of its fields, named by parameter_choice. */
export interface ProtoParameter {
  parameter_choice?: string;
  bool_param?: boolean;
  int64_param?: string;
  string_param?: string;
  double_param?: number;
  uint64_param?: string;
  bytes_param?: Buffer;
}

/** InferTensorContents: the repeated field of the tensor's datatype (int64 and uint64 as decimal strings). */
export interface ProtoContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: string[];
  uint_contents?: number[];
  uint64_contents?: string[];
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
