/**
 * Serving a model repository: reads the folder, builds a router with one route per model folder,
 * waits for every model load to settle, and reports one line per model (ready or FAILED) and a count
 * of every folder. A model that fails (bad settings, no model file, unknown class, a constructor or
 * load that throws) never stops the others: it stays a route under its name, not ready, answering 503
 * with its error, while the others serve; readiness then follows the router's `strictReadiness`.
 */
import { resolve } from 'node:path';
import { ModelLoadError, NotReadyError } from '../errors';
import { consoleLogger, createContext, type ServingContext, type ServingLogger } from '../step/context';
import { type Namespace } from '../step/registry';
import { ModelRouter, type BaseRouter } from '../graph/router';
import type { GraphStep } from '../step/step';
import { buildStep } from '../graph/topology';
import { FailedModel } from '../model/failed-model';
import { readModelRepository, type ModelRepository, type RepositoryModel } from '../model/model-repository';
import '../model/onnx-model-server';
import { GraphServer, type GraphServerOptions } from '../graph-server/graph-server';

/** Receives the CLI's report lines (stdout in the CLI). */
export type Print = (line: string) => void;

export interface RepositoryServerOptions extends GraphServerOptions {
  modelRepository: string;
  /** A JS module whose exports are user classes, referred to by className in model-settings.json. */
  module?: string;
  /** The router's readiness rule (see RouterOptions.strictReadiness); default ROUTER_DEFAULTS'. */
  strictReadiness?: boolean;
  /** After reporting every model, reject (and release the models) when any model failed. */
  exitOnError?: boolean;
  /** Where the models' own lines go (the CLI's pino logger); default consoleLogger. */
  logger?: ServingLogger;
}

const NOT_READY_CODE = new NotReadyError('').code;

export const REPOSITORY_SERVER_DEFAULTS = Object.freeze({ exitOnError: false });

/** What a route step may offer beyond GraphStep (V2ModelServer and OnnxModelServer do). */
interface ModelStep extends GraphStep {
  error?: unknown;
  session?: { inputs: ReadonlyArray<{ name: string; datatype?: string; onnxType: string; shape: number[] }> };
  dispose?(): Promise<void>;
}

/** One route of the repository: its key, the label its report line shows, and its class name. */
interface Entry {
  key: string;
  label: string;
  className: string;
  dir: string;
}

