/**
 * Tracking records of V2ModelServer (MLRun's model monitoring): one per predict/explain request, pushed to
 * the context's `monitor` when there is one. A monitor that throws never fails the request.
 */
import type { ServingContext } from '../step/context';
import { formatTimestamp, nowMillis } from './envelope';
import type { ModelRequest } from './types';

/** What a tracking record says about the model and the request. */
export interface TrackedCall {
  model: string;
  version: string;
  op: string;
  id: string;
  /** When the request started, ms (nowMillis()). */
  started: number;
  metrics: Record<string, unknown>;
  /** The model's loggedResults() choice, when it made one. */
  logged?: { inputs: unknown; outputs: unknown } | void;
}

/** Pushes the record of one request (a failed one with `error`) to `context.monitor`, if any. */
export function pushTrackingRecord(
  context: ServingContext,
  call: TrackedCall,
  request: ModelRequest,
  response: object | undefined,
  error?: unknown,
): void {
  const monitor = context.monitor;
  if (!monitor) return;
  try {
    const outputs = response && 'outputs' in response ? response.outputs : undefined;
    const { logged } = call;
    monitor({
      model: call.model,
      version: call.version,
      op: call.op,
      id: call.id,
      when: formatTimestamp(call.started),
      microsec: Math.round((nowMillis() - call.started) * 1000),
      inputs: logged ? logged.inputs : request.inputs,
      outputs: logged ? logged.outputs : outputs,
      metrics: { ...call.metrics },
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    });
  } catch (err) {
    context.logger.warn(`tracking failed for model ${call.model}`, { error: String(err) });
  }
}
