/**
 * The HTTP/2 servers under a @grpc/grpc-js Server, for what grpc-js takes no option for (./flow-control.ts's
 * windows, ./grpc.ts's connection limit). grpc-js creates them itself, in its `createHttp2Server` method (a method
 * of the grpc-js this package locks, 1.14, that its type declarations keep private); it is wrapped so that each new
 * HTTP/2 server is handed to `configure` before it listens.
 */
import type * as http2 from 'node:http2';
import type { Server } from '@grpc/grpc-js';

type CreateHttp2Server = (credentials: unknown) => http2.Http2Server;

/**
 * Calls `configure` with every HTTP/2 server `server` creates from now on (before bindAsync binds it). Returns false,
 * configuring nothing, when this grpc-js has no createHttp2Server: the caller then warns that its setting is not
 * applied. May be called more than once: each configure runs, in order.
 */
export function onHttp2Server(server: Server, configure: (http2Server: http2.Http2Server) => void): boolean {
  const internals = server as unknown as { createHttp2Server?: CreateHttp2Server };
  const create = internals.createHttp2Server;
  if (typeof create !== 'function') return false;
  internals.createHttp2Server = function (this: Server, credentials: unknown): http2.Http2Server {
    const http2Server = create.call(this, credentials);
    configure(http2Server);
    return http2Server;
  };
  return true;
}
