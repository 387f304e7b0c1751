/**
 * The CLI's gRPC server: started beside the HTTP server over the same GraphServer (unless --grpc-port is -1),
 * and stopped with it: one close() drains both at once (src/server/grpc/grpc.ts, src/server/http/http-drain.ts),
 * each within --drain-timeout.
 */
import { GraphServeError } from '../errors';
import type { GraphServer } from '../graph-server/graph-server';
import { serveGrpc, type GrpcOptions, type RunningGrpcServer } from '../server/grpc/grpc';
import type { RunningServer } from '../server/http/http';
import type { Stoppable } from './shutdown';

/** The servers the CLI runs; close() drains and stops them all. */
export interface Servers extends Stoppable {
  http: RunningServer;
  /** Undefined when gRPC is off (--grpc-port -1). */
  grpc?: RunningGrpcServer;
}

/**
 * Starts gRPC beside `http` with `grpc` options (undefined: gRPC off). If gRPC cannot listen (its port is
 * taken), the HTTP server is closed and the error thrown: the CLI exits rather than serve half its contract.
 */
export async function withGrpc(
  http: RunningServer,
  graphServer: GraphServer,
  grpc: GrpcOptions | undefined,
): Promise<Servers> {
  if (grpc === undefined) return { http, close: () => http.close() };
  let running: RunningGrpcServer;
  try {
    running = await serveGrpc(graphServer, grpc);
  } catch (err) {
    await http.close();
    const why = err instanceof Error ? err.message : String(err);
    throw new GraphServeError(`gRPC cannot listen on ${grpc.host ?? ''}:${grpc.port ?? ''}: ${why}`, { cause: err });
  }
  const close = async (): Promise<void> => {
    await Promise.all([http.close(), running.close()]);
  };
  return { http, grpc: running, close };
}
