/**
 * Routers: steps that hold named routes and pick one per event. BaseRouter owns the URL scheme
 * (`<urlPrefix>/<model>[/versions/<v>][/<op>]`), health and server metadata; subclasses decide what
 * to do with the resolved route (ModelRouter: run that one model; VotingEnsemble, issue 5: run many).
 */
import { MethodNotAllowedError, ModelNotFoundError, NotFoundError, NotReadyError } from '../errors';
import type { Event } from '../event';
import type { ServingContext } from '../step/context';
import { createContext } from '../step/context';
import { isPlainObject } from '../step/paths';
import { SERVER_NAME, SERVER_VERSION } from '../version';
import type { GraphStep } from '../step/step';
import { registerClass } from '../step/registry';
import { trimLeadingSlashes, trimTrailingSlashes } from '../url-path';

export interface RouterOptions {
  name?: string;
  /** Models live under this prefix. */
  urlPrefix?: string;
  /** GET `<healthPrefix>/live` and `/ready` are the health probes. */
  healthPrefix?: string;
  /** Protocol name: `GET /<protocol>` answers server metadata. */
  protocol?: string;
  /**
   * Readiness (`GET <healthPrefix>/ready`, isReady()): true = ready when the router has at least one
   * route and every route is ready; false = ready when at least one route is ready.
   */
  strictReadiness?: boolean;
  context?: ServingContext;
  [classArg: string]: unknown;
}

export const ROUTER_DEFAULTS = Object.freeze({
  urlPrefix: '/v2/models',
  healthPrefix: '/v2/health',
  protocol: 'v2',
  strictReadiness: true,
});

/** Longest reason quoted per model in a not-ready answer (characters). */
const READY_REASON_CHARS = 120;

/** Protocol extensions the server implements, as named in server metadata (Triton's names). */
export const SERVER_EXTENSIONS: readonly string[] = Object.freeze(['binary_tensor_data', 'classification']);

const GET_ONLY: readonly string[] = Object.freeze(['GET']);
const GET_POST: readonly string[] = Object.freeze(['GET', 'POST']);

/** What the URL (and, in stream mode, the body) selects. `model` undefined means "list the models". */
export interface ResolvedRoute {
  model: string | undefined;
  /** The operation path handed to the route, without leading '/': '' when none was given. */
  subpath: string;
}

export abstract class BaseRouter implements GraphStep {
  readonly name: string;
  readonly urlPrefix: string;
  readonly healthPrefix: string;
  readonly protocol: string;
  readonly strictReadiness: boolean;
  readonly context: ServingContext;
  /** Routes in insertion order, by key ('name' or 'name:version'). */
  readonly routes = new Map<string, GraphStep>();

  constructor(options: RouterOptions = {}) {
    this.name = options.name ?? new.target.name;
    this.urlPrefix = trimTrailingSlashes(options.urlPrefix ?? ROUTER_DEFAULTS.urlPrefix);
    this.healthPrefix = trimTrailingSlashes(options.healthPrefix ?? ROUTER_DEFAULTS.healthPrefix);
    this.protocol = options.protocol ?? ROUTER_DEFAULTS.protocol;
    this.strictReadiness = options.strictReadiness ?? ROUTER_DEFAULTS.strictReadiness;
    this.context = options.context ?? createContext();
    this.#protocolPath = `/${this.protocol}`;
    this.#healthDir = `${this.healthPrefix}/`;
    this.#prefixDir = `${this.urlPrefix}/`;
  }

  // Built once: the paths every request is compared with.
  readonly #protocolPath: string;
  readonly #healthDir: string;
  readonly #prefixDir: string;

  /** Whether some route may have its own request timeout (so requestTimeoutFor has to look). */
  #ownTimeouts = false;

  /** Adds (or replaces) a route. Call before postInit(). */
  addRoute(key: string, step: GraphStep): this {
    this.routes.set(key, step);
    const own = (step as { requestTimeout?: unknown }).requestTimeout;
    if (typeof own === 'number' || step.requestTimeoutFor !== undefined) this.#ownTimeouts = true;
    return this;
  }

