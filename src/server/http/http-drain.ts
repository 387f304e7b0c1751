/**
 * Graceful shutdown of the HTTP server without losing a request.
 *
 * The rule: every request whose bytes reached the server gets a complete answer: 200 (it was in flight),
 * or 503 GS_SHUTTING_DOWN (it arrived while draining). Three races lose requests in a naive close, and
 * each is avoided here:
 *   - closing the listening socket resets the connections the kernel has accepted but Node has not yet
 *     taken (its backlog): the listener stays open until no connection has arrived for `settleMs`, so
 *     clients that were told 503 have stopped coming; only then is it closed;
 *   - closing "idle" keep-alive connections races a request the client is sending on them: while
 *     draining, every response says `connection: close`, so clients close those themselves; a
 *     connection is closed by the server only once it has been idle for `settleMs` after the drain;
 *   - Node 19+'s server.close() closes idle connections itself: the listener is closed with
 *     net.Server's close, which leaves connections alone.
 * After `drainTimeout` seconds whatever is still running is answered 503 (GraphServer.abortAll) and every
 * connection is closed once those answers are written (or `settleMs` later at the latest).
 */
import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What draining needs from GraphServer (see graph-server.ts). */
export interface Drainable {
  /** True once drain() was called. */
  readonly draining?: boolean;
  /** Refuses new events; resolves when every event in flight is answered. */
  drain?(): Promise<void>;
  /** Answers every event still in flight now. */
  abortAll?(): void;
}

export interface DrainTimings {
  /** Seconds to let requests in flight finish before answering them 503. */
  drainTimeout: number;
  /** Milliseconds without a new connection before the listener closes, and of idleness before the server closes one. */
  settleMs: number;
}

/** How often the drain looks at the connections, ms. */
const POLL_MS = 10;

interface SocketState {
  /** Requests on this connection not answered yet. */
  active: number;
  /** When it last had no request in progress (ms since the epoch). */
  idleSince: number;
}

/** Tracks a server's connections: which are idle, and when the last one arrived. */
export class Connections {
  private readonly sockets = new Map<Socket, SocketState>();
  private lastArrival = 0;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      const now = Date.now();
      this.lastArrival = now;
      this.sockets.set(socket, { active: 0, idleSince: now });
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      const state = this.sockets.get(req.socket);
      if (state === undefined) return;
      state.active++;
      res.on('close', () => {
        // on(), not once(): a response closes once, and once() costs a wrapper and a removal per request.
        state.active--;
        state.idleSince = Date.now();
      });
    });
  }

  get size(): number {
    return this.sockets.size;
  }

  /** Milliseconds since a connection last arrived. */
  quietFor(now: number): number {
    return now - this.lastArrival;
  }

  /** Closes the connections idle for at least `minIdleMs`. */
  closeIdle(now: number, minIdleMs: number): void {
    for (const [socket, state] of this.sockets) {
      if (state.active === 0 && now - state.idleSince >= minIdleMs) socket.destroy();
    }
  }

  destroyAll(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }
}

/** Waits until `done()` or the deadline (ms since the epoch); true when done. */
async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/** Stops accepting connections, leaving the open ones alone (net.Server's close, not http.Server's). */
function stopListening(server: Server): void {
  if (server.listening) NetServer.prototype.close.call(server);
}

/** Drains `server` as the module comment says; resolves once no connection is left. */
export async function drainServer(
  server: Server,
  connections: Connections,
  runner: Drainable,
  timings: DrainTimings,
): Promise<void> {
  const deadline = Date.now() + timings.drainTimeout * 1000;
  let answered = false;
  const inFlight = (runner.drain?.() ?? Promise.resolve()).then(() => {
    answered = true;
  });
  await until(() => connections.quietFor(Date.now()) >= timings.settleMs, deadline);
  stopListening(server);
  if (!(await until(() => answered, deadline))) runner.abortAll?.();
  await inFlight;
  const closeBy = Math.max(deadline, Date.now()) + timings.settleMs;
  const closed = await until(() => {
    connections.closeIdle(Date.now(), Date.now() >= deadline ? 0 : timings.settleMs);
    return connections.size === 0;
  }, closeBy);
  if (!closed) connections.destroyAll();
}
