/**
 * Request bodies for the HTTP scenarios (made once, before anything is timed) and the decoding of
 * responses for verification: OIP JSON, and Triton's binary tensor extension (a JSON header of
 * `inference-header-content-length` bytes, then the raw little-endian tensor bytes).
 */

export const HEADER_LENGTH = 'inference-header-content-length';

/** One prepared request: a body and the headers that go with it. */
export interface HttpBody {
  body: Buffer;
  headers: Record<string, string>;
}

export interface TensorSpec {
  name: string;
  /** Full shape, batch dimension included. */
  shape: readonly number[];
}

/** An OIP JSON request with one FP32 input. */
export function jsonBody(input: TensorSpec, data: Float32Array): HttpBody {
  const request = {
    inputs: [{ name: input.name, datatype: 'FP32', shape: input.shape, data: Array.from(data) }],
  };
  return { body: Buffer.from(JSON.stringify(request)), headers: { 'content-type': 'application/json' } };
}

/**
 * A binary-extension request with one FP32 input; `binaryOutput` asks for the outputs as raw bytes too
 * (Triton's `binary_data_output`).
 */
export function binaryBody(input: TensorSpec, data: Float32Array, binaryOutput = false): HttpBody {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const header = {
    ...(binaryOutput ? { parameters: { binary_data_output: true } } : {}),
    inputs: [
      { name: input.name, datatype: 'FP32', shape: input.shape, parameters: { binary_data_size: bytes.length } },
    ],
  };
  const head = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([head, bytes]),
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(head.length) },
  };
}

interface OutputTensor {
  name: string;
  shape: number[];
  data?: number[];
  parameters?: { binary_data_size?: number };
}

/** The first output of an OIP response (JSON, or a binary-extension body when `headerLength` is set). */
export function firstOutput(body: Buffer, headerLength?: string): Float32Array {
  const jsonEnd = headerLength === undefined ? body.length : Number(headerLength);
  const response = JSON.parse(body.subarray(0, jsonEnd).toString('utf8')) as { outputs?: OutputTensor[] };
  const output = response.outputs?.[0];
  if (output === undefined) throw new Error(`response has no outputs: ${body.subarray(0, 200).toString('utf8')}`);
  const size = output.parameters?.binary_data_size;
  if (size === undefined) return Float32Array.from(output.data ?? []);
  const copy = new Uint8Array(body.subarray(jsonEnd, jsonEnd + size));
  return new Float32Array(copy.buffer, 0, size / 4);
}

/** Sends one request with fetch; resolves to the first output. Throws on a non-200 status. */
export async function postInfer(url: string, request: HttpBody): Promise<Float32Array> {
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${url}: status ${res.status}: ${body.subarray(0, 300).toString('utf8')}`);
  return firstOutput(body, res.headers.get(HEADER_LENGTH) ?? undefined);
}
