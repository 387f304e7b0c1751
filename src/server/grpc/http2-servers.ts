/**
 * The HTTP/2 servers under a @grpc/grpc-js Server, for what grpc-js takes no option for (./flow-control.ts's
 * windows, ./grpc.ts's connection limit). grpc-js creates them itself, in its `createHttp2Server` method (a method
 * of the grpc-js this package locks, 1.14, that its type declarations keep private); it is wrapped so that each new
 * HTTP/2 server is handed to `configure` before it listens.
 */
import type * as http2 from 'node:http2';
import type { Server } from '@grpc/grpc-js';

type CreateHttp2Server = (credentials: unknown) => http2.Http2Server;

/** What a caller of onHttp2Server loses where grpc-js cannot be hooked: said in a process warning. */
export interface Unapplied {
  /** What stays as it is, e.g. 'gRPC connections are not limited'. */
  message: string;
  /** The warning's code (GRAPHSERVE_GRPC_…). */
  code: string;
}

/**
 * Calls `configure` with every HTTP/2 server `server` creates from now on (before bindAsync binds it). When this
 * grpc-js has no createHttp2Server, configures nothing and emits a process warning saying what is `unapplied`.
 * May be called more than once: each configure runs, in order.
 */
export function onHttp2Server(
  server: Server,
  configure: (http2Server: http2.Http2Server) => void,
  unapplied: Unapplied,
): void {
  const internals = server as unknown as { createHttp2Server?: CreateHttp2Server };
  const create = internals.createHttp2Server;
  if (typeof create !== 'function') {
    process.emitWarning(`@grpc/grpc-js has no createHttp2Server: ${unapplied.message}`, { code: unapplied.code });
    return;
  }
  internals.createHttp2Server = function (this: Server, credentials: unknown): http2.Http2Server {
    const http2Server = create.call(this, credentials);
    configure(http2Server);
    return http2Server;
  };
}