  /** Initialises the routes one after the other, in insertion order; the first failure fails start-up. */
  async postInit(): Promise<void> {
    for (const step of this.routes.values()) await step.postInit?.();
  }

  /** See RouterOptions.strictReadiness: a router without routes is never ready. */
  isReady(): boolean {
    const steps = [...this.routes.values()];
    if (this.strictReadiness) return steps.length > 0 && steps.every(isStepReady);
    return steps.some(isStepReady);
  }

  /** Why the router is not ready: every route that is not, with its reason, in route order. */
  notReadyReason(): string {
    if (this.routes.size === 0) return 'no models are loaded';
    const waiting = [...this.routes].filter(([, step]) => !isStepReady(step));
    const list = waiting.map(([key, step]) => `${key} (${shortReason(step)})`).join(' | ');
    return this.strictReadiness ? `models not ready: ${list}` : `no model is ready: ${list}`;
  }

  async whenSettled(): Promise<void> {
    await Promise.all([...this.routes.values()].map((step) => step.whenSettled?.()));
  }

  /**
   * `GET /` and `GET /<protocol>`: the server metadata, as Triton and MLServer answer it: the server's
   * own name and version, and the protocol extensions it implements. (MLRun answered the router's class
   * name and the protocol name instead, which OIP clients cannot use.)
   */
  serverMetadata(): { name: string; version: string; extensions: string[] } {
    return { name: SERVER_NAME, version: SERVER_VERSION, extensions: [...SERVER_EXTENSIONS] };
  }

  /**
   * The methods of a path (see GraphStep.allowedMethods): GET for health and server metadata; GET and
   * POST for the model list and the root (stream mode); a model's paths as the model says.
   */
  allowedMethods(rawPath: string): readonly string[] {
    const path = trimTrailingSlashes(rawPath);
    if (this.isProbePath(path)) return GET_ONLY;
    if (path === '' || path === this.urlPrefix) return GET_POST;
    const found = this.routeOfPath(path);
    if (found === undefined) return [];
    return found.step.allowedMethods?.(`/${found.subpath}`) ?? GET_POST;
  }

