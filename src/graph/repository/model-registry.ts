/**
 * ModelRegistry: the one owner of a served model repository. The CLI's start-up, the repository API
 * (HTTP and gRPC, through RepositoryRouter) and polling all go through it: load, unload (after the
 * model's requests in flight have drained) and reload (load the new one, switch the routes, drain and
 * free the old one), so no request is dropped by a change.
 *
 * Model control modes (Triton's): 'none' loads every folder at start, and a folder that fails stays a
 * route that answers 503 with its reason (readiness then follows the router's rule); 'explicit' loads
 * what the API (or --load-model) asks; 'poll' loads every folder at start, then rescans the repository
 * and loads new folders, reloads changed ones and unloads removed ones. In 'explicit' and 'poll' a
 * failed load adds no route (the index reports it UNAVAILABLE with its reason; a model already served
 * keeps serving), and the server is ready with no model loaded.
 *
 * Routes: a model is routed by its name, which serves its newest served version; a model served from
 * version folders (Triton's layout) is also routed as 'name:version' for each served version.
 * Operations on one model run one after the other; operations on different models run concurrently.
 */
import { basename } from 'node:path';
import { BadRequestError, GraphServeError, ModelNotFoundError, RepositoryError, redactMessage } from '../../errors';
import { FailedModel } from '../../model/failed-model';
import {
  fingerprintFolder,
  listModelFolders,
  readFolderSettings,
  parseLoadConfig,
  readModelFolder,
  readModelRepository,
  type ModelFolder,
  type RepositoryModel,
} from '../../model/model-repository';
import '../../model/onnx-model-server';
import { kDefaultVersionPolicy, type VersionPolicy } from '../../model/repository-layout';
import { createContext, type ServingContext } from '../../step/context';
import type { Namespace } from '../../step/registry';
import type { GraphStep } from '../../step/step';
import { type LoadOverride, withFilesFolder } from './load-override';
import { RepositoryPoller, type PolledRegistry } from './repository-poller';
import {
  buildModelStep,
  disposeSteps,
  labelOf,
  messageOf,
  notReadyReason,
  retireSteps,
  startSteps,
} from './model-steps';
import {
  RepositoryRouter,
  type ModelState,
  type RepositoryControl,
  type RepositoryIndexEntry,
} from './repository-router';

export type ModelControlMode = 'none' | 'explicit' | 'poll';
export const MODEL_CONTROL_MODES: readonly ModelControlMode[] = Object.freeze(['none', 'explicit', 'poll'] as const);

export interface ModelRegistryOptions {
  /** The repository folder. */
  repository: string;
  /** KServe's layout: the repository's root is the one model, served under this name. */
  modelName?: string;
  mode?: ModelControlMode;
  /** User classes named by className in model-settings.json. */
  namespace?: Namespace;
  context?: ServingContext;
  /** See RouterOptions.strictReadiness. */
  strictReadiness?: boolean;
  /** Longest wait for a model's requests in flight when it is unloaded or replaced, seconds. */
  unloadTimeout?: number;
}

export const kDefaultRegistryOptions = Object.freeze({
  mode: 'none' as ModelControlMode,
  unloadTimeout: 30, // seconds; then the old session is freed and requests still on it fail
});

/** One served route of a model at start: what the CLI reports. */
export interface RouteReport {
  /** 'name', or 'name (version v)'. */
  label: string;
  className: string;
  step: GraphStep;
}

interface ModelEntry {
  name: string;
  dir: string | undefined;
  state: ModelState;
  reason: string;
  /** The folder as served (undefined while nothing is). */
  folder: ModelFolder | undefined;
  /** The route keys and steps installed for it. */
  routes: Map<string, GraphStep>;
  /** The folder fingerprint of the last load attempt (polling retries a failed folder only once it changes). */
  tried: string | undefined;
  /** The end of the last operation queued on this model. */
  busy: Promise<unknown>;
}

export class ModelRegistry implements RepositoryControl, PolledRegistry {
  readonly router: RepositoryRouter;
  readonly mode: ModelControlMode;
  readonly #options: ModelRegistryOptions;
  readonly #entries = new Map<string, ModelEntry>();
  #poller: RepositoryPoller | undefined;

