/**
 * Open Inference Protocol (KServe V2) request and response shapes, as decoded in memory.
 * Wire formats (JSON, Triton's binary extension) are in ./json.ts and ./binary.ts.
 */
import type { Datatype, Tensor } from '../../bindings/datatypes';

export type Parameters = Record<string, string | number | boolean>;

/** A named tensor inside an OIP request or response. */
export interface NamedTensor extends Tensor {
  name: string;
  parameters?: Parameters;
}

/** The output a client asks for: by name, with optional per-output parameters (binary_data, …). */
export interface RequestedOutput {
  name: string;
  parameters?: Parameters;
}

/** A decoded OIP inference request: every input's data is a TypedArray (or Buffers for BYTES). */
export interface InferRequest {
  id?: string;
  parameters?: Parameters;
  inputs: NamedTensor[];
  outputs?: RequestedOutput[];
}

/** An OIP inference response before encoding. */
export interface InferResponse {
  model_name: string;
  model_version?: string;
  id: string;
  parameters?: Parameters;
  outputs: NamedTensor[];
}

export type { Datatype, Tensor };
