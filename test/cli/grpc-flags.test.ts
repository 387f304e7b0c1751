/**
 * The CLI's gRPC contract: --grpc-port (GRAPHSERVE_GRPC_PORT, default 8081, 0 = any free port, -1 = no gRPC)
 * and --grpc-max-message-size become serveGrpc's options, with --max-connections (the HTTP server's too); a gRPC port that cannot be bound closes the HTTP
 * server and fails the start. (The conformance test runs the compiled CLI with gRPC end to end.)
 */
import * as net from 'node:net';
import { Command } from 'commander';
import { withGrpc } from '../../src/cli/grpc-server';
import { addServeOptions, grpcOptionsOf, type ServeFlags } from '../../src/cli/serve-options';
import { newFunction } from '../../src/function/function';
import { serve } from '../../src/server/http/http';
import { silentLogger } from '../../src/step/context';

const ENV = 'GRAPHSERVE_GRPC_PORT';

/** The flags commander parses from `args` (user arguments), with the environment as it is. */
function flagsOf(args: string[]): ServeFlags {
  const command = addServeOptions(new Command('serve').exitOverride().configureOutput({ writeErr: () => undefined }));
  command.parse(args, { from: 'user' });
  return command.opts<ServeFlags>();
}

describe('--grpc-port and --grpc-max-message-size', () => {
  const saved = process.env[ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[ENV];
    else process.env[ENV] = saved;
  });

  it('serves gRPC on 8081 by default, on the HTTP host, with a 64 MiB message limit, 4 MiB windows, the drain timeout and the connection limit', () => {
    delete process.env[ENV];
    expect(grpcOptionsOf(flagsOf(['--host', '127.0.0.1', '--drain-timeout', '5']))).toEqual({
      host: '127.0.0.1',
      port: 8081,
      maxMessageSize: 64 * 1024 * 1024,
      flowControlWindow: 4 * 1024 * 1024,
      drainTimeout: 5,
      maxConnections: 4096,
    });
    expect(grpcOptionsOf(flagsOf(['--max-connections', '7']))?.maxConnections).toBe(7);
  });

  it('takes the port from the flag, else from GRAPHSERVE_GRPC_PORT; -1 is no gRPC server', () => {
    process.env[ENV] = '9001';
    expect(grpcOptionsOf(flagsOf([]))?.port).toBe(9001);
    expect(grpcOptionsOf(flagsOf(['--grpc-port', '0']))?.port).toBe(0);
    expect(grpcOptionsOf(flagsOf(['--grpc-port', '-1']))).toBeUndefined();
    process.env[ENV] = '-1';
    expect(grpcOptionsOf(flagsOf([]))).toBeUndefined();
    expect(grpcOptionsOf(flagsOf(['--grpc-max-message-size', '1024']))).toBeUndefined();
  });

  it('rejects ports out of range and message sizes that are no positive integers', () => {
    expect(() => flagsOf(['--grpc-port', '70000'])).toThrow(/gRPC port must be an integer from 0 to 65535, or -1/);
    expect(() => flagsOf(['--grpc-port', '-2'])).toThrow(/gRPC port must be/);
    expect(() => flagsOf(['--grpc-max-message-size', '0'])).toThrow(/gRPC max message size must be an integer/);
    expect(grpcOptionsOf(flagsOf(['--grpc-port', '0', '--grpc-max-message-size', '1024']))?.maxMessageSize).toBe(1024);
  });

  it('takes the flow-control window from --grpc-flow-control-window, within what HTTP/2 allows', () => {
    expect(grpcOptionsOf(flagsOf(['--grpc-flow-control-window', '65535']))?.flowControlWindow).toBe(65535);
    expect(grpcOptionsOf(flagsOf(['--grpc-flow-control-window', '1048576']))?.flowControlWindow).toBe(1048576);
    expect(() => flagsOf(['--grpc-flow-control-window', '1000'])).toThrow(/gRPC flow-control window must be/);
    expect(() => flagsOf(['--grpc-flow-control-window', String(2 ** 31)])).toThrow(/gRPC flow-control window/);
  });
});

describe('starting gRPC beside HTTP', () => {
  it('closes the HTTP server and fails when the gRPC port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const fn = newFunction('grpc-flags');
    fn.addModel('m', { handler: (body: unknown) => body });
    const graph = await fn.toGraphServer({ logger: silentLogger });
    const http = await serve(graph, { host: '127.0.0.1', port: 0 });
    try {
      await expect(withGrpc(http, graph, { host: '127.0.0.1', port })).rejects.toThrow(
        new RegExp(`^gRPC cannot listen on 127\\.0\\.0\\.1:${port}: `),
      );
      await expect(fetch(`${http.url}/v2/health/live`)).rejects.toThrow();
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('closes HTTP and gRPC together', async () => {
    const fn = newFunction('grpc-flags-close');
    fn.addModel('m', { handler: (body: unknown) => body });
    const graph = await fn.toGraphServer({ logger: silentLogger });
    const http = await serve(graph, { host: '127.0.0.1', port: 0 });
    const servers = await withGrpc(http, graph, { host: '127.0.0.1', port: 0 });
    expect(servers.grpc?.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await servers.close();
    expect(graph.draining).toBe(true);
    await expect(fetch(`${http.url}/v2/health/live`)).rejects.toThrow();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(servers.grpc!.port, '127.0.0.1');
      socket.once('connect', () => resolve(false));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
