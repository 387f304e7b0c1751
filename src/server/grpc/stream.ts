/**
 * ModelStreamInfer: a bidirectional stream of ModelInferRequests, each run as its own inference Event (as
 * ModelInfer runs it), answered by one ModelStreamInferResponse in the order the answers come, carrying the
 * request's id. A failed request answers `error_message` (with infer_response's model_name and id set, so the
 * client can tell which) and the stream goes on.
 *
 * Bounds: the stream stops reading (gRPC flow control then holds the client back) while `maxInFlight` of its
 * requests run, until one is answered, and while its write buffer is full (the client does not take its answers),
 * until it drains: a client that sends without reading holds on the server the requests read before its write
 * buffer filled (at most `maxInFlight` more) and their answers, not every request it sends. The call's deadline
 * bounds every request in it;
 * when the client cancels the stream (or its deadline passes), every request still running is given up. The
 * stream ends once the client has half-closed it and every request has been answered.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Cancellation } from '../../cancellation';
import { cancelReason, type EventRunner } from './events';
import { modelInfer } from './infer';
import type { ProtoInferRequest, ProtoInferResponse } from './proto';
import { releaseReceivedBytes } from './received-bytes';
import { errorOfThrown } from './status';

interface StreamResponse {
  error_message?: string;
  infer_response?: ProtoInferResponse;
}

/** Requests of one stream that run at once, at most (the HTTP/2 window holds the client back beyond). */
export const STREAM_MAX_IN_FLIGHT = 64;

function failure(req: ProtoInferRequest, err: unknown): StreamResponse {
  const details = (err as { details?: unknown }).details;
  const message = typeof details === 'string' ? details : errorOfThrown(err).details;
  const infer: ProtoInferResponse = { model_name: req.model_name ?? '', outputs: [] };
  if (req.id) infer.id = req.id;
  return { error_message: message, infer_response: infer };
}

/** Serves one ModelStreamInfer call (see the module comment). */
export function streamInfer(
  runner: EventRunner,
  call: ServerDuplexStream<ProtoInferRequest, StreamResponse>,
  maxInFlight = STREAM_MAX_IN_FLIGHT,
): void {
  const running = new Set<Cancellation>();
  let halfClosed = false;
  let paused = false;
  let writeBlocked = false; // the last write filled the write buffer; 'drain' says when it has room again
  const finishIfDone = (): void => {
    if (halfClosed && running.size === 0 && !call.cancelled) call.end();
  };
  const readMore = (): void => {
    if (paused && running.size < maxInFlight && !writeBlocked) {
      paused = false;
      call.resume();
    }
  };
  const readNoMore = (): void => {
    if (paused) return;
    paused = true;
    call.pause();
  };
  const answered = (cancellation: Cancellation, response: StreamResponse): void => {
    running.delete(cancellation);
    if (!call.cancelled && !call.destroyed && !call.write(response) && !writeBlocked) {
      writeBlocked = true;
      readNoMore();
      call.once('drain', () => {
        writeBlocked = false;
        readMore();
      });
    }
    readMore();
    finishIfDone();
  };
  call.on('data', (req: ProtoInferRequest) => {
    releaseReceivedBytes(call);
    const cancellation = new Cancellation();
    running.add(cancellation);
    if (running.size >= maxInFlight || writeBlocked) readNoMore();
    modelInfer(runner, req, call, cancellation).then(
      (infer) => answered(cancellation, { infer_response: infer }),
      (err: unknown) => answered(cancellation, failure(req, err)),
    );
  });
  call.on('end', () => {
    halfClosed = true;
    finishIfDone();
  });
  call.on('cancelled', () => {
    if (running.size === 0) return;
    const reason = cancelReason(call);
    for (const cancellation of running) cancellation.abort(reason);
  });
  call.on('error', () => undefined); // a reset stream: 'cancelled' gives its requests up
}
