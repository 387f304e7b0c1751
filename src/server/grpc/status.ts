/**
 * gRPC status codes from graphserve's error answers: the same error classes (src/errors.ts) that give HTTP its
 * status give gRPC its code, so both transports fail alike. The status details are the error's message (file
 * paths redacted, as in HTTP bodies); the trailing metadata `graphserve-error-code` carries its stable code.
 *
 *   400 → INVALID_ARGUMENT   404 → NOT_FOUND   405 → UNIMPLEMENTED   408 → DEADLINE_EXCEEDED
 *   413 → RESOURCE_EXHAUSTED   499 → CANCELLED   503 → UNAVAILABLE (a full queue: RESOURCE_EXHAUSTED)
 *   504 → DEADLINE_EXCEEDED   501 → UNIMPLEMENTED   any other → INTERNAL
 */
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import type { EventResponse } from '../../event';
import { QueueFullError, toGraphServeError } from '../../errors';

/** The trailing metadata key that carries the error's code (GS_…). */
export const ERROR_CODE_KEY = 'graphserve-error-code';

const BY_HTTP_STATUS: Readonly<Record<number, Status>> = Object.freeze({
  400: Status.INVALID_ARGUMENT,
  404: Status.NOT_FOUND,
  405: Status.UNIMPLEMENTED,
  408: Status.DEADLINE_EXCEEDED,
  413: Status.RESOURCE_EXHAUSTED,
  499: Status.CANCELLED,
  501: Status.UNIMPLEMENTED,
  503: Status.UNAVAILABLE,
  504: Status.DEADLINE_EXCEEDED,
});

const QUEUE_FULL_CODE = new QueueFullError('').code;

/** The gRPC code of an HTTP status and error code. */
export function grpcCode(httpStatus: number, errorCode: string | undefined): Status {
  if (errorCode === QUEUE_FULL_CODE) return Status.RESOURCE_EXHAUSTED;
  return (
    BY_HTTP_STATUS[httpStatus] ?? (httpStatus >= 400 && httpStatus < 500 ? Status.INVALID_ARGUMENT : Status.INTERNAL)
  );
}

/** A gRPC error with its code, details and the `graphserve-error-code` trailer. */
export function serviceError(code: Status, details: string, errorCode: string): ServiceError {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, errorCode);
  return Object.assign(new Error(details), { code, details, metadata }) as ServiceError;
}

/** The gRPC error of an answer with status >= 400 (its body is `{error, code}`, see GraphServer). */
export function errorOfResponse(res: EventResponse): ServiceError {
  const body = res.body as { error?: unknown; code?: unknown } | null;
  const message = typeof body?.error === 'string' ? body.error : `request failed with status ${res.status}`;
  const code = typeof body?.code === 'string' ? body.code : 'GS_ERROR';
  return serviceError(grpcCode(res.status, code), message, code);
}

/** The gRPC error of anything thrown while translating (a GraphServeError keeps its class's status). */
export function errorOfThrown(err: unknown): ServiceError {
  const error = toGraphServeError(err);
  const { error: message, code } = error.toJSON();
  return serviceError(grpcCode(error.status, code), message, code);
}
