/**
 * What the HTTP front end hands GraphServer: the EventRunner contract, and the Event for one request
 * (the same whether fastify (./http.ts) or the lean path (./lean-path.ts) read it).
 */
import { type IncomingMessage, type ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http';
import type { Socket } from 'node:net';
import { GraphServeError } from '../../errors';
import { HTTP_TRIGGER, type Event, type EventResponse } from '../../event';
import { errorResponse } from '../../graph-server/graph-server';
import { withRequestId } from '../../logging';
import type { Drainable } from './http-drain';

/** What the HTTP layer needs from GraphServer: run() never throws, errors come back as a status. */
export interface EventRunner extends Drainable {
  run(event: Event): Promise<EventResponse>;
  /** Gives up the event whose answer run() returned as `answer`: its client closed the connection. */
  cancel?(answer: Promise<EventResponse>): void;
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  // Not Object.entries: it makes an array per header, on every request.
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value; // names: lower case already
  }
  return out;
}

/**
 * The Event for one HTTP request (see src/event.ts): `id` is the client's x-request-id, else a UUID;
 * `body` the raw bytes, undefined without a body.
 */
export function toEvent(req: IncomingMessage, id: string, body: unknown): Event {
  const headers = headersOf(req);
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const contentType = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  const event: Event = {
    id,
    path: query >= 0 ? url.slice(0, query) : url,
    method: req.method ?? 'GET',
    headers,
    body,
    trigger: HTTP_TRIGGER,
  };
  if (contentType) event.contentType = contentType;
  return event;
}

/** The answers not given yet of the requests read from one connection (see runEvent). */
const IN_FLIGHT = Symbol('graphserve.inFlight');
type TrackedSocket = Socket & { [IN_FLIGHT]?: Set<Promise<EventResponse>> };

/**
 * Runs `event`, every line it logs carrying the request id, and hands its answer to `then`. The connection
 * closing before the answer gives the event up. Both HTTP paths run their requests through it.
 *
 * The close is watched once per connection, not once per request (a listener added and removed per request
 * costs more than the rest of this function): an HTTP/1.1 client gives a request up only by closing its
 * connection, and every request in flight on it goes then.
 */
export function runEvent<T>(
  runner: EventRunner,
  event: Event,
  res: ServerResponse,
  then: (response: EventResponse) => T,
): Promise<T> {
  const pending = withRequestId(event.id, () => runner.run(event));
  const socket = res.socket as TrackedSocket | null;
  if (runner.cancel === undefined || socket === null) return pending.then(then);
  if (socket.destroyed) {
    runner.cancel(pending);
    return pending.then(then);
  }
  const watched = watchedOn(socket, runner);
  watched.add(pending);
  return pending.then((response) => {
    watched.delete(pending);
    return then(response);
  });
}

/** The answers `socket` is waiting for; the first call watches its close, which gives them all up. */
function watchedOn(socket: TrackedSocket, runner: EventRunner): Set<Promise<EventResponse>> {
  const known = socket[IN_FLIGHT];
  if (known !== undefined) return known;
  const watched = new Set<Promise<EventResponse>>();
  socket[IN_FLIGHT] = watched;
  socket.once('close', () => {
    for (const answer of watched) runner.cancel?.(answer);
    watched.clear();
  });
  return watched;
}

/**
 * `response`, or a 500 in its place when Node would refuse one of its headers (a step set a name or value
 * with a control character): the client gets graphserve's `{"error","code"}` either way.
 */
export function writable(response: EventResponse): EventResponse {
  for (const [name, value] of Object.entries(response.headers)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return errorResponse(
        new GraphServeError(`internal error: the answer has a header HTTP cannot carry (${reason})`),
      );
    }
  }
  return response;
}
