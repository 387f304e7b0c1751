/**
 * The transport floor for the grpc scenario: a bare Node server that reads each request's body to its end
 * (as one Buffer, the way fastify and @grpc/grpc-js hand a body over) and answers a fixed 16-byte message,
 * with no model, no protocol decoding and no library: what one call costs Node's own HTTP stack.
 *
 *   node dist/bench/peer/transport-floor.js --protocol http1|h2 [--port P]
 *
 * http1: node:http, any path, answers 200 with the 16 bytes. h2: node:http2 (cleartext), any path, answers
 * as a unary gRPC call does: 200 with content-type application/grpc, the 16 bytes in one length-prefixed
 * message, then the trailer grpc-status 0. Listens on 127.0.0.1 and prints `floor: listening on URL` once
 * bound. Exits on SIGTERM/SIGINT.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

const ANSWER_BYTES = 16;
const GRPC_PREFIX = 5; // compressed flag, 4-byte big-endian length

const answer = Buffer.alloc(ANSWER_BYTES, 7);
const grpcAnswer = Buffer.alloc(GRPC_PREFIX + ANSWER_BYTES, 7);
grpcAnswer.writeUInt8(0, 0);
grpcAnswer.writeUInt32BE(ANSWER_BYTES, 1);

/** Calls `done` with the whole body once the request has ended. */
function readBody(request: Readable, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => done(Buffer.concat(chunks)));
}

function http1Server(): http.Server {
  return http.createServer((req, res) => {
    readBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': ANSWER_BYTES });
      res.end(answer);
    });
  });
}

function h2Server(): http2.Http2Server {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    readBody(stream, () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(grpcAnswer);
    });
  });
  return server;
}

function main(argv: readonly string[]): void {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const protocol = flag('--protocol');
  if (protocol !== 'http1' && protocol !== 'h2') throw new Error('--protocol must be http1 or h2');
  const server = protocol === 'h2' ? h2Server() : http1Server();
  server.listen(Number(flag('--port') ?? 0), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`floor: listening on http://127.0.0.1:${port}\n`);
  });
  // Nothing to drain: the scenario has stopped calling before it stops this server.
  process.once('SIGTERM', () => process.exit(0));
  process.once('SIGINT', () => process.exit(0));
}

main(process.argv.slice(2));
