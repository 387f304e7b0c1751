/**
 * Options shared by RemoteStep and BatchHttpRequests, declared once. Names are MLRun's in camelCase,
 * units MLRun's: `timeout`, `backoffFactor` and `backoffMax` in seconds.
 */
import { InvalidOptionError } from '../errors';
import type { ServingContext } from '../step/context';
import type { RetryPolicy } from './http-client';
import { trimLeadingSlashes, trimTrailingSlashes } from '../url-path';

/** What a url function gets besides the body: the fixed endpoint (url + subpath) and the context. */
export interface UrlScope {
  endpoint: string | undefined;
  context: ServingContext;
}

export interface HttpStepOptions {
  name?: string;
  /** http(s) URL; a trailing '/' is dropped. Required unless `urlExpression` is given. */
  url?: string;
  /** Appended to url as `url/subpath`; '$path' appends each event's path (RemoteStep only). */
  subpath?: string;
  /** The URL per request, from the (input-path) body: replaces url and subpath; not with `url`. */
  urlExpression?: (body: unknown, scope: UrlScope) => string;
  /** Maps an object/list body before it is sent as JSON; string and binary bodies are sent as they are. */
  bodyExpression?: (body: unknown) => unknown;
  /** HTTP method. RemoteStep default: the event's method; BatchHttpRequests default: POST. */
  method?: string;
  /** Extra request headers (never the incoming request's headers). */
  headers?: Record<string, string>;
  /** Parse every response as JSON; when false, only responses whose content type is JSON. */
  returnJson?: boolean;
  inputPath?: string;
  resultPath?: string;
  /** Requests in flight at once for this step (the connection pool's size). */
  maxInFlight?: number;
  /** Further attempts after a network error, a timeout or a 5xx; 4xx answers are never retried. */
  retries?: number;
  /** Backoff before retry n is backoffFactor × 2^(n-1) seconds, at most backoffMax. */
  backoffFactor?: number;
  backoffMax?: number;
  /** Limit for one attempt, connect to last byte, seconds. */
  timeout?: number;
  context?: ServingContext;
}

export const HTTP_STEP_DEFAULTS = Object.freeze({
  returnJson: true,
  maxInFlight: 8,
  retries: 6,
  backoffFactor: 1, // seconds
  backoffMax: 120, // seconds
  timeout: 60, // seconds
});

/** A number option that must be finite and at least `min`. */
export function checkNumber(stepName: string, key: string, value: number, min: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new InvalidOptionError(`${stepName}: ${key} must be ${kind} >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The fixed endpoint (`url` + `subpath`, '$path' left out), or undefined with a urlExpression. */
/** The validated retry policy of an HTTP step (MLRun's units: seconds). */
export function retryPolicyOf(label: string, options: HttpStepOptions): RetryPolicy {
  const d = HTTP_STEP_DEFAULTS;
  return {
    retries: checkNumber(label, 'retries', options.retries ?? d.retries, 0, true),
    backoffFactor: checkNumber(label, 'backoffFactor', options.backoffFactor ?? d.backoffFactor, 0),
    backoffMax: checkNumber(label, 'backoffMax', options.backoffMax ?? d.backoffMax, 0),
    timeout: checkNumber(label, 'timeout', options.timeout ?? d.timeout, 0.001),
  };
}

/** The validated connection limit of an HTTP step. */
export function maxInFlightOf(label: string, options: HttpStepOptions): number {
  return checkNumber(label, 'maxInFlight', options.maxInFlight ?? HTTP_STEP_DEFAULTS.maxInFlight, 1, true);
}

export function fixedEndpoint(stepName: string, options: HttpStepOptions): string | undefined {
  if (options.url !== undefined && options.urlExpression !== undefined) {
    throw new InvalidOptionError(`${stepName}: cannot set both url and urlExpression`);
  }
  if (options.url === undefined) {
    if (options.urlExpression === undefined)
      throw new InvalidOptionError(`${stepName}: a url or urlExpression is needed`);
    return undefined;
  }
  if (!/^https?:\/\//.test(options.url)) {
    throw new InvalidOptionError(`${stepName}: url must be an http(s) URL, got ${options.url}`);
  }
  const url = trimTrailingSlashes(options.url);
  const subpath = options.subpath;
  if (!subpath || subpath === '$path') return url;
  return `${url}/${trimLeadingSlashes(subpath)}`;
}

/** A request body on the wire: raw for strings and binary, JSON for anything else. */
export function encodeBody(
  body: unknown,
  bodyExpression: HttpStepOptions['bodyExpression'],
): { payload: string | Uint8Array; json: boolean } {
  if (typeof body === 'string' || body instanceof Uint8Array) return { payload: body, json: false };
  const mapped = bodyExpression ? bodyExpression(body) : body;
  return { payload: JSON.stringify(mapped ?? null), json: true };
}
