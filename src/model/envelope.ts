/**
 * Request checks and response envelopes of V2ModelServer, kept apart from the class so that routers
 * and ensembles (issue 5) build the same envelope.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BadRequestError } from '../errors';
import { isPlainObject } from '../step/paths';
import type { ModelResponse, ModelSpec } from './types';

/** A new event id: 32 lowercase hex characters, no dashes (MLRun's uuid4().hex). */
export function newEventId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Milliseconds since the epoch, with a fractional part down to the microsecond. */
export function nowMillis(): number {
  return performance.timeOrigin + performance.now();
}

/** `YYYY-MM-DD HH:MM:SS.ffffff+00:00` in UTC: Python's isoformat(sep=" ", timespec="microseconds"). */
export function formatTimestamp(epochMillis: number): string {
  const whole = Math.floor(epochMillis);
  const micros = Math.floor((epochMillis - whole) * 1000) + (whole % 1000) * 1000;
  const iso = new Date(whole).toISOString(); // 2024-10-23T10:15:52.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros).padStart(6, '0')}+00:00`;
}

/** Builds the MLRun envelope; key order id, model_name, outputs, timestamp, model_version. */
export function buildEnvelope(
  fields: { id: string; name: string; version: string; outputs: unknown },
  timestamp: string | undefined,
): ModelResponse {
  const response: ModelResponse = { id: fields.id, model_name: fields.name, outputs: fields.outputs };
  if (timestamp !== undefined) response.timestamp = timestamp;
  if (fields.version) response.model_version = fields.version;
  return response;
}

/** The default validate() of protocol v2: the request must be an object with an `inputs` list. */
export function checkInputs(request: unknown): void {
  if (request === undefined || request === null) {
    throw new BadRequestError('request body with "inputs" is required');
  }
  if (!isPlainObject(request) || !('inputs' in request)) {
    throw new BadRequestError('Expected key "inputs" in request body');
  }
  if (!Array.isArray(request.inputs)) throw new BadRequestError('Expected "inputs" to be a list');
}

function rowOf(record: Record<string, unknown>, names: string[]): unknown[] {
  if (!names.every((name) => name in record)) {
    throw new BadRequestError(`Input dictionary don't contain all the necessary input keys : [${names.join(', ')}]`);
  }
  return names.map((name) => record[name]);
}

/**
 * The `*_dict` operations: `inputs` given as `{feature: value}` (one row) or `[{…}, …]` (rows) becomes
 * lists ordered by the model spec's input names.
 */
export function dictInputsToLists(inputs: unknown, spec: ModelSpec | undefined): unknown[] {
  const names = (spec?.inputs ?? []).map((feature) => feature.name);
  if (names.length === 0) {
    throw new BadRequestError(
      'In order to use predict_dict or infer_dict operation you have to provide `modelPath` to the model server and to load it by `load()` function',
    );
  }
  if (isPlainObject(inputs)) return rowOf(inputs, names);
  if (Array.isArray(inputs) && inputs.every(isPlainObject)) {
    return inputs.map((row) => rowOf(row as Record<string, unknown>, names));
  }
  throw new BadRequestError(
    'When using predict_dict or infer_dict operation the inputs must be of type `list[dict]` or `dict`',
  );
}
