/**
 * The HTTP front end (fastify). It only translates: every request becomes an Event handed to
 * GraphServer.run, and its EventResponse is written back as it is. Every path and method reaches
 * GraphServer, so routing, decoding, status codes and error bodies are the same as with the mock server.
 *
 * The body reaches GraphServer as the raw Buffer (any content type); decoding is GraphServer's
 * (src/protocol decodeBody). What fastify itself rejects (a body over `bodyLimit`, a broken
 * content-length, an unknown method) is answered in the same `{"error", "code"}` form.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { BadRequestError, GraphServeError, NotFoundError, PayloadTooLargeError } from '../errors';
import { stringifyJson } from '../protocol/json-text';
import type { Event, EventResponse } from './event';

/** What the HTTP layer needs from GraphServer: it never throws, errors come back as a status. */
export interface EventRunner {
  run(event: Event): Promise<EventResponse>;
}

export interface HttpOptions {
  /** Interface to listen on. */
  host?: string;
  /** TCP port; 0 = any free port (see `url` for the one bound). */
  port?: number;
  /** Largest request body accepted, bytes; larger bodies get 413. */
  bodyLimit?: number;
  /** fastify's logger option: false, true, or pino options. */
  logger?: FastifyServerOptions['logger'];
}

export const kDefaultHttpOptions: Readonly<Required<HttpOptions>> = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  bodyLimit: 64 * 1024 * 1024, // bytes; Triton's HTTP default
  logger: false,
});

/** A listening server. `close()` stops accepting, lets in-flight requests finish, then resolves. */
export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function headersOf(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The Event for one HTTP request (see src/server/event.ts). */
export function toEvent(req: FastifyRequest): Event {
  const headers = headersOf(req);
  const url = req.raw.url ?? req.url;
  const query = url.indexOf('?');
  const contentType = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  const event: Event = {
    id: headers['x-request-id'] || randomUUID(),
    path: query >= 0 ? url.slice(0, query) : url,
    method: req.method,
    headers,
    body: req.body,
  };
  if (contentType) event.contentType = contentType;
  return event;
}

/** Writes an EventResponse: Buffers and strings as they are, anything else as JSON. */
export function sendResponse(reply: FastifyReply, res: EventResponse): FastifyReply {
  reply.code(res.status);
  for (const [name, value] of Object.entries(res.headers)) reply.header(name, value);
  const body = res.body;
  if (Buffer.isBuffer(body) || typeof body === 'string') return reply.send(body);
  if (body === undefined || body === null) return reply.send();
  if (!reply.hasHeader('content-type')) reply.header('content-type', 'application/json; charset=utf-8');
  return reply.send(stringifyJson(body));
}

function errorReply(reply: FastifyReply, err: GraphServeError): FastifyReply {
  return sendResponse(reply, { status: err.status, headers: {}, body: err.toJSON() });
}

/** Maps what fastify rejects before GraphServer runs to graphserve's error classes. */
function fromFastifyError(err: FastifyError, bodyLimit: number): GraphServeError {
  if (err instanceof GraphServeError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
    return new PayloadTooLargeError(`request body is larger than the limit of ${bodyLimit} bytes`);
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new BadRequestError(err.message);
  }
  return new GraphServeError(`internal error: ${err.message}`);
}

/** Builds the fastify app without listening (use `app.inject()` in tests). */
export function buildApp(graphServer: EventRunner, options: HttpOptions = {}): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? kDefaultHttpOptions.bodyLimit;
  const app = Fastify({ logger: options.logger ?? kDefaultHttpOptions.logger, bodyLimit });
  // Draining: once close() starts, responses to requests still in flight ask the client to close the
  // connection, so that keep-alive connections do not hold the shutdown until their idle timeout.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.route({
    method: METHODS,
    url: '*',
    handler: async (req, reply) => sendResponse(reply, await graphServer.run(toEvent(req))),
  });
  app.setNotFoundHandler((req, reply) =>
    errorReply(reply, new NotFoundError(`no route for ${req.method} ${req.url.split('?')[0]}`)),
  );
  app.setErrorHandler((err: FastifyError, _req, reply) => errorReply(reply, fromFastifyError(err, bodyLimit)));
  return app;
}

/** Builds the app and listens; resolves once bound, with the URL actually bound (port 0 picks one). */
export async function serve(graphServer: EventRunner, options: HttpOptions = {}): Promise<RunningServer> {
  const app = buildApp(graphServer, options);
  const host = options.host ?? kDefaultHttpOptions.host;
  await app.listen({ host, port: options.port ?? kDefaultHttpOptions.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shownHost}:${port}`, close: () => app.close() };
}