  constructor(options: ModelRegistryOptions) {
    this.#options = options;
    this.mode = options.mode ?? kDefaultRegistryOptions.mode;
    const context = options.context ?? createContext();
    this.router = new RepositoryRouter({
      name: 'router',
      context,
      strictReadiness: options.strictReadiness,
      readyWhenEmpty: this.mode !== 'none',
    });
    this.router.control = this;
  }

  private get context(): ServingContext {
    return this.router.context;
  }

  private entry(name: string): ModelEntry {
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      entry = {
        name,
        dir: undefined,
        state: 'UNAVAILABLE',
        reason: '',
        folder: undefined,
        routes: new Map(),
        tried: undefined,
        busy: Promise.resolve(),
      };
      this.#entries.set(name, entry);
    }
    return entry;
  }

  /** Runs `operation` after the model's previous one; resolves or rejects as it does. */
  private queue<T>(name: string, operation: (entry: ModelEntry) => Promise<T>): Promise<T> {
    const entry = this.entry(name);
    const run = entry.busy.then(() => operation(entry));
    entry.busy = run.catch(() => undefined);
    return run;
  }

  // ---- start-up -------------------------------------------------------------------------------

  /**
   * Loads every folder ('none' and 'poll' at start). Resolves once every load has settled, with one
   * report per route in folder order; never rejects for a model, only when the repository cannot be read.
   */
  async loadAll(): Promise<RouteReport[]> {
    const repo = await readModelRepository(this.#options.repository, this.#options.modelName);
    const pending: Array<{ dir: string; add: () => RouteReport[] }> = [];
    for (const folder of repo.folders) {
      const add = (): RouteReport[] => {
        const entry = this.entry(folder.name);
        Object.assign(entry, { dir: folder.dir, folder, tried: folder.fingerprint, state: 'LOADING' });
        return folder.models.map((model) => {
          const step = buildModelStep(model, this.#options.namespace ?? {}, this.context);
          this.install(entry, model, step);
          return { label: labelOf(model), className: model.spec.className, step };
        });
      };
      pending.push({ dir: folder.dir, add });
    }
    for (const { name, dir, error } of repo.failures) {
      const add = (): RouteReport[] => {
        const step = new FailedModel({ name, error });
        if (this.mode === 'none') this.router.addRoute(name, step);
        Object.assign(this.entry(name), { dir, state: 'UNAVAILABLE', reason: error.message });
        return [{ label: name, className: FailedModel.name, step }];
      };
      pending.push({ dir, add });
    }
    pending.sort((x, y) => (x.dir < y.dir ? -1 : x.dir > y.dir ? 1 : 0));
    const reports = pending.flatMap((p) => p.add());
    await this.startRoutes(reports);
    await this.router.whenSettled();
    for (const entry of this.#entries.values()) if (entry.state === 'LOADING') this.settleStart(entry);
    return reports;
  }

  /** postInit of each route, in turn; a throw makes that route a FailedModel (in its report too). */
  private async startRoutes(reports: RouteReport[]): Promise<void> {
    for (const report of reports) {
      try {
        await report.step.postInit?.();
      } catch (err) {
        const step = report.step as GraphStep & { version?: string };
        const failed = new FailedModel({ name: step.version ? `${step.name}:${step.version}` : step.name, error: err });
        for (const routes of [this.router.routes, ...[...this.#entries.values()].map((e) => e.routes)]) {
          for (const [key, s] of routes) if (s === report.step) routes.set(key, failed);
        }
        report.step = failed;
      }
    }
  }

  /** After the start-up loads: READY, or (outside 'none') routes that failed taken out, UNAVAILABLE. */
  private settleStart(entry: ModelEntry): void {
    const reason = notReadyReason(entry.routes.values());
    if (reason === undefined) {
      entry.state = 'READY';
      return;
    }
    entry.state = 'UNAVAILABLE';
    entry.reason = reason;
    if (this.mode === 'none') return;
    const steps = [...entry.routes.values()];
    this.uninstall(entry);
    void disposeSteps(steps);
  }

  // ---- routes ---------------------------------------------------------------------------------

  /** Routes `step` as `model`'s version (and by name, for its newest served version). */
  private install(entry: ModelEntry, model: RepositoryModel, step: GraphStep): void {
    const keys = entry.folder?.layout === 'triton' ? [`${model.key}:${model.version}`] : [];
    if (!entry.routes.has(model.key)) keys.unshift(model.key);
    for (const key of keys) {
      entry.routes.set(key, step);
      this.router.addRoute(key, step);
    }
  }

  private uninstall(entry: ModelEntry): void {
    for (const [key, step] of entry.routes) if (this.router.routes.get(key) === step) this.router.routes.delete(key);
    entry.routes = new Map();
  }

  /** Frees steps once their requests in flight have ended (bounded by unloadTimeout). */
  private retire(steps: Iterable<GraphStep>): Promise<void> {
    const timeoutMs = (this.#options.unloadTimeout ?? kDefaultRegistryOptions.unloadTimeout) * 1000;
    return retireSteps(steps, this.router.counters, timeoutMs, this.context.logger);
  }

  // ---- the repository API -------------------------------------------------------------------

  async index(readyOnly: boolean): Promise<RepositoryIndexEntry[]> {
    const found = await listModelFolders(this.#options.repository, this.#options.modelName).catch(() => []);
    const list: RepositoryIndexEntry[] = [];
    const named = new Set<string>();
    for (const entry of [...this.#entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      named.add(entry.name);
      if (entry.dir !== undefined) named.add(basename(entry.dir));
      const versions = entry.state === 'READY' ? (entry.folder?.models.map((m) => m.version) ?? ['']) : [''];
      for (const version of versions)
        list.push({ name: entry.name, version, state: entry.state, reason: redactMessage(entry.reason) });
    }
    for (const { folder } of found) {
      if (!named.has(folder)) list.push({ name: folder, version: '', state: 'UNAVAILABLE', reason: 'not loaded' });
    }
    return readyOnly ? list.filter((e) => e.state === 'READY') : list;
  }

  versions(name: string): { policy: VersionPolicy; served: string[]; available: string[] } | undefined {
    const folder = this.#entries.get(name)?.folder;
    if (folder === undefined || folder.layout !== 'triton') return undefined;
    const policy = folder.settings.versionPolicy ?? kDefaultVersionPolicy;
    return { policy, served: folder.models.map((m) => m.version), available: [...folder.available] };
  }

  status(name: string): { state: ModelState; reason: string } | undefined {
    const entry = this.#entries.get(name);
    return entry === undefined ? undefined : { state: entry.state, reason: redactMessage(entry.reason) };
  }

  /**
   * Loads `name` from its folder (a sub-folder named so, or whose settings name it), or reloads it:
   * the new version(s) load beside the old, the routes switch, the old drain and are freed. The override's
   * `config` (model-settings JSON text) replaces the folder's settings; its `files` replace the folder (see
   * load-override.ts; not in poll mode, where the repository's folders decide what is served). Rejects
   * with ModelNotFoundError (no such folder), InvalidOptionError (bad settings), BadRequestError (files in
   * poll mode) or RepositoryError (the model failed to load; a model already served keeps serving).
   */
  load(name: string, override: LoadOverride = {}): Promise<void> {
    const { config, files } = override;
    const settings =
      config === undefined ? undefined : { ...parseLoadConfig(config, `the load request's config of ${name}`), name };
    if (files !== undefined && this.mode === 'poll') {
      throw new BadRequestError('repository load: file overrides are not taken in poll mode (the folders decide)');
    }
    return this.queue(name, async (entry) => {
      if (files === undefined) return this.loadFolder(entry, await this.findFolder(name, entry), settings);
      await withFilesFolder(files, (dir) => this.loadFolder(entry, dir, settings)).catch((err: unknown) => {
        throw err instanceof GraphServeError ? err : unwritable(name, err);
      });
    });
  }

  /** Unloads `name` once its requests in flight have drained (bounded); a known model not loaded is a no-op. */
  unload(name: string): Promise<void> {
    const known = this.#entries.has(name);
    return this.queue(name, async (entry) => {
      if (!known && entry.dir === undefined) {
        this.#entries.delete(name);
        await this.findFolder(name, entry);
        return;
      }
      const steps = [...entry.routes.values()];
      entry.state = 'UNLOADING';
      this.uninstall(entry);
      await this.retire(steps);
      Object.assign(entry, { state: 'UNAVAILABLE', reason: 'unloaded', folder: undefined, tried: undefined });
    });
  }

  /** The folder of model `name`: the entry's, a sub-folder of that name, or one whose settings name it. */
  private async findFolder(name: string, entry: ModelEntry): Promise<string> {
    if (entry.dir !== undefined) return entry.dir;
    // A repository folder that does not exist (yet) holds no model.
    const folders = await listModelFolders(this.#options.repository, this.#options.modelName).catch(() => []);
    const direct = folders.find((f) => f.folder === name);
    if (direct !== undefined) return (entry.dir = direct.dir);
    for (const { folder, dir } of folders) {
      const read = await readModelFolder(dir, folder).catch(() => undefined);
      if (read?.name === name) return (entry.dir = dir);
    }
    if (entry.routes.size === 0) this.#entries.delete(name);
    const names = folders.map((f) => f.folder).join(' | ') || '(none)';
    throw new ModelNotFoundError(`the model repository has no model ${name}; its folders: ${names}`);
  }

  /** Reads, loads and switches to the folder's model(s); see load(). */
  private async loadFolder(entry: ModelEntry, dir: string, override?: ModelFolder['settings']): Promise<void> {
    const serving = entry.routes.size > 0;
    if (!serving) entry.state = 'LOADING';
    const fail = (why: string): never => {
      entry.reason = why;
      if (!serving) entry.state = 'UNAVAILABLE';
      throw new RepositoryError(`failed to load model ${entry.name}: ${why}`);
    };
    let folder: ModelFolder;
    try {
      // Served under the name it was loaded by (a folder's settings may name it otherwise).
      const settings = override ?? (await readFolderSettings(dir));
      folder = await readModelFolder(dir, entry.name, { ...settings, name: entry.name });
    } catch (err) {
      entry.tried = await fingerprintFolder(dir); // polling tries it again once it changes
      return fail(messageOf(err));
    }
    entry.tried = folder.fingerprint;
    const steps = folder.models.map((model) => buildModelStep(model, this.#options.namespace ?? {}, this.context));
    const error = await startSteps(steps);
    if (error !== undefined) {
      await disposeSteps(steps);
      return fail(error);
    }
    const old = [...entry.routes.values()];
    this.uninstall(entry);
    entry.folder = folder;
    folder.models.forEach((model, i) => this.install(entry, model, steps[i]!));
    Object.assign(entry, { state: 'READY', reason: '' });
    await this.retire(old.filter((step) => !steps.includes(step)));
  }

  // ---- polling --------------------------------------------------------------------------------

  triedFingerprint(name: string): string | undefined {
    return this.#entries.get(name)?.tried;
  }

  /** Loads (or reloads) model `name` from the folder `dir` (polling knows the folder). */
  loadFrom(name: string, dir: string): Promise<void> {
    return this.queue(name, (entry) => {
      entry.dir = dir;
      return this.loadFolder(entry, dir);
    });
  }

  servedNames(): string[] {
    return [...this.#entries.values()].filter((e) => e.routes.size > 0).map((e) => e.name);
  }

  /** Rescans the repository every `seconds` (see RepositoryPoller) until close(). */
  startPolling(seconds: number): void {
    const { repository, modelName } = this.#options;
    this.#poller = new RepositoryPoller(this, { repository, modelName, seconds, logger: this.context.logger });
    this.#poller.start();
  }

  /** Stops polling, waits for a scan in progress, and frees every model. */
  async close(): Promise<void> {
    await this.#poller?.stop();
    await disposeSteps(this.router.routes.values());
  }
}

/** A load whose override files could not be written (a path both a file and a folder, a full disk). */
function unwritable(name: string, err: unknown): RepositoryError {
  const code = (err as NodeJS.ErrnoException).code ?? 'an error';
  return new RepositoryError(`failed to load model ${name}: its override files cannot be written (${code})`);
}
