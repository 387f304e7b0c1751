/**
 * GraphServer: one Event in, one EventResponse out. The single place request behaviour lives: the
 * HTTP layer, the mock server and the CLI build an Event and write back what run() answers, so they
 * all give the same answer for the same event.
 *
 * Every event has a bound: the request timeout (server-wide, or its model's own) covers queueing and
 * the model's work; when it passes, or the transport says the client left, or the server stops waiting
 * (abortAll), the event is answered at once with that reason and its work is abandoned: the graph sees
 * `event.cancellation` abort, and the ONNX engine takes queued work back.
 */
import { Cancellation } from '../cancellation';
import { checkSeconds } from '../durations';
import {
  CancelledError,
  GraphServeError,
  MethodNotAllowedError,
  NotFoundError,
  ShuttingDownError,
  TimeoutError,
  toGraphServeError,
} from '../errors';
import { createContext, type ServingContext } from '../step/context';
import { isServingResponse } from '../step/response';
import type { GraphStep } from '../step/step';
import { OffThreadJsonDecoder, kDefaultOffThreadJsonOptions, type OffThreadJsonOptions } from '../protocol';
import type { Event, EventResponse } from '../event';
import { REQUEST_ID_KEY } from '../logging';
import { graphPicture } from './graph-picture';
import { type Deadline, Deadlines } from './deadlines';
import { METRICS_PATH, ServerMetrics } from './metrics';

/** Headers that override the event's id and path (MLRun's; names lower-cased as in Event). */
export const EVENT_ID_HEADER = 'mlrun-event-id';
export const EVENT_PATH_HEADER = 'mlrun-event-path';

export interface GraphServerOptions {
  /**
   * Longest an event may take from arrival to answer, seconds: queueing and the model's work. 0 = no
   * limit. A model's own `requestTimeout` replaces it on that model's routes. Expired: 504 GS_TIMEOUT.
   */
  requestTimeout?: number;
  /**
   * JSON bodies of `minBytes` (1 MiB) and more have their number arrays read off the event loop,
   * `maxRunning` at a time, at most `maxPending` read or waiting (then 503 GS_QUEUE_FULL); see
   * src/protocol/off-thread-json.ts.
   */
  offThreadJson?: OffThreadJsonOptions;
}

export const kDefaultGraphServerOptions: Readonly<Required<GraphServerOptions>> = Object.freeze({
  requestTimeout: 60, // seconds; as nginx's proxy_read_timeout (Triton and MLServer leave it to the client)
  offThreadJson: kDefaultOffThreadJsonOptions,
});

/** Methods a graph answers when it does not say (flows, plain steps). */
const DEFAULT_METHODS: readonly string[] = Object.freeze(['GET', 'POST']);

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

export class GraphServer {
  readonly context: ServingContext;
  /** Prometheus metrics of this server, answered at `GET /metrics` (see ./metrics.ts). */
  readonly metrics: ServerMetrics;
  readonly options: Readonly<Required<GraphServerOptions>>;
  /** Events not answered yet (by the promise run() returned), and what gives each up. */
  private readonly inFlight = new Map<Promise<EventResponse>, EventCall>();
  /** Work still running after its event was answered (timed out, cancelled): waitForCompletion waits for it. */
  private readonly abandoned = new Set<Promise<unknown>>();
  private stopping = false;
  /** Decodes bodies, large JSON ones off the event loop. */
  readonly bodies: OffThreadJsonDecoder;
  /** What close() releases after the last event (the function's stream clients). */
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly stoppers: (() => Promise<void>)[] = [];
  private readonly readinessChecks: (() => boolean)[] = [];
  /** What every EventCall reports back to (made once, not per request). */
  private readonly owner: CallOwner = {
    deadlines: new Deadlines(),
    release: (answer) => this.inFlight.delete(answer),
    abandon: (work) => this.abandon(work),
  };

  /** `graph` must be built (postInit done): see ServingFunction.toGraphServer(). */
  constructor(
    readonly graph: GraphStep,
    context?: ServingContext,
    options: GraphServerOptions = {},
  ) {
    this.context = context ?? createContext();
    this.metrics = new ServerMetrics(graph);
    const requestTimeout = checkSeconds(
      'requestTimeout',
      options.requestTimeout ?? kDefaultGraphServerOptions.requestTimeout,
    );
    this.bodies = new OffThreadJsonDecoder(options.offThreadJson);
    this.options = Object.freeze({ requestTimeout, offThreadJson: this.bodies.options });
  }

