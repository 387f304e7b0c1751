/**
 * HTTP/2 flow control for the gRPC server: how many bytes a client may send before it has to wait for the
 * server's WINDOW_UPDATE. Node's HTTP/2 grants 64 KiB per call and 64 KiB per connection, and @grpc/grpc-js
 * leaves both as they are, so a 110 kB tensor waits for a round trip in the middle of every call, and calls
 * multiplexed on one connection (what a gRPC client's channel does) queue behind the one connection window.
 * gRPC's C++ and Go servers grow their windows (BDP probing, up to megabytes); Node's HTTP/2 has no probing,
 * so the window is granted in full from the start: as SETTINGS_INITIAL_WINDOW_SIZE for every call and as the
 * connection's own window.
 *
 * What a client may send is still bounded: by this window for bytes not yet read (grpc-js reads every call's
 * message as it arrives) and by `maxMessageSize` per message.
 *
 * Measured on bare node:http2 servers like bench/peer/transport-floor.ts's, 64 callers sending 110 kB calls
 * (three rounds): on one connection 1,700-2,100 calls/s with Node's windows against 3,200-4,600 with 1-16 MiB;
 * on 64 connections 3,700-4,000 against 3,400-5,600; the servers' CPU per call fell by a quarter to a half.
 *
 * grpc-js takes no option for its HTTP/2 servers' settings: they are set on each as it is created
 * (./http2-servers.ts). Where a grpc-js version does not allow that the windows stay Node's and a warning says so;
 * test/server/grpc-flow-control.test.ts checks what a client is granted.
 */
import type * as http2 from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { onHttp2Server } from './http2-servers';

/** The largest window HTTP/2 allows (RFC 9113 §6.9.1). */
export const MAX_WINDOW_BYTES = 2 ** 31 - 1;
/** The window HTTP/2 starts with, and the smallest one to grant. */
export const HTTP2_DEFAULT_WINDOW_BYTES = 65_535;

/** Grants `bytes` of window to every connection of `server` and to every call on it (see the module comment). */
export function grantWindows(server: Server, bytes: number): void {
  if (bytes === HTTP2_DEFAULT_WINDOW_BYTES) return;
  onHttp2Server(
    server,
    (http2Server) => {
      http2Server.updateSettings({ initialWindowSize: bytes });
      http2Server.on('session', (session: http2.ServerHttp2Session) => session.setLocalWindowSize(bytes));
    },
    { message: 'gRPC flow-control windows stay at 64 KiB', code: 'GRAPHSERVE_GRPC_WINDOW' },
  );
}