  /** The request timeout of the model a path names, when it has its own (GraphStep.requestTimeoutFor). */
  requestTimeoutFor(rawPath: string): number | undefined {
    if (!this.#ownTimeouts) return undefined; // the common case, without resolving the path twice
    const found = this.routeOfPath(trimTrailingSlashes(rawPath));
    if (found === undefined) return undefined;
    const own = (found.step as { requestTimeout?: unknown }).requestTimeout;
    return typeof own === 'number' ? own : found.step.requestTimeoutFor?.(`/${found.subpath}`);
  }

  /** The route step and sub-path a model path names; undefined for other paths and unknown models. */
  private routeOfPath(path: string): { step: GraphStep; subpath: string } | undefined {
    if (!path.startsWith(`${this.urlPrefix}/`)) return undefined;
    const { model, subpath } = this.resolveRoute({ path } as Event, path);
    if (model === undefined) return undefined;
    try {
      return { step: this.getRoute(model), subpath };
    } catch {
      return undefined;
    }
  }

  /** Health probes and server metadata: paths only GET answers. */
  private isProbePath(path: string): boolean {
    return path === this.#protocolPath || path === this.healthPrefix || path.startsWith(this.#healthDir);
  }

  /** The model list (`/v2/models`). */
  listModels(): { models: string[] } {
    return { models: [...this.routes.keys()] };
  }

  /**
   * Not async: the route's promise is handed on as it is (an async function returning a promise costs a
   * promise and two microtask turns more to adopt it, on every request); throws become rejections.
   */
  doEvent(event: Event): Promise<unknown> {
    try {
      const path = trimTrailingSlashes(event.path);
      if (event.method === 'GET') {
        const answer = this.answerHealth(path);
        if (answer !== undefined) return Promise.resolve(answer);
      } else if (this.isProbePath(path)) {
        throw new MethodNotAllowedError(`${event.path} takes GET, not ${event.method}`, { allow: GET_ONLY });
      }
      if (path !== '' && path !== this.urlPrefix && !path.startsWith(this.#prefixDir)) {
        throw new NotFoundError(`illegal path prefix ${event.path}, must start with ${this.urlPrefix}`);
      }
      const route = this.resolveRoute(event, path);
      if (route.model === undefined) return Promise.resolve(this.listModels());
      return this.runRoute(event, route);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Runs the resolved route; `route.model` is set. */
  protected abstract runRoute(event: Event, route: ResolvedRoute): Promise<unknown>;

  /** Health probes and server metadata for GET requests; undefined when the path is not one of them. */
  protected answerHealth(path: string): unknown {
    if (path === `${this.healthPrefix}/live`) return { live: true };
    if (path === `${this.healthPrefix}/ready`) {
      if (!this.isReady()) throw new NotReadyError(this.notReadyReason());
      return { ready: true };
    }
    if (path === '' || this.isProbePath(path)) {
      return this.serverMetadata();
    }
    return undefined;
  }

  /**
   * Model and operation from the path; in stream mode (path '/') from the body's `model` (default:
   * the first route) and `operation`. A path operation wins over the body's.
   */
  protected resolveRoute(event: Event, path: string): ResolvedRoute {
    let model: string | undefined;
    let subpath = '';
    if (path !== '') {
      const rest = trimLeadingSlashes(path.slice(this.urlPrefix.length));
      if (rest === '') return { model: undefined, subpath };
      const segments = rest.split('/');
      let next = 1;
      model = segments[0];
      if (segments.length > 2 && segments[1] === 'versions') {
        model = `${segments[0]}:${segments[2]}`;
        next = 3;
      }
      subpath = segments.slice(next).join('/');
    } else {
      const body = event.body;
      const fromBody = isPlainObject(body) && typeof body.model === 'string' ? body.model : undefined;
      model = fromBody ?? this.routes.keys().next().value;
      if (model === undefined) throw new ModelNotFoundError('no models were added to the router');
    }
    return { model, subpath };
  }

  /** The route for a key, or a 404 listing the available models (or versions). */
  protected getRoute(key: string): GraphStep {
    const step = this.routes.get(key);
    if (step) return step;
    const keys = [...this.routes.keys()];
    const [name, version] = key.split(':');
    // A model added by name answers for its own version too (repository models declare it in settings).
    const byName = this.routes.get(name!) as (GraphStep & { version?: string }) | undefined;
    if (byName && version !== undefined && byName.version === version) return byName;
    const versions = keys.filter((k) => k.startsWith(`${name}:`)).map((k) => k.slice(name!.length + 1));
    if (version !== undefined && (versions.length > 0 || this.routes.has(name!))) {
      const own = byName === undefined ? [] : [byName.version || '(none)']; // the version a route added by name serves
      const available = [...own, ...versions].join(' | ');
      throw new ModelNotFoundError(`model ${name} has no version ${version}, available versions: ${available}`);
    }
    throw new ModelNotFoundError(`model ${key} does not exist, available models: ${keys.join(' | ') || '(none)'}`);
  }
}

/** Routes each event to one model, by URL or (stream mode) by the body's `model`. */
export class ModelRouter extends BaseRouter {
  protected async runRoute(event: Event, route: ResolvedRoute): Promise<unknown> {
    const step = this.getRoute(route.model!);
    return step.doEvent({ ...event, path: `/${route.subpath}` });
  }
}

function isStepReady(step: GraphStep): boolean {
  return step.isReady?.() ?? true;
}

/** A route's `error` (models that failed), first line, cut to READY_REASON_CHARS; else 'not ready yet'. */
function shortReason(step: GraphStep): string {
  const error = (step as { error?: unknown }).error;
  if (error === undefined) return 'not ready yet';
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  return line.length > READY_REASON_CHARS ? `${line.slice(0, READY_REASON_CHARS - 1)}…` : line;
}

registerClass('ModelRouter', ModelRouter);
