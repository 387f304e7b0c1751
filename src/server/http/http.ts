/**
 * The HTTP front end (fastify). It only translates: every request becomes an Event handed to
 * GraphServer.run, and its EventResponse is written back as it is. Every path and method reaches
 * GraphServer, so routing, decoding, status codes and error bodies are the same as with the mock server.
 *
 * The body reaches GraphServer as the raw Buffer (any content type), after Content-Encoding (gzip,
 * deflate, br) has been undone; the decoded size counts against `bodyLimit`. Responses are compressed for
 * clients that send Accept-Encoding. What the HTTP stack rejects itself is answered in the same
 * `{"error", "code"}` form (./http-errors.ts). A client that closes its connection before the answer
 * aborts the event's signal, so queued work is dropped. Every wait has a bound: header and body read
 * timeouts, idle keep-alive connections, the number of connections, and the drain on close().
 */
import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import compress from '@fastify/compress';
import corsPlugin from '@fastify/cors';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { checkSeconds } from '../../durations';
import { InvalidOptionError, NotFoundError } from '../../errors';
import { stringifyJson } from '../../protocol/json-text';
import type { EventResponse } from '../../event';
import { errorResponse } from '../../graph-server/graph-server';
import { AccessLog, type AccessLogSink } from './access-log';
import { registerDocs } from './docs';
import { Connections, drainServer } from './http-drain';
import { type EventRunner, runEvent, toEvent, writable } from './http-event';
import { clientErrorHandler, fromFastifyError, rejectExpectation, unsupportedEncoding } from './http-errors';
import { LeanPath, leanPathPossible } from './lean-path';

export type { EventRunner } from './http-event';

export interface HttpOptions {
  /** Interface to listen on. */
  host?: string;
  /** TCP port; 0 = any free port (see `url` for the one bound). */
  port?: number;
  /** Largest request body accepted, bytes, after Content-Encoding is undone; larger bodies get 413. */
  bodyLimit?: number;
  /** fastify's logger option: false, true, or pino options (ignored when `loggerInstance` is given). */
  logger?: FastifyServerOptions['logger'];
  /**
   * A pino logger (src/logging.ts) for fastify's own lines; null = `logger`. Either way fastify's
   * per-request lines are off (see `accessLog`), and lines logged while a request runs carry its id.
   */
  loggerInstance?: FastifyBaseLogger | null;
  /** Where the access log goes, a JSON line per request (./access-log.ts); null = no access log. */
  accessLog?: AccessLogSink | null;
  /** CORS (@fastify/cors): the origins allowed, or ['*'] for any; [] = no CORS headers (the default). */
  corsOrigins?: readonly string[];
  /** Serve the OpenAPI document at /v2/docs/openapi.json and Swagger UI at /v2/docs (./docs.ts). */
  docs?: boolean;
  /** Seconds a client has to send a request's headers; then 408 and the connection is closed. */
  headersTimeout?: number;
  /** Seconds a client has to send a whole request, headers and body; then 408. 0 = no limit. */
  bodyTimeout?: number;
  /** Seconds an idle keep-alive connection stays open. */
  keepAliveTimeout?: number;
  /** Open connections at most; connections beyond it are closed as they arrive. 0 = no limit. */
  maxConnections?: number;
  /**
   * Seconds close() lets requests in flight finish (new ones are answered 503 meanwhile); then what is
   * still running is answered 503 and every connection is closed.
   */
  drainTimeout?: number;
  /** Compress responses (gzip, deflate, br) for clients that send Accept-Encoding. */
  compression?: boolean;
  /**
   * Answer plain requests without fastify's per-request machinery (./lean-path.ts): the same answers,
   * less CPU. false = every request goes through fastify (tests compare the two).
   */
  leanPath?: boolean;
}

export const kDefaultHttpOptions: Readonly<Required<HttpOptions>> = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  bodyLimit: 64 * 1024 * 1024, // bytes; Triton's HTTP default
  logger: false,
  loggerInstance: null,
  accessLog: null,
  corsOrigins: Object.freeze([]),
  docs: true,
  headersTimeout: 30, // seconds
  bodyTimeout: 120, // seconds: a 64 MiB body over a slow link
  keepAliveTimeout: 72, // seconds; longer than the 60 s idle timeout of common load balancers (fastify's default)
  maxConnections: 4096,
  drainTimeout: 30, // seconds; Triton's --exit-timeout-secs
  compression: true,
  leanPath: true,
});

