/**
 * One gRPC call as one Event to GraphServer, the way the HTTP transport does it: the path and method of the
 * HTTP route that answers the same question, the call's metadata as headers, and a cancellation that aborts
 * when the client cancels the call (499) or its deadline passes (504), so queued work is dropped. GraphServer's
 * own request timeout bounds the event too: whichever comes first.
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Cancellation } from '../../cancellation';
import { BadRequestError, CancelledError, TimeoutError, type GraphServeError } from '../../errors';
import { GRPC_TRIGGER, type Event, type EventResponse } from '../../event';
import { withRequestId } from '../../logging';

/** What the gRPC transport needs from GraphServer: run() never throws; errors come back as a status. */
export interface EventRunner {
  run(event: Event): Promise<EventResponse>;
  /** True once drain() was called. */
  readonly draining?: boolean;
  /** Refuses new events; resolves when every event in flight is answered. */
  drain?(): Promise<void>;
  /** Answers every event in flight now. */
  abortAll?(): void;
}

/** A call whose cancellation the transport can watch (unary and streaming calls alike). */
export interface WatchedCall {
  readonly metadata: Metadata;
  getDeadline(): ReturnType<ServerUnaryCall<unknown, unknown>['getDeadline']>;
  on(event: 'cancelled', listener: () => void): unknown;
}

/** The call's metadata as Event headers: text values only, names lower-cased (as gRPC sends them). */
export function headersOf(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/** A model name or version as one path segment; throws BadRequestError for what cannot be one. */
export function segment(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new BadRequestError(`${what} is required`);
  if (/[/?#%]/.test(value) || value === '.' || value === '..') {
    throw new BadRequestError(`${what} ${JSON.stringify(value)} is not a valid name`);
  }
  return value;
}

/** `/v2/models/<name>[/versions/<version>]`. */
export function modelPath(name: string | undefined, version: string | undefined): string {
  const base = `/v2/models/${segment(name, 'the model name')}`;
  return version ? `${base}/versions/${segment(version, 'the model version')}` : base;
}

/** What one call asks GraphServer. */
export interface CallEvent {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The request's own id (ModelInferRequest.id), else x-request-id, else a new UUID. */
  id?: string;
}

/**
 * Runs `what` for `call` and resolves with GraphServer's answer. The event's cancellation aborts when the call's
 * deadline passes; when the call is cancelled too, unless `cancellation` is given (a stream's requests share
 * one call: the stream aborts theirs itself).
 */
export async function runCall(
  runner: EventRunner,
  call: WatchedCall,
  what: CallEvent,
  cancellation?: Cancellation,
): Promise<EventResponse> {
  const headers = headersOf(call.metadata);
  let answered = false;
  const event: Event = {
    id: what.id || headers['x-request-id'] || randomUUID(),
    path: what.path,
    method: what.method,
    headers,
    body: what.body,
    cancellation: cancellation ?? cancelledWith(call, () => answered),
    trigger: GRPC_TRIGGER,
  };
  const timer = deadlineTimer(call, event.cancellation!);
  try {
    return await withRequestId(event.id, () => runner.run(event)); // every line it logs carries the id
  } finally {
    answered = true;
    clearTimeout(timer);
  }
}

/**
 * A cancellation that aborts with cancelReason(call) when `call` is cancelled before `answered()`. (grpc-js also
 * reports a call as cancelled once its stream has closed after the answer: no error is made for those.)
 */
function cancelledWith(call: WatchedCall, answered: () => boolean): Cancellation {
  const cancellation = new Cancellation();
  call.on('cancelled', () => {
    if (!answered()) cancellation.abort(cancelReason(call));
  });
  return cancellation;
}

/** A cancel this close to the deadline is the deadline's, ms (timers and the wall clock differ by about 1 ms). */
const DEADLINE_SLACK_MS = 10;

/** The call's deadline, ms since the epoch (Infinity when it has none). */
function deadlineOf(call: WatchedCall): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * Why a cancelled call was given up: its deadline passed (504; gRPC cancels the call when it does), or the
 * client went away (499).
 */
export function cancelReason(call: WatchedCall): GraphServeError {
  if (Date.now() >= deadlineOf(call) - DEADLINE_SLACK_MS)
    return new TimeoutError("no answer within the client's deadline");
  return new CancelledError('the client cancelled the call');
}

/** Aborts `cancellation` (504) when the call's deadline passes; undefined when it has none. */
function deadlineTimer(call: WatchedCall, cancellation: Cancellation): NodeJS.Timeout | undefined {
  const at = deadlineOf(call);
  if (!Number.isFinite(at)) return undefined;
  const expire = (): void => cancellation.abort(new TimeoutError("no answer within the client's deadline"));
  return setTimeout(expire, Math.max(0, at - Date.now()));
}
