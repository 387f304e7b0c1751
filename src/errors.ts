/**
 * Every error graphserve raises, one class per kind, each with a stable string `code` and the HTTP
 * status it maps to. Native code never invents error kinds: the addon receives these classes at init
 * and maps its internal Status codes onto them (see bindings/loader.ts).
 *
 * HTTP answers `{"error": message, "code": code}` with `status`.
 */
import { readdirSync } from 'node:fs';

export class GraphServeError extends Error {
  /** Stable, documented identifier; never changes between releases. */
  readonly code: string = 'GS_ERROR';
  /** HTTP status this error answers with. */
  readonly status: number = 500;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** The answer's body; the message has file paths redacted (see redactMessage), logs keep it whole. */
  toJSON(): { error: string; code: string } {
    return { error: redactMessage(this.message), code: this.code };
  }
}

/** Malformed or invalid input: wrong datatype, shape/data mismatch, unknown input name, bad JSON. */
export class BadRequestError extends GraphServeError {
  override readonly code: string = 'GS_BAD_REQUEST';
  override readonly status: number = 400;
}

/** A tensor does not match what the model declares (name, datatype or shape). */
export class InvalidTensorError extends BadRequestError {
  override readonly code: string = 'GS_INVALID_TENSOR';
}

/** Options given to a constructor or a config file are invalid. */
export class InvalidOptionError extends GraphServeError {
  override readonly code: string = 'GS_INVALID_OPTION';
  override readonly status: number = 400;
}

/** Unknown model, version, route or operation. */
export class NotFoundError extends GraphServeError {
  override readonly code: string = 'GS_NOT_FOUND';
  override readonly status: number = 404;
}

/** Unknown model or version. */
export class ModelNotFoundError extends NotFoundError {
  override readonly code: string = 'GS_MODEL_NOT_FOUND';
}

/** The HTTP method is not allowed on that path; `allow` lists the methods that are (the Allow header). */
export class MethodNotAllowedError extends GraphServeError {
  override readonly code: string = 'GS_METHOD_NOT_ALLOWED';
  override readonly status: number = 405;
  readonly allow: readonly string[];

  constructor(message: string, options?: { cause?: unknown; allow?: readonly string[] }) {
    super(message, options);
    this.allow = Object.freeze([...(options?.allow ?? [])]);
  }
}

/** Request body larger than the configured limit. */
export class PayloadTooLargeError extends GraphServeError {
  override readonly code: string = 'GS_PAYLOAD_TOO_LARGE';
  override readonly status: number = 413;
}

/** The model (or server) is not ready: still loading, failed to load, or disposed. */
export class NotReadyError extends GraphServeError {
  override readonly code: string = 'GS_NOT_READY';
  override readonly status: number = 503;
}

/** The model's request queue is full; the client should back off and retry. */
export class QueueFullError extends GraphServeError {
  override readonly code: string = 'GS_QUEUE_FULL';
  override readonly status: number = 503;
}

/** The session was disposed while the request was queued or running. */
export class DisposedError extends NotReadyError {
  override readonly code: string = 'GS_DISPOSED';
}

/** The request did not complete within its timeout. */
export class TimeoutError extends GraphServeError {
  override readonly code: string = 'GS_TIMEOUT';
  override readonly status: number = 504;
}

/** A failure inside a model or step: ORT run failure, an exception thrown by user code. */
export class ModelError extends GraphServeError {
  override readonly code: string = 'GS_MODEL_ERROR';
  override readonly status: number = 500;
}

/** A model file could not be loaded (missing, corrupt, unsupported operator). */
export class ModelLoadError extends ModelError {
  override readonly code: string = 'GS_MODEL_LOAD';
}

/** An execution provider is unavailable (for example CUDA libraries missing). */
export class ProviderError extends ModelError {
  override readonly code: string = 'GS_PROVIDER_UNAVAILABLE';
}

/** The native addon could not be loaded; the message lists every place that was tried. */
export class AddonLoadError extends GraphServeError {
  override readonly code: string = 'GS_ADDON_LOAD';
}

/** A remote step's call failed after its retries. */
export class RemoteStepError extends GraphServeError {
  override readonly code: string = 'GS_REMOTE_STEP';
  override readonly status: number = 502;
}

/** A serving graph is malformed (a loop, an unknown step, two responders …) or a step has no handler. */
export class GraphError extends GraphServeError {
  override readonly code: string = 'GS_GRAPH';
  override readonly status: number = 500;
}

/** A remote step's call timed out (its `timeout`) on every attempt it was allowed. */
export class RemoteTimeoutError extends RemoteStepError {
  override readonly code: string = 'GS_REMOTE_TIMEOUT';
  override readonly status: number = 504;
}

/** The server is draining before it stops: requests that arrive meanwhile are refused. */
export class ShuttingDownError extends NotReadyError {
  override readonly code: string = 'GS_SHUTTING_DOWN';
}

