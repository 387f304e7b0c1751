/**
 * The lean path: plain requests go from Node's HTTP server straight to GraphServer, without fastify's
 * per-request machinery (routing, hooks, the content-type parser, the reply object, a child logger),
 * which costs about a third of the server's CPU for a small inference.
 *
 * It changes nothing a client can see. A request takes it only when none of fastify's parts would have
 * done anything for it (`accepts`): a GET without a body, or a POST whose body has a Content-Type and a
 * Content-Length within the limit; no Content-Encoding, nor Accept-Encoding when compression is on; no
 * CORS, no access log; not a /v2/docs path, no percent-encoding in the URL (fastify's router decodes it).
 * Everything else (HEAD, OPTIONS, chunked or compressed bodies, a body over the limit, the API docs) goes
 * through fastify as before. The answer is what
 * http.ts's sendResponse writes through fastify: the same status, headers and body, `connection: close`
 * while draining, the request id from `x-request-id` else a UUID, and a closed connection gives the
 * event up. Node's server applies the same read timeouts, connection limit and drain to both paths.
 * test/server/lean-path.test.ts compares the two answer by answer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyError } from 'fastify';
import type { EventResponse } from '../../event';
import { errorResponse } from '../../graph-server/graph-server';
import { HEADER_LENGTH } from '../../protocol/binary';
import { stringifyJson } from '../../protocol/json-text';
import { type EventRunner, runEvent, toEvent, writable } from './http-event';
import { fromFastifyError } from './http-errors';
import { DOCS_PREFIX } from './openapi';

/** What decides which requests may take the lean path. */
export interface LeanPathOptions {
  bodyLimit: number;
  compression: boolean;
  corsOrigins: readonly string[];
  accessLog: unknown;
  docs: boolean;
}

/** Whether fastify could do anything for requests with these options (then no request takes the lean path). */
export function leanPathPossible(o: LeanPathOptions): boolean {
  return o.corsOrigins.length === 0 && !o.accessLog;
}

export class LeanPath {
  constructor(
    private readonly runner: EventRunner,
    private readonly options: LeanPathOptions,
  ) {}

  /** Whether `req` may take the lean path (see the file comment). */
  accepts(req: IncomingMessage): boolean {
    const h = req.headers;
    if (h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return false;
    if (this.options.compression && h['accept-encoding'] !== undefined) return false;
    const url = req.url ?? '';
    if (url.includes('%') || (this.options.docs && url.startsWith(DOCS_PREFIX))) return false;
    if (req.method === 'GET') return h['content-length'] === undefined;
    if (req.method !== 'POST' || h['content-type'] === undefined) return false;
    const length = Number(h['content-length']);
    return Number.isInteger(length) && length >= 0 && length <= this.options.bodyLimit;
  }

  /** Answers `req` (one that `accepts` took). */
  serve(req: IncomingMessage, res: ServerResponse): void {
    const id = (req.headers['x-request-id'] as string | undefined) || randomUUID();
    if (req.method === 'GET') {
      this.answer(req, res, id, undefined);
      return;
    }
    const length = Number(req.headers['content-length']);
    let body: Buffer | undefined = alignedBody(length, Number(req.headers[HEADER_LENGTH]));
    let received = 0;
    // Plain listeners, left on req ('end' comes once; nothing comes after it): once() and off() cost a
    // wrapper and two removals per request. The body is let go at 'end', else it would live as long as req
    // does (res.req): the whole request.
    req.on('data', (chunk: Buffer) => {
      if (body !== undefined) received += chunk.copy(body, received);
    });
    req.on('end', () => {
      const whole = body!.subarray(0, received);
      body = undefined;
      this.answer(req, res, id, whole);
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, id: string, body: Buffer | undefined): void {
    const runner = this.runner;
    void runEvent(runner, toEvent(req, id, body), res, (response) => {
      if (!res.destroyed) answerWith(res, response, runner.draining === true);
    });
  }
}

/**
 * Writes `response`. When it cannot be written (a body too deeply nested for JSON) the answer is that
 * error, as fastify's error handler gives it; should even that fail, or the head be out already, the
 * connection is closed rather than left unanswered.
 */
function answerWith(res: ServerResponse, response: EventResponse, draining: boolean): void {
  try {
    writeResponse(res, response, draining);
  } catch (err) {
    try {
      if (res.headersSent) throw err;
      // Node checks the headers as it writes them: only a failed write pays for writable()'s check.
      const checked = writable(response);
      const answer = checked !== response ? checked : errorResponse(fromFastifyError(err as FastifyError, Infinity));
      writeResponse(res, answer, draining);
    } catch {
      res.destroy();
    }
  }
}

/**
 * A buffer for a body of `length` bytes (Node's parser delivers exactly that many before 'end'). With a
 * binary-extension body (`inference-header-content-length` = `jsonLength`), placed so that the bytes after
 * the JSON header start on an 8-byte boundary: src/protocol/binary.ts then views the tensors in place
 * instead of copying each one out of a misaligned body.
 */
function alignedBody(length: number, jsonLength: number): Buffer {
  if (!(Number.isInteger(jsonLength) && jsonLength > 0 && jsonLength < length)) return Buffer.allocUnsafe(length);
  const block = Buffer.allocUnsafeSlow(length + 7);
  const pad = (8 - ((block.byteOffset + jsonLength) % 8)) % 8;
  return block.subarray(pad, pad + length);
}

/**
 * Writes an EventResponse as fastify's reply.send does for http.ts's sendResponse: header names in lower
 * case; a Buffer as application/octet-stream and a string as text/plain unless the response says
 * otherwise, anything else as JSON; `charset=utf-8` added to a JSON type of a text body that names
 * none; a Content-Length (0 without a body); no body, type or length with 1xx and 204.
 */
function writeResponse(res: ServerResponse, response: EventResponse, draining: boolean): void {
  const headers: Record<string, string | number | readonly string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = value;
  let payload: Buffer | string | undefined;
  const body = response.body;
  if (Buffer.isBuffer(body)) {
    headers['content-type'] ??= 'application/octet-stream';
    payload = body;
  } else if (body !== undefined && body !== null) {
    payload = typeof body === 'string' ? body : stringifyJson(body);
    headers['content-type'] = textType(headers['content-type'], typeof body === 'string');
  }
  if (draining) headers['connection'] = 'close';
  const status = response.status;
  if (status < 200 || status === 204) {
    delete headers['content-type'];
    delete headers['content-length'];
    payload = undefined;
  } else if (payload !== undefined) {
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else if (status !== 304) {
    headers['content-length'] = '0';
  }
  res.writeHead(status, headers as Record<string, string | number | string[]>);
  res.end(payload);
}

/** The content type of a text body as fastify sends it (see writeResponse). */
function textType(
  given: string | number | readonly string[] | undefined,
  isString: boolean,
): string | number | readonly string[] {
  if (given === undefined) return isString ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  if (typeof given !== 'string') return given;
  const media = given.split(';')[0]!.trim().toLowerCase();
  if (media.includes('json') && !/;\s*charset\s*=/i.test(given))
    return `${given.replace(/[;\s]+$/, '')}; charset=utf-8`;
  return given;
}