  /** Whether every model of the graph is ready, every readiness check passes, and the server is not draining. */
  isReady(): boolean {
    return !this.stopping && (this.graph.isReady?.() ?? true) && this.readinessChecks.every((check) => check());
  }

  /** Adds a condition of readiness (a stream trigger: its broker can be reached). */
  addReadinessCheck(check: () => boolean): void {
    this.readinessChecks.push(check);
  }

  /** True once drain() was called: new events are refused with 503 GS_SHUTTING_DOWN. */
  get draining(): boolean {
    return this.stopping;
  }

  /**
   * Runs one event through the graph. Never rejects: failures answer with the error's status and
   * `{error, code}` (plain errors thrown by user code are 500s). Called concurrently. The event is given
   * up (499 GS_CANCELLED) when `event.cancellation` aborts or when the transport calls cancel() with the
   * promise returned here: the client left.
   */
  run(event: Event): Promise<EventResponse> {
    const started = process.hrtime.bigint();
    // The path, not the event: what observe keeps until the answer must not hold the raw body (see handle).
    const routePath = event.headers[EVENT_PATH_HEADER] || event.path;
    const observe = (response: EventResponse): EventResponse => {
      this.metrics.observe(routePath, response, Number(process.hrtime.bigint() - started) / 1e9);
      return response;
    };
    if (event.method === 'GET' && event.path === METRICS_PATH) return this.scrape().then(observe);
    if (event.method === 'OPTIONS') return Promise.resolve(observe(this.answerOptions(event.path)));
    if (this.stopping)
      return Promise.resolve(observe(errorResponse(new ShuttingDownError('the server is shutting down'))));
    return this.start(event, observe);
  }

  /**
   * Runs an event from a stream trigger: as run(), but the answer comes once all of the event's work in this
   * process has ended (GraphStep.runToEnd: every branch, every publish to the next queue), and any failure
   * of it, even after the response, is the answer. The trigger acknowledges the event after a 2xx-4xx answer.
   */
  runToEnd(event: Event): Promise<EventResponse> {
    // Not refused while draining: a trigger finishes the events it took before it stops (see drain()).
    return this.start(event, (response) => response, true);
  }

  /**
   * Registers work for close(): 'stop' hooks run first, one after the other (stream triggers stop taking
   * events and finish theirs), 'release' hooks after the last event (closing stream connections).
   */
  onClose(hook: () => Promise<void>, phase: 'stop' | 'release' = 'release'): void {
    (phase === 'stop' ? this.stoppers : this.closers).push(hook);
  }

  /** Runs the 'stop' hooks, waits for every event and its work, then runs the 'release' hooks (each once). */
  async close(): Promise<void> {
    await this.runStoppers();
    await this.waitForCompletion().catch(() => undefined);
    const closers = this.closers.splice(0);
    await Promise.allSettled(closers.map((release) => release()));
  }

  /** Gives up the event whose answer is `answer` (a promise run() returned): its client left. No-op once answered. */
  cancel(answer: Promise<EventResponse>): void {
    this.inFlight.get(answer)?.giveUp(new CancelledError('the client closed the connection before the answer'));
  }

  /** Resolves when every event in flight has been answered, their work has ended, and background loads have settled. */
  async waitForCompletion(): Promise<void> {
    while (this.inFlight.size > 0 || this.abandoned.size > 0) {
      await Promise.allSettled([...this.inFlight.keys(), ...this.abandoned]);
    }
    await this.graph.whenSettled?.();
  }

  /**
   * Starts draining: from now on new events are answered 503 GS_SHUTTING_DOWN (readiness included;
   * `/metrics` still answers); stream triggers stop (the 'stop' hooks: they finish and acknowledge the events
   * they took). Resolves when every event in flight has been answered.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    await this.runStoppers();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.keys()]);
  }

  /** Answers every event in flight now with `reason` (default: shutting down); their work is abandoned. */
  abortAll(reason: GraphServeError = new ShuttingDownError('the server stopped before the request finished')): void {
    for (const call of [...this.inFlight.values()]) call.giveUp(reason);
  }

