/**
 * BatchHttpRequests (MLRun's): the body (or its `inputPath` part) must be a list; each item becomes
 * one request, sent concurrently (at most maxInFlight at once), each with its own retries. The answers
 * form a list in input order, written at `resultPath` (else replacing the body).
 *
 * Per item: the URL is urlExpression(item, {endpoint, context}) or the fixed url + subpath; the body is
 * bodyExpression(item) sent as JSON for objects and lists, strings and binary items as they are; GET
 * sends none. Unlike MLRun: `retries: 0` means one attempt (MLRun made it 7), `endpoint` is visible to
 * urlExpression, a 4xx answer fails the request like RemoteStep's (MLRun returned it as data), and the
 * step runs in every engine.
 */
import { BadRequestError, RemoteStepError } from '../errors';
import { createContext, type ServingContext } from '../step/context';
import { getIn, updateIn } from '../step/paths';
import { registerClass } from '../step/registry';
import type { GraphStep } from '../step/step';
import type { Event } from '../event';
import { HttpClient, parseReply, type RetryPolicy } from './http-client';
import {
  encodeBody,
  fixedEndpoint,
  HTTP_STEP_DEFAULTS,
  maxInFlightOf,
  retryPolicyOf,
  type HttpStepOptions,
} from './options';

export type BatchHttpRequestsOptions = HttpStepOptions;

/**
 * Maps `items` with at most `limit` calls pending; results in input order. After a failure no new
 * call starts; it rejects with the first failure once the calls already started have settled.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
  return results;
}

export class BatchHttpRequests implements GraphStep {
  readonly name: string;
  readonly context: ServingContext;
  readonly policy: RetryPolicy;
  readonly maxInFlight: number;
  private readonly endpoint: string | undefined;
  private readonly client: HttpClient;

  constructor(readonly options: BatchHttpRequestsOptions = {}) {
    this.name = options.name ?? 'BatchHttpRequests';
    this.context = options.context ?? createContext();
    const label = `BatchHttpRequests ${this.name}`;
    this.endpoint = fixedEndpoint(label, { ...options, subpath: options.subpath === '$path' ? '' : options.subpath });
    this.policy = retryPolicyOf(label, options);
    this.maxInFlight = maxInFlightOf(label, options);
    this.client = new HttpClient(label, this.maxInFlight);
  }

  /** Sends one request per item; called concurrently. */
  async doEvent(event: Event): Promise<unknown> {
    const items = getIn(event.body, this.options.inputPath);
    if (!Array.isArray(items)) {
      const where = this.options.inputPath ? `at ${this.options.inputPath}` : '';
      throw new BadRequestError(`BatchHttpRequests ${this.name}: the body ${where} must be a list of request items`);
    }
    const results = await mapLimit(items, this.maxInFlight, (item, i) => this.sendItem(item, i, event));
    return updateIn(event.body, this.options.resultPath, results);
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.client.close();
  }

  private async sendItem(item: unknown, index: number, event: Event): Promise<unknown> {
    const scope = { endpoint: this.endpoint, context: this.context };
    const url = this.options.urlExpression ? this.options.urlExpression(item, scope) : this.endpoint!;
    const method = (this.options.method ?? 'POST').toUpperCase();
    const headers: Record<string, string> = { ...(this.options.headers ?? {}) };
    if (event.id) headers['mlrun-event-id'] = event.id;
    let payload: string | Uint8Array | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      const encoded = encodeBody(item, this.options.bodyExpression);
      payload = encoded.payload;
      if (encoded.json) headers['content-type'] = 'application/json';
    }
    const reply = await this.client.send({ method, url, headers, body: payload }, this.policy);
    const where = `BatchHttpRequests ${this.name}: item ${index}: ${method} ${url}`;
    if (reply.status >= 400) {
      throw new RemoteStepError(`${where} answered ${reply.status}: ${reply.body.toString('utf8', 0, 200)}`);
    }
    return parseReply(reply, this.options.returnJson ?? HTTP_STEP_DEFAULTS.returnJson, where);
  }
}

registerClass('BatchHttpRequests', BatchHttpRequests);
