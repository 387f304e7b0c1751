/**
 * RemoteStep (MLRun's `$remote`): sends the event body (or its `inputPath` part) to an HTTP endpoint
 * and puts the answer in the body (at `resultPath`, else replacing it). Usable as a router route or a
 * model step now, and as a flow step.
 *
 * Request: url (or urlExpression(body, {endpoint, context})) + subpath ('$path': the event's path);
 * method: the option, else the event's, else POST; GET sends no body; headers: the `headers` option
 * plus `mlrun-event-id` (the event id) and `mlrun-event-path` (the event path, when it is not '/' and
 * the URL is fixed). The incoming request's headers are never forwarded.
 * Answers: JSON when returnJson or a JSON content type, else a Buffer. A 4xx answer fails at once
 * (RemoteStepError, 502); network errors, timeouts and 5xx are retried `retries` times with backoff,
 * then fail with RemoteStepError (502) or RemoteTimeoutError (504). Messages name the step and URL.
 */
import { RemoteStepError } from '../errors';
import { createContext, type ServingContext } from '../step/context';
import { getIn, updateIn } from '../step/paths';
import { registerClass } from '../step/registry';
import type { GraphStep } from '../step/step';
import type { Event } from '../event';
import { trimLeadingSlashes } from '../url-path';
import { HttpClient, parseReply, type RetryPolicy } from './http-client';
import {
  encodeBody,
  fixedEndpoint,
  HTTP_STEP_DEFAULTS,
  maxInFlightOf,
  retryPolicyOf,
  type HttpStepOptions,
} from './options';

export type RemoteStepOptions = HttpStepOptions;

export class RemoteStep implements GraphStep {
  readonly name: string;
  readonly context: ServingContext;
  readonly policy: RetryPolicy;
  private readonly endpoint: string | undefined;
  private readonly client: HttpClient;

  constructor(readonly options: RemoteStepOptions = {}) {
    this.name = options.name ?? 'RemoteStep';
    this.context = options.context ?? createContext();
    const label = `RemoteStep ${this.name}`;
    this.endpoint = fixedEndpoint(label, options);
    this.policy = retryPolicyOf(label, options);
    this.client = new HttpClient(label, maxInFlightOf(label, options));
  }

  /** Sends one event; called concurrently (at most maxInFlight requests are on the wire at once). */
  async doEvent(event: Event): Promise<unknown> {
    const body = getIn(event.body, this.options.inputPath);
    const path = trimLeadingSlashes(event.path);
    const url = this.urlFor(body, path);
    const method = (this.options.method ?? (event.method || 'POST')).toUpperCase();
    const headers: Record<string, string> = { ...(this.options.headers ?? {}) };
    if (event.id) headers['mlrun-event-id'] = event.id;
    if (path && this.endpoint !== undefined) headers['mlrun-event-path'] = event.path;
    let payload: string | Uint8Array | undefined;
    if (method !== 'GET' && method !== 'HEAD' && body !== undefined) {
      const encoded = encodeBody(body, this.options.bodyExpression);
      payload = encoded.payload;
      if (encoded.json) headers['content-type'] = 'application/json';
    }
    const reply = await this.client.send({ method, url, headers, body: payload }, this.policy);
    const where = `RemoteStep ${this.name}: ${method} ${url}`;
    if (reply.status >= 400) {
      throw new RemoteStepError(`${where} answered ${reply.status}: ${reply.body.toString('utf8', 0, 200)}`);
    }
    const result = parseReply(reply, this.options.returnJson ?? HTTP_STEP_DEFAULTS.returnJson, where);
    return updateIn(event.body, this.options.resultPath, result);
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** The URL of one event: `path` is its path without leading slashes. */
  private urlFor(body: unknown, path: string): string {
    if (this.endpoint === undefined)
      return this.options.urlExpression!(body, { endpoint: undefined, context: this.context });
    if (this.options.subpath !== '$path') return this.endpoint;
    return path ? `${this.endpoint}/${path}` : this.endpoint;
  }
}

registerClass('$remote', RemoteStep);
registerClass('RemoteStep', RemoteStep);
