/** A real HTTP server on 127.0.0.1 (port 0) for the remote step tests: scripted answers, recorded requests. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: Seen, res: ServerResponse, n: number) => void;

export class TestServer {
  readonly seen: Seen[] = [];
  /** The most requests that were open at once. */
  maxConcurrent = 0;
  private open = 0;
  private readonly server: Server;

  constructor(private handler: Handler) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen = {
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        this.seen.push(seen);
        this.open++;
        this.maxConcurrent = Math.max(this.maxConcurrent, this.open);
        res.on('close', () => this.open--);
        this.handler(seen, res, this.seen.length);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops the server; stopping it again is harmless. */
  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function json(res: ServerResponse, value: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** Echoes `{method, path, body}` as JSON. */
export const echo: Handler = (req, res) =>
  json(res, { method: req.method, path: req.url, body: req.body ? (JSON.parse(req.body) as unknown) : null });

/**
 * Test servers and closable steps that are stopped after each test: call once at the top of a test
 * file; `serve(handler)` starts a server on 127.0.0.1, `track(step)` registers a step to close.
 */
export function useTestServers(): {
  serve: (handler: Handler) => Promise<{ server: TestServer; url: string }>;
  track: <T extends { close(): Promise<void> }>(step: T) => T;
} {
  const servers: TestServer[] = [];
  const steps: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(steps.splice(0).map((s) => s.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  return {
    serve: async (handler) => {
      const server = new TestServer(handler);
      servers.push(server);
      return { server, url: await server.start() };
    },
    track: (step) => {
      steps.push(step);
      return step;
    },
  };
}
