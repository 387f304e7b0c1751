/**
 * GraphServer: one Event in, one EventResponse out. The single place request behaviour lives: the
 * HTTP layer, the mock server and the CLI build an Event and write back what run() answers, so they
 * all give the same answer for the same event.
 */
import { toGraphServeError } from '../errors';
import { createContext, type ServingContext } from '../graph/context';
import { isServingResponse } from '../graph/response';
import type { GraphStep } from '../graph/step';
import { decodeBody } from '../protocol';
import type { Event, EventResponse } from './event';
import { graphPicture } from './graph-picture';
import { METRICS_PATH, ServerMetrics } from './metrics';

/** Headers that override the event's id and path (MLRun's; names lower-cased as in Event). */
export const EVENT_ID_HEADER = 'mlrun-event-id';
export const EVENT_PATH_HEADER = 'mlrun-event-path';

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

export class GraphServer {
  readonly context: ServingContext;
  /** Prometheus metrics of this server, answered at `GET /metrics` (see ./metrics.ts). */
  readonly metrics: ServerMetrics;
  private inFlight = new Set<Promise<EventResponse>>();

  /** `graph` must be built (postInit done): see ServingFunction.toGraphServer(). */
  constructor(
    readonly graph: GraphStep,
    context?: ServingContext,
  ) {
    this.context = context ?? createContext();
    this.metrics = new ServerMetrics(graph);
  }

  /** Whether every model of the graph is ready. */
  isReady(): boolean {
    return this.graph.isReady?.() ?? true;
  }

  /**
   * Runs one event through the graph. Never rejects: failures answer with the error's status and
   * `{error, code}` (plain errors thrown by user code are 500s). Called concurrently.
   */
  run(event: Event): Promise<EventResponse> {
    const pending = event.method === 'GET' && event.path === METRICS_PATH ? this.scrape() : this.measure(event);
    this.inFlight.add(pending);
    void pending.finally(() => this.inFlight.delete(pending));
    return pending;
  }

  /** Resolves when every event in flight has been answered and background model loads have settled. */
  async waitForCompletion(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.graph.whenSettled?.();
  }

  /** Handles the event and records it in the request metrics (under the path the graph saw). */
  private async measure(event: Event): Promise<EventResponse> {
    const started = process.hrtime.bigint();
    const response = await this.handle(event);
    const path = event.headers[EVENT_PATH_HEADER] || event.path;
    this.metrics.observe(path, response, Number(process.hrtime.bigint() - started) / 1e9);
    return response;
  }

  /** `GET /metrics`: Prometheus text; a failure to collect answers 500 like any other error. */
  private async scrape(): Promise<EventResponse> {
    try {
      return await this.metrics.scrape();
    } catch (err) {
      const error = toGraphServeError(err);
      this.context.logger.error(`metrics: ${error.message}`, { code: error.code });
      return { status: error.status, headers: { ...JSON_HEADERS }, body: error.toJSON() };
    }
  }

  private async handle(original: Event): Promise<EventResponse> {
    try {
      const event = this.prepare(original);
      const picture = await graphPicture(this.graph, event.method, event.path);
      if (picture) return picture;
      return toResponse(await this.graph.doEvent(event));
    } catch (err) {
      const error = toGraphServeError(err);
      if (error.status >= 500) this.context.logger.error(error.message, { code: error.code, path: original.path });
      return { status: error.status, headers: { ...JSON_HEADERS }, body: error.toJSON() };
    }
  }

  /** Applies the id/path override headers and decodes the body. */
  private prepare(original: Event): Event {
    const headers = { ...original.headers };
    if (original.contentType && headers['content-type'] === undefined) headers['content-type'] = original.contentType;
    const id = headers[EVENT_ID_HEADER] || original.id;
    const path = headers[EVENT_PATH_HEADER] || original.path || '/';
    let body = decodeBody(original.body, headers);
    // Raw media (an image, audio …) becomes the single input, as in MLRun.
    if (Buffer.isBuffer(body) && headers['inference-header-content-length'] === undefined) body = { inputs: [body] };
    return { ...original, id, path, headers, body };
  }
}

function toResponse(result: unknown): EventResponse {
  if (isServingResponse(result)) {
    return { status: result.status, headers: { ...result.headers }, body: result.body };
  }
  if (typeof result === 'string') return { status: 200, headers: { 'content-type': 'text/plain' }, body: result };
  if (Buffer.isBuffer(result)) {
    return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: result };
  }
  return { status: 200, headers: { ...JSON_HEADERS }, body: result ?? null };
}
