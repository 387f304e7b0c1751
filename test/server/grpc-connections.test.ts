/**
 * The gRPC server's connection limit (GrpcOptions.maxConnections, the CLI's --max-connections, as the HTTP
 * server's): connections beyond it are closed as they arrive, the open ones keep being answered, and a place
 * freed by a closed connection is taken by the next one. Clients are @grpc/grpc-js, one connection each, and a
 * node:http2 session for the connection refused (a grpc-js client keeps reconnecting after close(), and one of its
 * reconnects would take the place freed next).
 */
import * as http2 from 'node:http2';
import { InvalidOptionError } from '../../src/errors';
import { newFunction } from '../../src/function/function';
import { kDefaultGrpcOptions, resolveGrpcOptions, serveGrpc, type RunningGrpcServer } from '../../src/server/grpc/grpc';
import { silentLogger } from '../../src/step/context';
import { inferClient, type InferClient } from './grpc-client';

let server: RunningGrpcServer;
const clients: InferClient[] = [];

beforeAll(async () => {
  const fn = newFunction('grpc-connections');
  fn.addModel('echo', { handler: (body: unknown) => body });
  const graph = await fn.toGraphServer({ logger: silentLogger });
  server = await serveGrpc(graph, { host: '127.0.0.1', port: 0, maxConnections: 2 });
});

afterAll(async () => {
  clients.forEach((c) => c.close());
  await server?.close();
});

/** A client on a connection of its own, which close() closes (grpc-js's shared pool would keep it a while). */
function client(): InferClient {
  const c = inferClient(server.target, undefined, { 'grpc.use_local_subchannel_pool': 1 });
  clients.push(c);
  return c;
}

/** How a plain HTTP/2 connection to the server ends: 'settings' when the server speaks, else 'closed'. */
function connectionFate(): Promise<'settings' | 'closed'> {
  const session = http2.connect(`http://${server.target}`);
  session.on('error', () => undefined); // a reset connection: 'close' follows
  return new Promise<'settings' | 'closed'>((resolve) => {
    session.once('remoteSettings', () => resolve('settings'));
    session.once('close', () => resolve('closed'));
  }).finally(() => session.destroy());
}

const live = (c: InferClient) => c.call<{ live: boolean }>('ServerLive', {}, { deadline: Date.now() + 5000 });

describe('gRPC maxConnections', () => {
  it('closes connections beyond the limit as they arrive; the open ones are still answered', async () => {
    const [first, second] = [client(), client()];
    expect(await live(first)).toEqual({ live: true });
    expect(await live(second)).toEqual({ live: true });
    expect(await connectionFate()).toBe('closed');
    expect(await live(first)).toEqual({ live: true });
    expect(await live(second)).toEqual({ live: true });

    first.close(); // its place goes to the next connection, once the server has seen it close
    const fourth = client();
    let answer: unknown;
    for (let i = 0; i < 40 && answer === undefined; i++) {
      answer = await live(fourth).catch(() => new Promise((resolve) => setTimeout(resolve, 250)));
    }
    expect(answer).toEqual({ live: true });
  });

  it('allows 4096 connections by default, as the HTTP server; 0 is no limit; a negative limit is refused', () => {
    expect(kDefaultGrpcOptions.maxConnections).toBe(4096);
    expect(resolveGrpcOptions({ maxConnections: 0 }).maxConnections).toBe(0);
    expect(() => resolveGrpcOptions({ maxConnections: -1 })).toThrow(InvalidOptionError);
  });
});
