/**
 * What the HTTP front end hands GraphServer: the EventRunner contract, and the Event for one request
 * (the same whether fastify (./http.ts) or the lean path (./lean-path.ts) read it).
 */
import { type IncomingMessage, type ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http';
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
  for (const [name, value] of Object.entries(req.headers)) {
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

/**
 * Runs `event`, every line it logs carrying the request id; `res` closing before the answer is complete
 * gives the event up. Both HTTP paths run their requests through it.
 */
export function runEvent(runner: EventRunner, event: Event, res: ServerResponse): Promise<EventResponse> {
  const pending = withRequestId(event.id, () => runner.run(event));
  if (runner.cancel) {
    res.once('close', () => {
      if (!res.writableFinished) runner.cancel!(pending);
    });
  }
  return pending;
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