/** Drain timing: quiet time before the listener closes, and idleness before a connection is closed (ms). */
const SETTLE_MS = 250;

/** Responses smaller than this are sent uncompressed, bytes: none, as Triton (the client asked). */
const COMPRESS_THRESHOLD = 0;

/** A listening server. `close()` drains without losing a request (./http-drain.ts), then resolves. */
export interface RunningServer {
  app: FastifyInstance;
  /** A URL that reaches the server from this machine (127.0.0.1 when bound to every interface). */
  url: string;
  /** The address actually bound, as a URL (e.g. http://0.0.0.0:8080). */
  address: string;
  close(): Promise<void>;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

type Resolved = Readonly<Required<HttpOptions>>;

/** Merges `options` over the defaults and checks the timeouts; throws InvalidOptionError. */
export function resolveHttpOptions(options: HttpOptions = {}): Resolved {
  const o = { ...kDefaultHttpOptions };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (o as Record<string, unknown>)[key] = value;
  }
  checkSeconds('headersTimeout', o.headersTimeout, 0.001);
  checkSeconds('bodyTimeout', o.bodyTimeout, 0);
  checkSeconds('keepAliveTimeout', o.keepAliveTimeout, 0);
  checkSeconds('drainTimeout', o.drainTimeout, 0);
  if (o.bodyTimeout > 0 && o.headersTimeout > o.bodyTimeout) {
    throw new InvalidOptionError(
      `headersTimeout (${o.headersTimeout} s) must not exceed bodyTimeout (${o.bodyTimeout} s)`,
    );
  }
  if (!Number.isInteger(o.maxConnections) || o.maxConnections < 0) {
    throw new InvalidOptionError(`maxConnections must be an integer >= 0, got ${String(o.maxConnections)}`);
  }
  return Object.freeze(o);
}

/** Writes an EventResponse: Buffers and strings as they are, anything else as JSON. */
export function sendResponse(reply: FastifyReply, answer: EventResponse): FastifyReply {
  const res = writable(answer);
  reply.code(res.status);
  for (const [name, value] of Object.entries(res.headers)) reply.header(name, value);
  const body = res.body;
  if (Buffer.isBuffer(body) || typeof body === 'string') return reply.send(body);
  if (body === undefined || body === null) return reply.send();
  if (!reply.hasHeader('content-type')) reply.header('content-type', 'application/json; charset=utf-8');
  return reply.send(stringifyJson(body));
}

type Send = (reply: FastifyReply, res: EventResponse) => FastifyReply;

/**
 * Runs the request's event (runEvent) and sends its answer. The body moves from the request to the event, and
 * nothing here waits holding either: a raw body is garbage once decoded (see GraphServer's handle).
 */
function answer(runner: EventRunner, req: FastifyRequest, reply: FastifyReply, send: Send): Promise<FastifyReply> {
  const body = req.body;
  req.body = undefined;
  return runEvent(runner, toEvent(req.raw, req.id, body), reply.raw, (response) => send(reply, response));
}

/**
 * The Node server, with the read timeouts checked often enough to hold to the second; requests that
 * `lean` accepts skip fastify.
 */
function serverFactory(options: Resolved, lean: LeanPath | undefined) {
  const shortest = Math.min(options.headersTimeout, options.bodyTimeout || Infinity);
  return (fastify: RequestListener): Server => {
    const handler: RequestListener = lean
      ? (req, res) => (lean.accepts(req) ? lean.serve(req, res) : fastify(req, res))
      : fastify;
    const server = createServer(
      {
        headersTimeout: options.headersTimeout * 1000,
        requestTimeout: options.bodyTimeout * 1000,
        connectionsCheckingInterval: Math.max(50, Math.min(1000, (shortest * 1000) / 4)),
      },
      handler,
    );
    server.keepAliveTimeout = options.keepAliveTimeout * 1000;
    if (options.maxConnections > 0) server.maxConnections = options.maxConnections;
    server.on('checkExpectation', rejectExpectation);
    return server;
  };
}

/**
 * fastify's logging: the pino instance or logger options; request ids from `x-request-id`, else a UUID;
 * no per-request lines (the access log is the per-request line).
 */
