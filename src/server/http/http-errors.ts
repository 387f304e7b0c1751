/**
 * What the HTTP stack itself rejects, before a request reaches GraphServer, answered in graphserve's
 * `{"error", "code"}` form like everything else:
 *   - Node's HTTP parser and read timeouts ('clientError'): malformed requests and bad content-length
 *     400, headers too large 431, headers or body not received in time 408;
 *   - an Expect header other than 100-continue ('checkExpectation'): 417;
 *   - fastify's own errors: a body over the limit 413, a body shorter than its content-length 400, a
 *     Content-Encoding it cannot decode 415.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError } from 'fastify';
import {
  BadRequestError,
  ExpectationFailedError,
  GraphServeError,
  HeaderTooLargeError,
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
} from '../../errors';

function bodyOf(error: GraphServeError): string {
  return JSON.stringify(error.toJSON());
}

/** The error for one of Node's client errors (see the module comment). */
export function fromClientError(err: NodeJS.ErrnoException): GraphServeError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError('the request was not received within the server read timeouts');
    case 'HPE_HEADER_OVERFLOW':
      return new HeaderTooLargeError('the request headers are larger than the server accepts');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new BadRequestError('the request has an invalid Content-Length header');
    default:
      return new BadRequestError(`malformed HTTP request (${err.code ?? 'parse error'})`);
  }
}

/**
 * fastify's clientErrorHandler: writes the error as a complete HTTP response and closes the
 * connection (the parser cannot go on after an error). Nothing is written to a socket that is gone.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const error = fromClientError(err);
    const body = bodyOf(error);
    socket.write(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Node's 'checkExpectation': an Expect header other than 100-continue answers 417. */
export function rejectExpectation(req: IncomingMessage, res: ServerResponse): void {
  const error = new ExpectationFailedError(`Expect: ${req.headers.expect ?? ''} is not supported (only 100-continue)`);
  const body = bodyOf(error);
  res.writeHead(error.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Maps what fastify rejects before GraphServer runs to graphserve's error classes. */
export function fromFastifyError(
  err: FastifyError,
  bodyLimit: number,
  req?: { headers: Record<string, unknown> },
): GraphServeError {
  if (err instanceof GraphServeError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
    return new PayloadTooLargeError(`request body is larger than the limit of ${bodyLimit} bytes`);
  }
  // @fastify/compress marks the stream errors of a body that does not decode (zlib's, keeping its message).
  if ('decompressError' in err) return undecodable(req?.headers['content-encoding'], err.message);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new BadRequestError(err.message);
  }
  return new GraphServeError(`internal error: ${err.message}`);
}

/** @fastify/compress's hook for a Content-Encoding it does not decode. */
export function unsupportedEncoding(encoding: string): GraphServeError {
  return new UnsupportedMediaTypeError(
    `Content-Encoding ${JSON.stringify(encoding)} is not supported; use gzip, deflate, br or identity`,
  );
}

function undecodable(encoding: unknown, detail: string): GraphServeError {
  return new BadRequestError(`the request body is not valid ${String(encoding ?? 'encoded')} data (${detail})`);
}