  /** Runs the 'stop' hooks registered with onClose, one after the other, each once. */
  private async runStoppers(): Promise<void> {
    for (const stop of this.stoppers.splice(0)) await stop().catch(() => undefined);
  }

  /** The request timeout of an event's route, in ms; 0 = none. */
  private timeoutMs(event: Event): number {
    const path = event.headers[EVENT_PATH_HEADER] || event.path;
    return (this.graph.requestTimeoutFor?.(path) ?? this.options.requestTimeout) * 1000;
  }

  /**
   * Runs an event with its bounds (see the file comment): resolves with its answer, or with the
   * reason it was given up, whichever comes first; `observe` sees that answer once.
   */
  private start(
    event: Event,
    observe: (response: EventResponse) => EventResponse,
    toEnd = false,
  ): Promise<EventResponse> {
    const call = new EventCall(observe, this.owner);
    this.inFlight.set(call.answer, call);
    const timeoutMs = this.timeoutMs(event);
    if (timeoutMs > 0) call.expireAfter(timeoutMs);
    call.follow(this.handle(event, call.cancellation, toEnd), event.cancellation);
    return call.answer;
  }

  /** Keeps track of work whose event was answered without it, until it ends. */
  private abandon(work: Promise<unknown>): void {
    this.abandoned.add(work);
    void work.finally(() => this.abandoned.delete(work));
  }

  /** `GET /metrics`: Prometheus text; a failure to collect answers 500 like any other error. */
  private async scrape(): Promise<EventResponse> {
    try {
      return await this.metrics.scrape();
    } catch (err) {
      const error = toGraphServeError(err);
      this.context.logger.error(`metrics: ${error.message}`, { code: error.code });
      return errorResponse(error);
    }
  }

  /** OPTIONS: 204 with the path's methods in Allow; 404 when no method is (the path is unknown). */
  private answerOptions(path: string): EventResponse {
    const allowed = this.graph.allowedMethods ? this.graph.allowedMethods(path) : DEFAULT_METHODS;
    if (allowed.length === 0) return errorResponse(new NotFoundError(`no route for OPTIONS ${path}`));
    return { status: 204, headers: { allow: [...allowed, 'OPTIONS'].join(', ') }, body: undefined };
  }

  /**
   * The event's answer from the graph. Not async itself: once the body is decoded, nothing here holds the
   * transport's event, so a raw JSON body becomes garbage while the request is still in flight (young: a
   * body kept for the whole request outlives scavenges at high concurrency, and the external memory it
   * promotes brings mark-compacts). Binary bodies stay alive anyway: their tensors are views of them.
   */
  private handle(original: Event, cancellation: Cancellation, toEnd = false): Promise<EventResponse> {
    const where: Where = { path: original.path, id: original.id };
    let event: Event;
    try {
      event = this.prepare(original, cancellation);
    } catch (err) {
      return Promise.resolve(this.failed(err, cancellation, where));
    }
    // A large JSON body decoded off the loop (an in-process caller's own body passes as it came).
    const decoding = event.body !== original.body && event.body instanceof Promise;
    return this.answerPrepared(event, decoding, cancellation, toEnd, where);
  }

  private async answerPrepared(
    event: Event,
    decoding: boolean,
    cancellation: Cancellation,
    toEnd: boolean,
    where: Where,
  ): Promise<EventResponse> {
    try {
      if (decoding) event.body = await event.body;
      const picture = graphPicture(this.graph, event.method, event.path);
      if (picture !== undefined) return await picture;
      const graph = this.graph;
      return toResponse(await (toEnd && graph.runToEnd ? graph.runToEnd(event) : graph.doEvent(event)));
    } catch (err) {
      return this.failed(err, cancellation, where);
    }
  }

  /** The answer for a failure of the event at `where`: 5xx are logged, unless the event was given up. */
  private failed(err: unknown, cancellation: Cancellation, where: Where): EventResponse {
    const error = toGraphServeError(err);
    if (error.status >= 500 && !cancellation.aborted) {
      this.context.logger.error(error.message, { code: error.code, path: where.path, [REQUEST_ID_KEY]: where.id });
    }
    return errorResponse(error);
  }

