/**
 * The mock server: runs a serving graph in-process, without a network, for unit tests
 * (MLRun's `to_mock_server()`). It builds the same Event the HTTP layer builds and asks the same
 * GraphServer, so answers match HTTP's.
 */
import { newEventId } from '../model/envelope';
import type { Event, EventTrigger } from '../event';
import type { GraphServer } from '../graph-server/graph-server';

export interface TestOptions {
  /** Default: POST when a body is given (any value but undefined/null), else GET. */
  method?: string;
  headers?: Record<string, string>;
  /** Default: 'application/json' for object bodies. */
  contentType?: string;
  /** When true, error statuses do not throw: test() resolves to the error body (or the MockResponse, see getBody). */
  silent?: boolean;
  /**
   * MLRun's `get_body`. true (default): test() resolves to the response body. false: to the whole
   * MockResponse (`status`, `status_code`, `headers`, `body`), so a caller sees the status: with
   * `silent: true` that is how an error status is read without a throw.
   */
  getBody?: boolean;
  /** Default: a new 32-hex-character id. */
  eventId?: string;
  /**
   * What delivered the event (MLRun's `trigger`); default `{ kind: '', name: '' }`, unknown, as MLRun's
   * mock. A kind other than 'http' or '' (e.g. `{ kind: 'stream' }`) makes a model still loading in async
   * mode wait for its load instead of answering 503.
   */
  trigger?: EventTrigger;
}

/** What test() resolves to with `getBody: false` (MLRun's Response: `status_code`; `status` is the same). */
export interface MockResponse {
  status: number;
  status_code: number;
  headers: Record<string, string>;
  body: unknown;
}

const UNKNOWN_TRIGGER: Readonly<EventTrigger> = Object.freeze({ kind: '', name: '' });

/** Thrown by test() for an answer with status >= 300 (unless silent). */
export class MockServerError extends Error {
  /** The error's stable code from the body, when it has one. */
  readonly code: string | undefined;

  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const payload = body as { error?: unknown; code?: unknown } | null;
    const message = typeof payload?.error === 'string' ? payload.error : JSON.stringify(body);
    super(`failed (${status}): ${message}`);
    this.name = 'MockServerError';
    this.code = typeof payload?.code === 'string' ? payload.code : undefined;
  }
}

export class MockServer {
  constructor(readonly graphServer: GraphServer) {}

  /**
   * Sends one request through the graph and resolves to the response body (the whole MockResponse with
   * `getBody: false`). Rejects with MockServerError (carrying `status` and `body`) when the status is
   * >= 300, unless `silent`.
   */
  test(path: string, body: unknown, options: TestOptions & { getBody: false }): Promise<MockResponse>;
  test(path?: string, body?: unknown, options?: TestOptions): Promise<unknown>;
  async test(path = '/', body?: unknown, options: TestOptions = {}): Promise<unknown> {
    const hasBody = body !== undefined && body !== null;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.headers ?? {})) headers[key.toLowerCase()] = value;
    const objectBody = hasBody && typeof body === 'object' && !Buffer.isBuffer(body);
    const event: Event = {
      id: options.eventId ?? newEventId(),
      path,
      method: (options.method ?? (hasBody ? 'POST' : 'GET')).toUpperCase(),
      headers,
      body,
      contentType: options.contentType ?? (objectBody ? 'application/json' : undefined),
      trigger: options.trigger ?? UNKNOWN_TRIGGER,
    };
    const response = await this.graphServer.run(event);
    if (response.status >= 300 && !options.silent) throw new MockServerError(response.status, response.body);
    if (options.getBody !== false) return response.body;
    const { status } = response;
    return { status, status_code: status, headers: response.headers, body: response.body } satisfies MockResponse;
  }

  /** Resolves when every request in flight has been answered and background model loads have settled. */
  waitForCompletion(): Promise<void> {
    return this.graphServer.waitForCompletion();
  }

  /** Waits for the requests in flight, then closes the function's stream connections (queues, error, tracking). */
  close(): Promise<void> {
    return this.graphServer.close();
  }
}
