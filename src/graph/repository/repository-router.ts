/**
 * RepositoryRouter: the router of a served model repository. Beyond ModelRouter it answers the paths
 * Triton and MLServer share for the model repository and Triton's config and statistics extensions,
 * so every transport (HTTP, gRPC, the mock server) gets them from GraphServer alike:
 *
 *   POST /v2/repository/index                      [{name, version, state, reason}]; body {"ready": true} lists READY only
 *   POST /v2/repository/models/<m>/load            {} once loaded; body {"parameters": {"config": "<model-settings JSON>", "file:<path>": "<base64>"}} (load-override.ts)
 *   POST /v2/repository/models/<m>/unload          {} once its requests in flight have drained and it is freed
 *   GET  /v2/models/<m>[/versions/<v>]/config      Triton's model configuration of the effective settings
 *   GET  /v2/models[/<m>[/versions/<v>]]/stats     {model_stats: [...]} (Triton's statistics extension)
 *
 * The repository calls go to its RepositoryControl (the ModelRegistry); the router counts each route
 * step's requests in flight (for draining) and inference outcomes (for statistics).
 */
import { BadRequestError, MethodNotAllowedError, ModelNotFoundError, NotFoundError, NotReadyError } from '../../errors';
import type { Event } from '../../event';
import { PREDICT_OPS } from '../../model/operations';
import type { VersionPolicy } from '../../model/repository-layout';
import { splitKey } from '../../model/model-key';
import { isPlainObject } from '../../step/paths';
import { registerClass } from '../../step/registry';
import type { GraphStep } from '../../step/step';
import { ModelRouter, type ResolvedRoute, type RouterOptions } from '../router';
import { type LoadOverride, loadOverrideOf } from './load-override';
import { CounterBook } from './route-counters';
import { modelConfig, modelStats, type TritonModelStats } from './triton-config';
import { trimLeadingSlashes, trimTrailingSlashes } from '../../url-path';

export const REPOSITORY_PREFIX = '/v2/repository';

export type ModelState = 'READY' | 'UNAVAILABLE' | 'LOADING' | 'UNLOADING';

/** One line of the repository index (Triton's RepositoryIndexResponse.ModelIndex). */
export interface RepositoryIndexEntry {
  name: string;
  version: string;
  state: ModelState;
  reason: string;
}

/** What the repository API asks of the registry behind the router. */
export interface RepositoryControl {
  index(readyOnly: boolean): Promise<RepositoryIndexEntry[]>;
  /** Loads (or reloads) a model, from what `override` puts in place of its folder's (load-override.ts). */
  load(name: string, override?: LoadOverride): Promise<void>;
  unload(name: string): Promise<void>;
  /** A served model's version policy and versions (served and found), when it has version folders. */
  versions(name: string): { policy: VersionPolicy; served: string[]; available: string[] } | undefined;
  /** The state of a model the registry has tried to load (or unloaded); undefined for any other name. */
  status(name: string): { state: ModelState; reason: string } | undefined;
}

export interface RepositoryRouterOptions extends RouterOptions {
  /** Ready (GET /v2/health/ready) with no model loaded: explicit and poll modes, as Triton. Default false. */
  readyWhenEmpty?: boolean;
}

/** The protocol extensions this router adds to server metadata's (Triton's names). */
export const REPOSITORY_EXTENSIONS: readonly string[] = Object.freeze([
  'model_repository',
  'model_configuration',
  'statistics',
]);

const POST_ONLY: readonly string[] = Object.freeze(['POST']);
const GET_ONLY: readonly string[] = Object.freeze(['GET']);
const REPOSITORY_OPS = new Set(['load', 'unload']);
const DESCRIBE_OPS = new Set(['config', 'stats']);

/** Whether an event on a model path is an inference (counted in the statistics). */
function isInference(method: string, subpath: string): boolean {
  return method === 'POST' && (subpath === '' || PREDICT_OPS.includes(subpath));
}