  /** The event the graph sees: the id/path override headers applied, the body decoded, its cancellation. */
  private prepare(original: Event, cancellation: Cancellation): Event {
    const headers = { ...original.headers };
    if (original.contentType && headers['content-type'] === undefined) headers['content-type'] = original.contentType;
    const id = headers[EVENT_ID_HEADER] || original.id;
    const path = headers[EVENT_PATH_HEADER] || original.path || '/';
    // Text and bytes stay what they are unless they are JSON (src/protocol/body.ts); a model server takes
    // raw bytes as its single input (V2ModelServer), other steps get them as they came.
    const body = this.bodies.decode(original.body, headers);
    // Every field written out: a spread that adds a key the source lacks takes V8's slow path (µs per request).
    const { method, contentType, trigger, key } = original;
    return { id, key, path, method, headers, body, contentType, cancellation, trigger };
  }
}

/** Where a failure happened, for its log line: the transport's path and request id. */
interface Where {
  path: string;
  id: string;
}

/** What an EventCall reports to its GraphServer. */
interface CallOwner {
  /** Where the calls' request timeouts are kept. */
  readonly deadlines: Deadlines;
  /** The event is answered: it is no longer in flight. */
  release(answer: Promise<EventResponse>): void;
  /** The event was given up while its work runs on. */
  abandon(work: Promise<unknown>): void;
}

/**
 * One event in flight: its cancellation, its deadline, and its answer, which is the graph's or the reason
 * the event was given up, whichever comes first. A class rather than closures: one is made per request.
 */
class EventCall {
  readonly cancellation = new Cancellation();
  readonly answer: Promise<EventResponse>;
  #settle!: (response: EventResponse) => void;
  #deadline: Deadline | undefined;
  #forgetClient: (() => void) | undefined;
  #work: Promise<EventResponse> | undefined;
  #done = false;

  constructor(
    private readonly observe: (response: EventResponse) => EventResponse,
    private readonly owner: CallOwner,
  ) {
    this.answer = new Promise<EventResponse>((resolve) => (this.#settle = resolve));
  }

  /** Gives the event up with 504 after `ms`. */
  expireAfter(ms: number): void {
    this.#deadline = this.owner.deadlines.add(ms, this);
  }

  /** The deadline set by expireAfter(ms) has come. */
  expire(ms: number): void {
    // The reason is written only when it is needed: a deadline is set for every request.
    this.giveUp(new TimeoutError(`no answer within the request timeout (${ms / 1000} s)`));
  }

  /**
   * Answers with `work`'s response when it comes first; gives up when the transport's `client` aborts, with
   * the abort's reason when it is a GraphServeError (a gRPC client's deadline: 504), else 499.
   */
  follow(work: Promise<EventResponse>, client: Cancellation | undefined): void {
    this.#work = work;
    void work.then((response) => this.finish(response));
    this.#forgetClient = client?.onAbort((reason) =>
      this.giveUp(
        reason instanceof GraphServeError
          ? reason
          : new CancelledError('the client closed the connection before the answer'),
      ),
    );
  }

  /** Answers now with `reason`, aborts the cancellation; the work (if any) runs on, abandoned. */
  giveUp(reason: GraphServeError): void {
    if (!this.finish(errorResponse(reason))) return;
    this.cancellation.abort(reason);
    if (this.#work !== undefined) this.owner.abandon(this.#work);
  }

  /** Settles the answer unless it was settled already; false then. */
  private finish(response: EventResponse): boolean {
    if (this.#done) return false;
    this.#done = true;
    if (this.#deadline !== undefined) this.owner.deadlines.remove(this.#deadline);
    this.#forgetClient?.();
    this.owner.release(this.answer);
    this.#settle(this.observe(response));
    return true;
  }
}

/** The answer for an error: its status, `{error, code}`, and Allow for a 405. */
export function errorResponse(error: GraphServeError): EventResponse {
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (error instanceof MethodNotAllowedError && error.allow.length > 0) headers['allow'] = error.allow.join(', ');
  return { status: error.status, headers, body: error.toJSON() };
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
