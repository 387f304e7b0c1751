/**
 * The access log: one JSON line per HTTP request, written once its response is finished (fastify's
 * onResponse), whatever answered it (GraphServer, the 404 handler, fastify's own rejections):
 *
 *   {"time":"2026-11-30T02:40:01.123Z","reqId":"…","method":"POST","path":"/v2/models/iris/infer",
 *    "model":"iris","version":null,"status":200,"code":null,"responseTimeMs":1.234,"batchSize":2}
 *
 * `model` and `version` come from the path (`/v2/models/<m>[/versions/<v>]/…`, also under
 * `/v2/repository/`), the version else from the answer's `model_version`; `code` from an error answer's
 * `{"error","code"}`; `batchSize` is the rows of an inference answer: the first dimension of its first
 * output tensor (JSON or binary), or the common length of MLRun-dialect output lists. null where unknown.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventResponse } from '../../event';

/** Where access-log lines go: anything with write(line) (a SonicBoom from pino.destination(), a stream). */
export interface AccessLogSink {
  write(line: string): unknown;
}

/** One access-log line's fields (see the file comment). */
export interface AccessLogEntry {
  time: string;
  reqId: string;
  method: string;
  path: string;
  model: string | null;
  version: string | null;
  status: number;
  code: string | null;
  responseTimeMs: number;
  batchSize: number | null;
}

const MODEL_PATH = /^\/v2\/(?:repository\/)?models\/([^/]+)(?:\/versions\/([^/]+))?/;

function decoded(segment: string | undefined): string | null {
  if (segment === undefined) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Rows of an answer's outputs: an OIP tensor list's first shape dimension, or, for MLRun-dialect outputs
 * that are an object of lists (OnnxModelServer's), their common length.
 */
function firstDimension(outputs: unknown): number | null {
  if (Array.isArray(outputs)) {
    const shape = (outputs[0] as { shape?: unknown } | undefined)?.shape;
    return Array.isArray(shape) && typeof shape[0] === 'number' ? shape[0] : null;
  }
  if (outputs === null || typeof outputs !== 'object') return null;
  const lengths = new Set(Object.values(outputs).map((value) => (Array.isArray(value) ? value.length : -1)));
  const [rows] = lengths;
  return lengths.size === 1 && rows !== undefined && rows >= 0 ? rows : null;
}

/** The first dimension of an inference answer's first output: from the JSON body, or a binary body's header. */
export function batchSizeOf(res: EventResponse | undefined): number | null {
  if (res === undefined || res.status !== 200) return null;
  const body = res.body;
  if (Buffer.isBuffer(body)) {
    const length = Number(res.headers['inference-header-content-length']);
    if (!Number.isInteger(length) || length <= 0 || length > body.length) return null;
    try {
      return firstDimension((JSON.parse(body.subarray(0, length).toString('utf8')) as { outputs?: unknown }).outputs);
    } catch {
      return null;
    }
  }
  if (body !== null && typeof body === 'object') return firstDimension((body as { outputs?: unknown }).outputs);
  return null;
}

/** The answer's `model_version` (an inference answer names the version that answered). */
function versionOf(res: EventResponse | undefined): string | null {
  const version = (res?.body as { model_version?: unknown } | null | undefined)?.model_version;
  return typeof version === 'string' && !Buffer.isBuffer(res?.body) ? version : null;
}

function codeOf(res: EventResponse | undefined): string | null {
  const code = (res?.body as { code?: unknown } | null | undefined)?.code;
  return res !== undefined && res.status >= 400 && typeof code === 'string' ? code : null;
}

/** The entry for a finished request; `res` is what GraphServer (or an error handler) answered, if known. */
export function accessLogEntry(
  req: FastifyRequest,
  reply: FastifyReply,
  res: EventResponse | undefined,
): AccessLogEntry {
  const url = req.raw.url ?? req.url;
  const query = url.indexOf('?');
  const path = query >= 0 ? url.slice(0, query) : url;
  const match = MODEL_PATH.exec(path);
  return {
    time: new Date().toISOString(),
    reqId: req.id,
    method: req.method,
    path,
    model: decoded(match?.[1]),
    version: decoded(match?.[2]) ?? versionOf(res),
    status: reply.statusCode,
    code: codeOf(res),
    responseTimeMs: Math.round(reply.elapsedTime * 1000) / 1000,
    batchSize: batchSizeOf(res),
  };
}

/** The access log of one app: note() each answer as it is sent, register() once to write the lines. */
export class AccessLog {
  readonly #responses = new WeakMap<FastifyReply, EventResponse>();

  constructor(private readonly sink: AccessLogSink) {}

  /** Remembers the answer a reply carries (its error code, its batch size) until the request's line. */
  note(reply: FastifyReply, res: EventResponse): void {
    this.#responses.set(reply, res);
  }

  /** Writes a line when each response of `app` is finished. */
  register(app: FastifyInstance): void {
    app.addHook('onResponse', (req, reply, done) => {
      try {
        this.sink.write(`${JSON.stringify(accessLogEntry(req, reply, this.#responses.get(reply)))}\n`);
      } catch (err) {
        req.log.error({ err }, 'access log: the line could not be written');
      }
      done();
    });
  }
}
