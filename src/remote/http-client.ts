/**
 * The HTTP client of the remote steps: an undici keep-alive pool per step, with per-attempt timeouts
 * and retries with capped exponential backoff. Network errors, timeouts and 5xx answers are retried;
 * any other answer (2xx-4xx) is returned to the caller, which decides what a 4xx means.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { RemoteStepError, RemoteTimeoutError } from '../errors';

export interface HttpCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface RetryPolicy {
  retries: number;
  /** Seconds. */
  backoffFactor: number;
  /** Seconds. */
  backoffMax: number;
  /** Seconds, per attempt. */
  timeout: number;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: Buffer;
  /** How many attempts it took (1 = no retry). */
  attempts: number;
}

/** Seconds to wait before retry `n` (1-based): factor × 2^(n-1), at most `max`. */
export function backoffSeconds(n: number, factor: number, max: number): number {
  return Math.min(factor * 2 ** (n - 1), max);
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | null;
  return e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT';
}

export class HttpClient {
  private readonly agent: Agent;

  /** `maxInFlight` connections per origin: further requests queue until one is free. */
  constructor(
    private readonly stepLabel: string,
    maxInFlight: number,
  ) {
    this.agent = new Agent({ connections: maxInFlight, keepAliveTimeout: 10_000 });
  }

  /**
   * Sends `call`, retrying as `policy` says. Resolves to the first answer below 500; rejects with
   * RemoteTimeoutError when the last attempt timed out, else RemoteStepError naming the step and URL.
   */
  async send(call: HttpCall, policy: RetryPolicy): Promise<HttpReply> {
    let last = '';
    let timedOut = false;
    const attempts = policy.retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(backoffSeconds(attempt - 1, policy.backoffFactor, policy.backoffMax) * 1000);
      try {
        const reply = await this.attempt(call, policy.timeout);
        if (reply.status < 500) return { ...reply, attempts: attempt };
        last = `bad http response ${reply.status}: ${reply.body.toString('utf8', 0, 200)}`;
        timedOut = false;
      } catch (err) {
        timedOut = isTimeout(err);
        last = timedOut ? `timed out after ${policy.timeout} s` : `cannot invoke url: ${(err as Error).message}`;
      }
    }
    const message = `${this.stepLabel}: ${call.method} ${call.url} failed after ${attempts} attempt(s): ${last}`;
    throw timedOut ? new RemoteTimeoutError(message) : new RemoteStepError(message);
  }

  private async attempt(call: HttpCall, timeout: number): Promise<Omit<HttpReply, 'attempts'>> {
    const res = await request(call.url, {
      dispatcher: this.agent,
      method: call.method as 'POST',
      headers: call.headers,
      body: call.body,
      signal: AbortSignal.timeout(timeout * 1000),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const type = res.headers['content-type'];
    return { status: res.statusCode, contentType: (Array.isArray(type) ? type[0] : type) ?? '', body };
  }

  /** Closes the pool's connections; later sends fail. */
  close(): Promise<void> {
    return this.agent.close();
  }
}

/** A reply body as the step returns it: parsed JSON when asked or when the content type is JSON, else the bytes. */
export function parseReply(reply: HttpReply, returnJson: boolean, where: string): unknown {
  const isJson = /^application\/(.+\+)?json\b/i.test(reply.contentType);
  if (!returnJson && !isJson) return reply.body;
  if (reply.body.length === 0) return null;
  try {
    return JSON.parse(reply.body.toString('utf8'));
  } catch {
    throw new RemoteStepError(`${where}: the response is not JSON: ${reply.body.toString('utf8', 0, 200)}`);
  }
}