function loggingOptions(o: Resolved): FastifyServerOptions & { loggerInstance?: FastifyBaseLogger } {
  const common = {
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    logController: new LogController({ disableRequestLogging: true }),
  };
  return o.loggerInstance ? { ...common, loggerInstance: o.loggerInstance } : { ...common, logger: o.logger };
}

/**
 * @fastify/cors options for `origins` ('*' = any): preflights (OPTIONS with Access-Control-Request-Method)
 * are answered with the methods graphserve takes; a plain OPTIONS still reaches GraphServer (Allow).
 */
function corsOptions(origins: readonly string[]) {
  const preflight = {
    preflight: true,
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    exposedHeaders: ['inference-header-content-length', 'x-request-id'],
  };
  const plain = { ...preflight, preflight: false };
  return {
    delegator: (req: FastifyRequest, done: (err: Error | null, options: typeof plain) => void) =>
      done(null, req.headers['access-control-request-method'] === undefined ? plain : preflight),
  };
}

/** The opt-in parts (CORS, the API docs, the access log); returns how answers are sent (noted for the access log). */
function addOperatorParts(app: FastifyInstance, o: Resolved): Send {
  if (o.corsOrigins.length > 0) void app.register(corsPlugin, corsOptions(o.corsOrigins));
  if (o.docs) registerDocs(app);
  if (!o.accessLog) return sendResponse;
  const accessLog = new AccessLog(o.accessLog);
  accessLog.register(app);
  return (reply, res) => {
    accessLog.note(reply, res);
    return sendResponse(reply, res);
  };
}

/** Builds the fastify app without listening (use `app.inject()` in tests). */
export function buildApp(graphServer: EventRunner, options: HttpOptions = {}): FastifyInstance {
  const o = resolveHttpOptions(options);
  const app = Fastify({
    ...loggingOptions(o),
    bodyLimit: o.bodyLimit,
    serverFactory: serverFactory(o, o.leanPath && leanPathPossible(o) ? new LeanPath(graphServer, o) : undefined),
    clientErrorHandler,
    forceCloseConnections: false, // close() drains connections itself (./http-drain.ts)
    return503OnClosing: false,
  });
  if (o.compression) {
    void app.register(compress, {
      global: true,
      threshold: COMPRESS_THRESHOLD,
      encodings: ['gzip', 'deflate', 'br'],
      requestEncodings: ['gzip', 'deflate', 'br'],
      onUnsupportedRequestEncoding: unsupportedEncoding,
    });
  }
  const send = addOperatorParts(app, o);
  // Draining: once close() starts, every response asks the client to close its connection.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (graphServer.draining === true) reply.header('connection', 'close');
    return payload;
  });
  // Registered after compression, so that its decoding and encoding hooks apply to the route.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.route({
      // With CORS, @fastify/cors owns OPTIONS (it answers preflights); others reach the not-found handler.
      method: o.corsOrigins.length > 0 ? METHODS.filter((m) => m !== 'OPTIONS') : METHODS,
      url: '*',
      handler: (req, reply) => answer(graphServer, req, reply, send),
    });
  });
  app.setNotFoundHandler((req, reply) =>
    req.method === 'OPTIONS'
      ? answer(graphServer, req, reply, send)
      : send(reply, errorResponse(new NotFoundError(`no route for ${req.method} ${req.url.split('?')[0]}`))),
  );
  app.setErrorHandler((err: FastifyError, req, reply) =>
    send(reply, errorResponse(fromFastifyError(err, o.bodyLimit, req))),
  );
  return app;
}

/** `host:port` as a URL host, brackets around IPv6. */
function urlHost(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Builds the app and listens; resolves once bound, with the URL actually bound (port 0 picks one). */
export async function serve(graphServer: EventRunner, options: HttpOptions = {}): Promise<RunningServer> {
  const o = resolveHttpOptions(options);
  const app = buildApp(graphServer, o);
  const connections = new Connections(app.server);
  await app.listen({ host: o.host, port: o.port });
  const bound = app.server.address();
  const host = typeof bound === 'object' && bound !== null ? bound.address : o.host;
  const port = typeof bound === 'object' && bound !== null ? bound.port : o.port;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= drainServer(app.server, connections, graphServer, {
      drainTimeout: o.drainTimeout,
      settleMs: SETTLE_MS,
    }).then(() => app.close());
    return closing;
  };
  return { app, url: `http://${urlHost(reachable, port)}`, address: `http://${urlHost(host, port)}`, close };
}
