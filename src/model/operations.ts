/**
 * The operations of a model path (MLRun's): which one an event asks for, the HTTP methods each takes, and
 * what predict() and explain() get beside the request.
 */
import type { Cancellation } from '../cancellation';
import { isPlainObject } from '../step/paths';
import type { Event } from '../event';
import type { PredictOptions } from './types';

/** The operations that run predict(). */
export const PREDICT_OPS: readonly string[] = Object.freeze(['predict', 'infer', 'predict_dict', 'infer_dict']);

const POST_ONLY: readonly string[] = Object.freeze(['POST']);
const GET_ONLY: readonly string[] = Object.freeze(['GET']);
const MODEL_ROOT: readonly string[] = Object.freeze(['GET', 'POST']);
const ANY_METHOD: readonly string[] = Object.freeze(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
const NONE: readonly string[] = Object.freeze([]);

/**
 * The methods of an operation path: inference operations POST, `ready` GET, the model itself ('') GET
 * (metadata) and POST (inference, as MLRun); a custom `op_<name>` any, an unknown one none. `isCustom` is
 * asked only for an operation that is not built in (it runs for every request).
 */
export function operationMethods(op: string, isCustom: (op: string) => boolean): readonly string[] {
  if (PREDICT_OPS.includes(op) || op === 'explain') return POST_ONLY;
  if (op === 'ready') return GET_ONLY;
  if (op === '') return MODEL_ROOT;
  return isCustom(op) ? ANY_METHOD : NONE;
}

/**
 * MLRun's operation resolution: the path's (`pathOp`: the event's path without its slashes) first, then the
 * body's `operation`, then 'infer' for non-GET.
 */
export function resolveOperation(pathOp: string, event: Event, body: unknown): { op: string; id: string } {
  let op = pathOp;
  let id = event.id;
  if (isPlainObject(body)) {
    if (!op && typeof body.operation === 'string') op = body.operation;
    if (typeof body.id === 'string' && body.id) id = body.id;
  }
  if (!op && event.method !== 'GET') op = 'infer';
  return { op, id };
}

/**
 * PredictOptions over a cancellation; the AbortSignal is made only if predict() reads it. A class, not an
 * object literal with a getter: V8 builds such literals on a slow path, at a cost seen per request.
 */
class CancellablePredict implements PredictOptions {
  constructor(readonly cancellation: Cancellation) {}

  get signal(): AbortSignal {
    return this.cancellation.signal;
  }
}

const NO_OPTIONS: PredictOptions = Object.freeze({});

/** What predict() gets beside the request of an event with `cancellation`. */
export function predictOptions(cancellation: Cancellation | undefined): PredictOptions {
  return cancellation === undefined ? NO_OPTIONS : new CancellablePredict(cancellation);
}