/** Loads the user module and returns its exports as a namespace (a default export's keys included). */
export function loadNamespace(file: string | undefined): Namespace {
  if (!file) return {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(resolve(file)) as Record<string, unknown>;
  const fallback = exported['default'];
  const extra = fallback !== null && typeof fallback === 'object' ? (fallback as Record<string, unknown>) : {};
  return { ...extra, ...exported };
}

/**
 * Load failures, and the 503s that models which are not ready answer (every readiness probe while a
 * model is down), are reported by the CLI's own per-model lines; every other error goes to stderr.
 */
function cliLogger(base: ServingLogger): ServingLogger {
  return {
    debug: (message, extra) => base.debug(message, extra),
    info: (message, extra) => base.info(message, extra),
    warn: (message, extra) => base.warn(message, extra),
    error: (message, extra) => {
      if (message.startsWith('failed to load model') || extra?.['code'] === NOT_READY_CODE) return;
      base.error(message, extra);
    },
  };
}

function describeInputs(step: ModelStep): string {
  const inputs = step.session?.inputs ?? [];
  return inputs.map((i) => `${i.name} ${i.datatype ?? i.onnxType}[${i.shape.join(',')}]`).join(', ');
}

function reportModel(entry: Entry, step: ModelStep, print: Print): boolean {
  if (step.isReady?.() ?? true) {
    const inputs = describeInputs(step);
    print(`model ${entry.label}: ready (${entry.className}${inputs ? `, inputs ${inputs}` : ''})`);
    return true;
  }
  const reason = step.error instanceof Error ? step.error.message : String(step.error ?? 'not ready');
  print(`model ${entry.label}: FAILED: ${reason}`);
  return false;
}

/** The router's route steps, by key. */
export function routesOf(graphServer: GraphServer): Map<string, ModelStep> {
  return (graphServer.graph as BaseRouter).routes as Map<string, ModelStep>;
}

/** The model's step (loading in the background), or a FailedModel when its class cannot be built. */
function buildModel(model: RepositoryModel, namespace: Namespace, context: ServingContext): GraphStep {
  try {
    return buildStep({ ...model.spec, loadMode: 'async' }, model.spec.name, namespace, context);
  } catch (err) {
    return new FailedModel({ name: model.spec.name, error: err });
  }
}

/** A route per folder, in folder order: the models, and a FailedModel for each folder that failed. */
function buildRouter(repo: ModelRepository, router: BaseRouter, namespace: Namespace): Entry[] {
  const routes: Array<[Entry, () => GraphStep]> = [];
  for (const model of repo.models) {
    const label = model.settings.version ? `${model.key} (version ${model.settings.version})` : model.key;
    const entry = { key: model.key, label, className: model.spec.className, dir: model.dir };
    routes.push([entry, () => buildModel(model, namespace, router.context)]);
  }
  for (const { name, dir, error } of repo.failures) {
    const entry = { key: name, label: name, className: FailedModel.name, dir };
    routes.push([entry, () => new FailedModel({ name, error })]);
  }
  routes.sort(([x], [y]) => (x.dir < y.dir ? -1 : x.dir > y.dir ? 1 : 0));
  for (const [entry, build] of routes) router.addRoute(entry.key, build());
  return routes.map(([entry]) => entry);
}

/**
 * Starts every route (the router's postInit, one route at a time) so that a route whose postInit
 * throws becomes a FailedModel instead of failing start-up.
 */
async function startRoutes(router: BaseRouter): Promise<void> {
  for (const [key, step] of router.routes) {
    try {
      await step.postInit?.();
    } catch (err) {
      const version = (step as { version?: unknown }).version;
      router.addRoute(
        key,
        new FailedModel({ name: version ? `${step.name}:${String(version)}` : step.name, error: err }),
      );
    }
  }
}

/**
 * Builds the GraphServer for a repository and reports every model. Resolves once every load has
 * settled; rejects when the repository folder or the module cannot be read, and, with `exitOnError`,
 * when any model failed (after reporting them all and releasing the models).
 */
export async function buildRepositoryServer(options: RepositoryServerOptions, print: Print): Promise<GraphServer> {
  const repo = await readModelRepository(options.modelRepository);
  const namespace = loadNamespace(options.module);
  const context = createContext({ functionName: 'graphserve', logger: cliLogger(options.logger ?? consoleLogger) });
  const router = new ModelRouter({ name: 'router', context, strictReadiness: options.strictReadiness });
  const entries = buildRouter(repo, router, namespace);
  await startRoutes(router);
  const graphServer = new GraphServer(router, context, { requestTimeout: options.requestTimeout });
  await graphServer.waitForCompletion();
  const ready = entries.filter((entry) => reportModel(entry, router.routes.get(entry.key)!, print)).length;
  print(`${ready} of ${entries.length} model(s) ready from ${repo.dir}`);
  if ((options.exitOnError ?? REPOSITORY_SERVER_DEFAULTS.exitOnError) && ready < entries.length) {
    await disposeModels(graphServer);
    throw new ModelLoadError(`${entries.length - ready} of ${entries.length} model(s) failed (exit on error is on)`);
  }
  return graphServer;
}

/** Releases every model that holds engine resources (after the HTTP server has drained). */
export async function disposeModels(graphServer: GraphServer): Promise<void> {
  await Promise.allSettled([...routesOf(graphServer).values()].map((step) => step.dispose?.()));
}