/** A stream broker (Kafka, Redis) cannot be reached, or it refused a publish; the work is retried later. */
export class StreamUnavailableError extends NotReadyError {
  override readonly code: string = 'GS_STREAM_UNAVAILABLE';
}

/**
 * The request was given up before its answer: the client closed the connection, or the server stopped
 * waiting for it. Queued engine work is removed. Status 499 (nginx's "client closed request") is what
 * metrics and logs record; the client that left never reads it.
 */
export class CancelledError extends GraphServeError {
  override readonly code: string = 'GS_CANCELLED';
  override readonly status: number = 499;
}

/** The client did not send the request's headers or body within the server's read timeouts. */
export class RequestTimeoutError extends GraphServeError {
  override readonly code: string = 'GS_REQUEST_TIMEOUT';
  override readonly status: number = 408;
}

/** The request's headers are larger than the server accepts. */
export class HeaderTooLargeError extends GraphServeError {
  override readonly code: string = 'GS_HEADER_TOO_LARGE';
  override readonly status: number = 431;
}

/** The request body's Content-Encoding is not one the server decodes (gzip, deflate, br, identity). */
export class UnsupportedMediaTypeError extends GraphServeError {
  override readonly code: string = 'GS_UNSUPPORTED_MEDIA_TYPE';
  override readonly status: number = 415;
}

/** The request's Expect header asks for something other than 100-continue. */
export class ExpectationFailedError extends GraphServeError {
  override readonly code: string = 'GS_EXPECTATION_FAILED';
  override readonly status: number = 417;
}

/**
 * A model repository request that cannot be done (the repository API's load: the model's folder cannot
 * be read or its model fails to load). The server and the models it serves are unaffected.
 */
export class RepositoryError extends BadRequestError {
  override readonly code: string = 'GS_REPOSITORY';
}

/** Every error class, by name: passed to the addon at init and checked by test/errors.test.ts. */
export const errorClasses = {
  GraphServeError,
  BadRequestError,
  InvalidTensorError,
  InvalidOptionError,
  NotFoundError,
  ModelNotFoundError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  NotReadyError,
  QueueFullError,
  DisposedError,
  TimeoutError,
  ModelError,
  ModelLoadError,
  ProviderError,
  AddonLoadError,
  RemoteStepError,
  GraphError,
  ShuttingDownError,
  StreamUnavailableError,
  CancelledError,
  RequestTimeoutError,
  HeaderTooLargeError,
  UnsupportedMediaTypeError,
  ExpectationFailedError,
  RepositoryError,
} as const;

export type ErrorClassName = keyof typeof errorClasses;

/**
 * An absolute path: a '/' at the start or after white space, a quote, '(', '[', '=' or ',' (never the
 * path part of a URL, which follows a host or a ':'), then path characters, not ending in '.'; and the
 * ':line' or ':line:column' of a source location, with one space after it.
 */
const ABSOLUTE_PATH = /(^|[\s'"`([=,])(\/[^\s'"`()[\]{},;:]*[^\s'"`()[\]{},;:.])(:\d+(?::\d+)? ?)?/g;

/** A file name's extension: a dot, a letter, then up to 7 letters or digits ('1.0' is not one). */
const EXTENSION = /\.[A-Za-z][A-Za-z0-9]{0,7}$/;

let rootNames: ReadonlySet<string> | undefined;

/** The names at this machine's file system root (read once), e.g. tmp, home, usr. */
function isRootName(name: string): boolean {
  if (rootNames === undefined) {
    try {
      rootNames = new Set(readdirSync('/'));
    } catch {
      rootNames = new Set();
    }
  }
  return rootNames.has(name);
}

/**
 * A message with file system details taken out, for answers to clients: a source location (an absolute
 * path with a line number, e.g. ORT's '/onnxruntime_src/onnxruntime/core/providers/cpu/nn/conv.cc:123')
 * is removed, and an absolute file path (its last part has an extension, or its first part is a folder at
 * this machine's root) is replaced by its base name ('/tmp/x/iris/model.onnx' -> 'model.onnx'). URLs and
 * URL paths such as '/v2/models/iris/infer' are kept.
 */
export function redactMessage(message: string): string {
  return message.replace(ABSOLUTE_PATH, (match: string, before: string, path: string, line?: string) => {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length < 2) return match;
    if (line !== undefined) return before;
    const base = parts[parts.length - 1]!;
    return EXTENSION.test(base) || isRootName(parts[0]!) ? `${before}${base}` : match;
  });
}

/** Turns anything thrown into a GraphServeError (user code may throw strings or plain Errors). */
export function toGraphServeError(err: unknown): GraphServeError {
  if (err instanceof GraphServeError) return err;
  if (err instanceof Error) {
    const wrapped = new ModelError(err.message, { cause: err });
    return wrapped;
  }
  return new ModelError(String(err));
}