export class RepositoryRouter extends ModelRouter {
  /** The registry behind the repository API; set by it. */
  control: RepositoryControl | undefined;
  readonly readyWhenEmpty: boolean;
  /** Requests in flight and inference outcomes, per route step. */
  readonly counters = new CounterBook();

  readonly #statsPath: string;

  constructor(options: RepositoryRouterOptions = {}) {
    super(options);
    this.readyWhenEmpty = options.readyWhenEmpty ?? false;
    this.#statsPath = `${this.urlPrefix}/stats`;
  }

  override isReady(): boolean {
    if (this.routes.size === 0 && this.readyWhenEmpty) return true;
    return super.isReady();
  }

  /** Server metadata, listing the repository, configuration and statistics extensions too. */
  override serverMetadata(): { name: string; version: string; extensions: string[] } {
    const metadata = super.serverMetadata();
    return { ...metadata, extensions: [...metadata.extensions, ...REPOSITORY_EXTENSIONS] };
  }

  /** Model names: a versioned key ('m:2') is left out when its model is routed by name too. */
  override listModels(): { models: string[] } {
    const keys = [...this.routes.keys()];
    return { models: keys.filter((k) => !k.includes(':') || !this.routes.has(splitKey(k)[0])) };
  }

  override allowedMethods(rawPath: string): readonly string[] {
    const path = trimTrailingSlashes(rawPath);
    if (path === REPOSITORY_PREFIX || path.startsWith(`${REPOSITORY_PREFIX}/`)) {
      return this.repositoryOp(path) === undefined ? [] : POST_ONLY;
    }
    if (path === this.#statsPath && !this.routes.has('stats')) return GET_ONLY;
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (DESCRIBE_OPS.has(last) && super.allowedMethods(path.slice(0, -last.length - 1)).length > 0) return GET_ONLY;
    return super.allowedMethods(rawPath);
  }

  override doEvent(event: Event): Promise<unknown> {
    // Inference paths pass with two prefix tests and no trimming: this runs for every request. Not async:
    // the route's promise is handed on as it is (see Router.doEvent).
    if (event.path.startsWith(REPOSITORY_PREFIX)) {
      const path = trimTrailingSlashes(event.path);
      if (path === REPOSITORY_PREFIX || path.startsWith(`${REPOSITORY_PREFIX}/`)) {
        return this.answerRepository(event, path);
      }
    } else if (event.path.startsWith(this.#statsPath) && trimTrailingSlashes(event.path) === this.#statsPath) {
      if (!this.routes.has('stats')) {
        try {
          requireMethod(event, GET_ONLY, 'model statistics');
          return Promise.resolve({ model_stats: this.allStats() });
        } catch (err) {
          return Promise.reject(err);
        }
      }
    }
    return super.doEvent(event);
  }

  /** Runs a model's event, counting it; `config` and `stats` GETs are answered here. */
  protected override runRoute(event: Event, route: ResolvedRoute): Promise<unknown> {
    const step = this.getRoute(route.model!);
    if (DESCRIBE_OPS.has(route.subpath)) return Promise.resolve(this.describe(event, step, route.subpath));
    // Not async: one promise more than the step's own per request, not an async frame around it.
    return this.counters
      .of(step)
      .follow(isInference(event.method, route.subpath), () => step.doEvent({ ...event, path: `/${route.subpath}` }));
  }

  /**
   * A key that is not routed: for a versioned key, 404 listing the versions served (and those the policy
   * leaves out); for a model the registry knows but does not serve, why (see notServed).
   */
  protected override getRoute(key: string): GraphStep {
    const step = this.routes.get(key);
    if (step !== undefined) return step;
    const [name, version] = splitKey(key);
    const status = version === '' ? this.control?.status(name) : undefined;
    if (status !== undefined && status.state !== 'READY') throw notServed(name, status.state, status.reason);
    const versions = version === '' ? undefined : this.control?.versions(name);
    if (versions !== undefined) {
      const others = versions.available.filter((v) => !versions.served.includes(v));
      const unserved = others.length > 0 ? ` (not served by its version policy: ${others.join(' | ')})` : '';
      throw new ModelNotFoundError(
        `model ${name} has no version ${version}, available versions: ${versions.served.join(' | ')}${unserved}`,
      );
    }
    return super.getRoute(key);
  }

  /** Every route step once (a model routed by name and by version counts once), with its key. */
  private uniqueSteps(): Array<[string, GraphStep]> {
    const seen = new Set<GraphStep>();
    return [...this.routes].filter(([, step]) => !seen.has(step) && seen.add(step) !== undefined);
  }

  private allStats(): TritonModelStats[] {
    return this.uniqueSteps().map(([key, step]) => this.statsOf(key, step));
  }

  private statsOf(key: string, step: GraphStep): TritonModelStats {
    const version = (step as { version?: unknown }).version;
    const [name] = splitKey(key);
    return modelStats(step, name, typeof version === 'string' ? version : '', this.counters.of(step));
  }

  private describe(event: Event, step: GraphStep, op: string): unknown {
    const key = [...this.routes].find(([, s]) => s === step)![0];
    requireMethod(event, GET_ONLY, `model ${op}`);
    if (op === 'stats') return { model_stats: [this.statsOf(key, step)] };
    const [name] = splitKey(key);
    if (!(step.isReady?.() ?? true)) throw new NotReadyError(`model ${name} is not ready`);
    const policy = this.control?.versions(name)?.policy ?? { latest: { num_versions: 1 } };
    return modelConfig(step, name, policy);
  }

  /** `index`, or the model and `load` / `unload` of `models/<m>/<op>`; undefined for other paths. */
  private repositoryOp(path: string): { op: string; model?: string } | undefined {
    const rest = trimLeadingSlashes(path.slice(REPOSITORY_PREFIX.length)).split('/');
    if (rest.length === 1 && rest[0] === 'index') return { op: 'index' };
    if (rest.length === 3 && rest[0] === 'models' && rest[1] !== '' && REPOSITORY_OPS.has(rest[2]!)) {
      return { op: rest[2]!, model: decodeURIComponent(rest[1]!) };
    }
    return undefined;
  }

  private async answerRepository(event: Event, path: string): Promise<unknown> {
    const found = this.repositoryOp(path);
    if (found === undefined || this.control === undefined) {
      throw new NotFoundError(
        `no repository operation at ${event.path}; there are index, models/<m>/load, models/<m>/unload`,
      );
    }
    requireMethod(event, POST_ONLY, `repository ${found.op}`);
    const body = event.body ?? {};
    if (!isPlainObject(body)) throw new BadRequestError(`the body of repository ${found.op} must be a JSON object`);
    if (found.op === 'index') {
      const ready = body['ready'] ?? false;
      if (typeof ready !== 'boolean') throw new BadRequestError('repository index: "ready" must be true or false');
      return this.control.index(ready);
    }
    if (found.op === 'load') await this.control.load(found.model!, loadOverrideOf(body));
    else await this.control.unload(found.model!);
    return {};
  }
}

/**
 * Why a model the registry knows has no route: 503 while it loads (the client may retry), else 404 saying
 * it is not loaded and why (unloaded, or its load failed and with what).
 */
function notServed(name: string, state: ModelState, reason: string): Error {
  if (state === 'LOADING') return new NotReadyError(`model ${name} is loading`);
  if (state === 'UNLOADING') return new ModelNotFoundError(`model ${name} is being unloaded`);
  return new ModelNotFoundError(`model ${name} is not loaded${reason === '' ? '' : ` (${reason})`}`);
}

function requireMethod(event: Event, methods: readonly string[], what: string): void {
  if (!methods.includes(event.method)) {
    throw new MethodNotAllowedError(`${what} takes ${methods.join(' or ')}, not ${event.method}`, { allow: methods });
  }
}

registerClass('RepositoryRouter', RepositoryRouter);
