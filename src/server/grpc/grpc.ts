/**
 * The gRPC front end (@grpc/grpc-js): the KServe v2 `inference.GRPCInferenceService` with Triton's repository,
 * configuration and statistics extensions (proto/grpc_service.proto). Like the HTTP front end it only
 * translates: every RPC becomes an Event handed to GraphServer.run (./handlers.ts), so routing, checks and
 * errors are the same, mapped to gRPC status codes (./status.ts).
 *
 * Bounds: messages larger than `maxMessageSize` either way are refused with RESOURCE_EXHAUSTED; at most
 * `maxConnections` connections are open at once (as the HTTP server's), and a connection
 * runs at most `maxConcurrentStreams` calls at once, and a client may send `flowControlWindow` bytes ahead of
 * what the server has read (./flow-control.ts); a client's deadline bounds its call (with GraphServer's
 * request timeout, whichever comes first); close() drains within `drainTimeout`.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { checkSeconds } from '../../durations';
import { InvalidOptionError } from '../../errors';
import type { EventRunner } from './events';
import { HTTP2_DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES, grantWindows } from './flow-control';
import { inferenceHandlers } from './handlers';
import { onHttp2Server } from './http2-servers';
import { inferenceService } from './proto';

export type { EventRunner } from './events';

export interface GrpcOptions {
  /** Interface to listen on. */
  host?: string;
  /** TCP port; 0 = any free port (see `port` of the running server for the one bound). */
  port?: number;
  /** Largest message received or sent, bytes; larger ones fail with RESOURCE_EXHAUSTED. */
  maxMessageSize?: number;
  /** Connections open at once, at most; more are closed as they arrive. 0 = no limit. */
  maxConnections?: number;
  /** Calls one connection may run at once (HTTP/2 concurrent streams). */
  maxConcurrentStreams?: number;
  /**
   * HTTP/2 flow-control window granted to each connection and to each call on it, bytes: what a client may send
   * before waiting for the server's acknowledgement (./flow-control.ts). 65535 = Node's own.
   */
  flowControlWindow?: number;
  /**
   * Seconds close() lets calls in flight finish (new ones are answered UNAVAILABLE meanwhile); then what is
   * still running is answered UNAVAILABLE and every connection is closed.
   */
  drainTimeout?: number;
}

export const kDefaultGrpcOptions: Readonly<Required<GrpcOptions>> = Object.freeze({
  host: '0.0.0.0',
  port: 8081, // MLServer's and KServe's gRPC port (Triton's is 8001)
  maxMessageSize: 64 * 1024 * 1024, // bytes; the HTTP body limit's default (gRPC's own default is 4 MiB)
  maxConnections: 4096, // as the HTTP server's
  maxConcurrentStreams: 1024,
  flowControlWindow: 4 * 1024 * 1024, // bytes; Node's is 64 KiB, a round trip per 64 KiB of a tensor
  drainTimeout: 30, // seconds; as HTTP
});

type Resolved = Readonly<Required<GrpcOptions>>;

/** How long close() waits for answered calls to be written before closing connections, ms. */
const SETTLE_MS = 1000;

/** A listening gRPC server. */
export interface RunningGrpcServer {
  server: Server;
  /** The port actually bound. */
  port: number;
  /** An address that reaches the server from this machine, `host:port` (127.0.0.1 when bound to every interface). */
  target: string;
  /** The address actually bound, `host:port` (e.g. 0.0.0.0:8081). */
  address: string;
  /** Drains (see GrpcOptions.drainTimeout), then stops the server. */
  close(): Promise<void>;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

/** Merges `options` over the defaults and checks them; throws InvalidOptionError. */
export function resolveGrpcOptions(options: GrpcOptions = {}): Resolved {
  const o = { ...kDefaultGrpcOptions };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (o as Record<string, unknown>)[key] = value;
  }
  checkInteger('port', o.port, 0, 65535);
  checkInteger('maxMessageSize', o.maxMessageSize, 1, 2 ** 31 - 1);
  checkInteger('maxConnections', o.maxConnections, 0, 2 ** 31 - 1);
  checkInteger('maxConcurrentStreams', o.maxConcurrentStreams, 1, 2 ** 31 - 1);
  checkInteger('flowControlWindow', o.flowControlWindow, HTTP2_DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES);
  checkSeconds('drainTimeout', o.drainTimeout, 0);
  return Object.freeze(o);
}

/** `host:port`, brackets around IPv6. */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Resolves true when `work` settles within `ms`, false otherwise. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([work.then(() => true), late]).finally(() => clearTimeout(timer));
}

/** Closes connections beyond `max` as they arrive (0: no limit); warns when grpc-js does not allow it. */
function limitConnections(server: Server, max: number): void {
  if (max === 0) return;
  onHttp2Server(
    server,
    (http2Server) => {
      http2Server.maxConnections = max;
    },
    { message: 'gRPC connections are not limited', code: 'GRAPHSERVE_GRPC_CONNECTIONS' },
  );
}

/** Drains GraphServer (bounded), then closes the server: answered calls get SETTLE_MS to be written. */
async function drainAndStop(server: Server, runner: EventRunner, drainTimeout: number): Promise<void> {
  const drained = runner.drain?.() ?? Promise.resolve();
  if (!(await within(drained, drainTimeout * 1000))) runner.abortAll?.();
  await drained;
  const stopped = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  if (!(await within(stopped, SETTLE_MS))) server.forceShutdown();
}

/** Starts the gRPC server over `graphServer`; resolves once bound, with the port actually bound. */
export async function serveGrpc(graphServer: EventRunner, options: GrpcOptions = {}): Promise<RunningGrpcServer> {
  const o = resolveGrpcOptions(options);
  const server = new Server({
    'grpc.enable_channelz': 0, // no channelz service is served: its per-call bookkeeping would be for nothing
    'grpc.max_receive_message_length': o.maxMessageSize,
    'grpc.max_send_message_length': o.maxMessageSize,
    'grpc.max_concurrent_streams': o.maxConcurrentStreams,
  });
  grantWindows(server, o.flowControlWindow);
  limitConnections(server, o.maxConnections);
  server.addService(inferenceService(), inferenceHandlers(graphServer));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort(o.host, o.port), ServerCredentials.createInsecure(), (err, bound) => {
      if (!err) return resolve(bound);
      server.forceShutdown();
      reject(err);
    });
  });
  const reachable = o.host === '0.0.0.0' ? '127.0.0.1' : o.host === '::' ? '::1' : o.host;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= drainAndStop(server, graphServer, o.drainTimeout));
  return { server, port, target: hostPort(reachable, port), address: hostPort(o.host, port), close };
}
