/**
 * Serving a model repository: a ModelRegistry (src/graph/repository) reads the folder and owns its
 * models; this reports one line per model (ready or FAILED) and a count. Model control ('none' loads
 * every folder, 'explicit' only --load-model's, 'poll' every folder and then rescans) is the registry's.
 * In 'none' a model that fails (bad settings, no model file, unknown class, a constructor or load that
 * throws) never stops the others: it stays a route under its name, not ready, answering 503 with its
 * error, while the others serve; readiness then follows the router's `strictReadiness`.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ModelLoadError, NotReadyError } from '../errors';
import { consoleLogger, createContext, type ServingLogger } from '../step/context';
import { type Namespace } from '../step/registry';
import type { GraphStep } from '../step/step';
import {
  ModelRegistry,
  kDefaultRegistryOptions,
  type ModelControlMode,
  type RouteReport,
} from '../graph/repository/model-registry';
import { RepositoryRouter } from '../graph/repository/repository-router';
import { labelOf } from '../graph/repository/model-steps';
import { GraphServer, type GraphServerOptions } from '../graph-server/graph-server';
import { requireUserModule } from './user-module';

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
  /** Which models load and when (see ModelRegistry); default 'none' = every folder at start. */
  modelControlMode?: ModelControlMode;
  /** 'explicit' mode: the models to load at start. */
  loadModels?: string[];
  /** 'poll' mode: seconds between scans of the repository. */
  repositoryPollSecs?: number;
  /** KServe's layout: the repository's root holds the one model, served under this name. */
  modelName?: string;
}

const NOT_READY_CODE = new NotReadyError('').code;

export const REPOSITORY_SERVER_DEFAULTS = Object.freeze({
  exitOnError: false,
  modelControlMode: kDefaultRegistryOptions.mode,
  repositoryPollSecs: 15, // seconds, as Triton's --repository-poll-secs
});

/** What a route step may offer beyond GraphStep (V2ModelServer and OnnxModelServer do). */
interface ModelStep extends GraphStep {
  error?: unknown;
  session?: { inputs: ReadonlyArray<{ name: string; datatype?: string; onnxType: string; shape: number[] }> };
  dispose?(): Promise<void>;
}

/** Loads the user module and returns its exports as a namespace (a default export's keys included). */
export function loadNamespace(file: string | undefined): Namespace {
  if (!file) return {};
  const exported = requireUserModule(file);
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

function reportModel(report: RouteReport, print: Print): boolean {
  const step = report.step as ModelStep;
  if (step.isReady?.() ?? true) {
    const inputs = describeInputs(step);
    print(`model ${report.label}: ready (${report.className}${inputs ? `, inputs ${inputs}` : ''})`);
    return true;
  }
  const reason = step.error instanceof Error ? step.error.message : String(step.error ?? 'not ready');
  print(`model ${report.label}: FAILED: ${reason}`);
  return false;
}

/** The router's route steps, by key. */
export function routesOf(graphServer: GraphServer): Map<string, ModelStep> {
  return (graphServer.graph as RepositoryRouter).routes as Map<string, ModelStep>;
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** 'explicit' mode's start: each --load-model in turn, reported like the others; a failure never stops the rest. */
async function loadNamed(registry: ModelRegistry, names: string[], print: Print): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      await registry.load(name);
      const steps = new Set([...registry.router.routes].filter(([k]) => k.split(':')[0] === name).map(([, s]) => s));
      for (const step of steps) {
        const version = (step as { version?: unknown }).version;
        const label = labelOf({ key: name, version: typeof version === 'string' ? version : '' });
        reportModel({ label, className: step.constructor.name, step }, print);
      }
    } catch (err) {
      failed++;
      print(`model ${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failed;
}

/**
 * Builds the GraphServer for a repository and reports every model. Resolves once every load has
 * settled; rejects when the repository folder or the module cannot be read, and, with `exitOnError`,
 * when any model failed (after reporting them all and releasing the models).
 */
export async function buildRepositoryServer(options: RepositoryServerOptions, print: Print): Promise<GraphServer> {
  const mode = options.modelControlMode ?? REPOSITORY_SERVER_DEFAULTS.modelControlMode;
  const registry = new ModelRegistry({
    repository: resolve(options.modelRepository),
    modelName: options.modelName,
    mode,
    namespace: loadNamespace(options.module),
    context: createContext({ functionName: 'graphserve', logger: cliLogger(options.logger ?? consoleLogger) }),
    strictReadiness: options.strictReadiness,
  });
  let total: number;
  let failed: number;
  if (mode === 'explicit') {
    // ModelMesh's adapter makes its models folder on its first load: explicit mode may start before it exists.
    if (!(await isFolder(options.modelRepository))) {
      print(`model repository ${resolve(options.modelRepository)} does not exist yet; models load once it does`);
    }
    const names = options.loadModels ?? [];
    failed = await loadNamed(registry, names, print);
    total = names.length;
  } else {
    const reports = await registry.loadAll();
    total = reports.length;
    failed = reports.filter((report) => !reportModel(report, print)).length;
  }
  const graphServer = new GraphServer(registry.router, registry.router.context, {
    requestTimeout: options.requestTimeout,
  });
  print(`${total - failed} of ${total} model(s) ready from ${resolve(options.modelRepository)}`);
  if ((options.exitOnError ?? REPOSITORY_SERVER_DEFAULTS.exitOnError) && failed > 0) {
    await registry.close();
    throw new ModelLoadError(`${failed} of ${total} model(s) failed (exit on error is on)`);
  }
  if (mode === 'poll')
    registry.startPolling(options.repositoryPollSecs ?? REPOSITORY_SERVER_DEFAULTS.repositoryPollSecs);
  return graphServer;
}

/** Stops polling and releases every model that holds engine resources (after the HTTP server has drained). */
export async function disposeModels(graphServer: GraphServer): Promise<void> {
  const control = (graphServer.graph as Partial<RepositoryRouter>).control;
  if (control instanceof ModelRegistry) return control.close();
  await Promise.allSettled([...routesOf(graphServer).values()].map((step) => step.dispose?.()));
}
