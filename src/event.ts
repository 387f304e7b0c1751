/**
 * The Event: what every front end (HTTP, the mock server, the CLI) hands to GraphServer, and what
 * full-event steps receive. Field names are MLRun's.
 */
import type { Cancellation } from './cancellation';

/**
 * What delivered an event (MLRun's `event.trigger`): `kind` 'http' from the HTTP front end, '' when
 * unknown (the mock server's default), a stream's kind ('kafka', 'redis', 'stream' …) from stream
 * consumers. A model still loading in async mode answers 503 to 'http' and '' events; events of any
 * other kind wait for the load, within their request timeout (see V2ModelServer).
 */
export interface EventTrigger {
  kind: string;
  /** The trigger's name (a topic, a stream key …); '' when it has none. */
  name?: string;
}

/** The trigger of every HTTP event. */
export const HTTP_TRIGGER: Readonly<EventTrigger> = Object.freeze({ kind: 'http', name: '' });

/** The trigger of every gRPC event (a request-response transport like HTTP: a loading model answers at once). */
export const GRPC_TRIGGER: Readonly<EventTrigger> = Object.freeze({ kind: 'grpc', name: '' });

/** True when events of this trigger are answered 503 by a model still loading (MLRun: kind 'http' or ''; and 'grpc'). */
export function answersNotReadyAtOnce(trigger: EventTrigger | undefined): boolean {
  return trigger === undefined || trigger.kind === 'http' || trigger.kind === 'grpc' || trigger.kind === '';
}

export interface Event {
  /** Request id: the client's (body `id` or `x-request-id`), else a generated UUID. */
  id: string;
  /** The event's key (streams: the message key; one key keeps its order). Queues publish it as their message key. */
  key?: string;
  /** URL path without the query string, e.g. '/v2/models/iris/infer'. */
  path: string;
  method: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /**
   * The body as received: a Buffer from HTTP (JSON text or an OIP binary-extension payload), or a
   * plain object/string from the mock server. GraphServer decodes it (see src/protocol).
   */
  body: unknown;
  /** The content type of `body`, lower-cased, without parameters. */
  contentType?: string;
  /**
   * Aborts when the event is given up: from a transport, when its client leaves; inside the graph, also
   * when the request timeout passes or the server stops waiting (see GraphServer.run). Its reason is the
   * GraphServeError the event was answered with.
   */
  cancellation?: Cancellation;
  /** What delivered the event; undefined counts as unknown (kind ''). */
  trigger?: EventTrigger;
  /** Set by error handlers in flows: the step that failed and its error. */
  origin_state?: string;
  error?: unknown;
}

/** What GraphServer answers for one Event; the HTTP layer writes it as it is. */
export interface EventResponse {
  status: number;
  /** Extra headers, e.g. content-type and inference-header-content-length for binary responses. */
  headers: Record<string, string>;
  /** A JSON-serialisable value, or a Buffer already encoded (binary tensor extension). */
  body: unknown;
}
