/**
 * Serving a model repository: reads the folder, builds a router with one route per model, waits for
 * every model load to settle, and reports one line per model (ready or failed). A model that fails
 * (bad settings, unknown class, a model file that does not load) never stops the others: it is left
 * out, or stays not ready (503) with its load error, while the others serve.
 */
import { resolve } from 'node:path';
import type { ServingLogger } from '../graph/context';
import { newFunction } from '../graph/function';
import { resolveClass, type Namespace } from '../graph/registry';
import type { BaseRouter } from '../graph/router';
import type { GraphStep } from '../graph/step';
import { readModelRepository, type RepositoryModel } from '../model/model-repository';
import '../model/onnx-model-server';
import type { GraphServer } from '../server/graph-server';

/** Receives the CLI's report lines (stdout in the CLI). */
export type Print = (line: string) => void;

export interface RepositoryServerOptions {
  modelRepository: string;
  /** A JS module whose exports are user classes, referred to by className in model-settings.json. */
  module?: string;
}

/** What a route step may offer beyond GraphStep (V2ModelServer and OnnxModelServer do). */
interface ModelStep extends GraphStep {
  error?: unknown;
  session?: { inputs: ReadonlyArray<{ name: string; datatype?: string; onnxType: string; shape: number[] }> };
  dispose?(): Promise<void>;
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

/** Load failures are reported by the CLI's own per-model line; everything else goes to stderr. */
function cliLogger(print: Print): ServingLogger {
  return {
    debug: () => undefined,
    info: (message) => print(message),
    warn: (message) => console.warn(`graphserve: warning: ${message}`),
    error: (message, extra) => {
      if (!message.startsWith('failed to load model')) console.error(`graphserve: ${message}`, extra ?? '');
    },
  };
}

function describeInputs(step: ModelStep): string {
  const inputs = step.session?.inputs ?? [];
  return inputs.map((i) => `${i.name} ${i.datatype ?? i.onnxType}[${i.shape.join(',')}]`).join(', ');
}

function reportModel(key: string, model: RepositoryModel, step: ModelStep, print: Print): boolean {
  const label = model.settings.version ? `${key} (version ${model.settings.version})` : key;
  if (step.isReady?.() ?? true) {
    const inputs = describeInputs(step);
    print(`model ${label}: ready (${model.spec.className}${inputs ? `, inputs ${inputs}` : ''})`);
    return true;
  }
  const reason = step.error instanceof Error ? step.error.message : String(step.error ?? 'not ready');
  print(`model ${label}: FAILED: ${reason}`);
  return false;
}

/** The router's route steps, by key. */
export function routesOf(graphServer: GraphServer): Map<string, ModelStep> {
  return (graphServer.graph as BaseRouter).routes as Map<string, ModelStep>;
}

/**
 * Builds the GraphServer for a repository and reports every model. Resolves once every load has
 * settled; rejects only when the repository folder or the module cannot be read.
 */
export async function buildRepositoryServer(options: RepositoryServerOptions, print: Print): Promise<GraphServer> {
  const repo = await readModelRepository(options.modelRepository);
  const namespace = loadNamespace(options.module);
  for (const failure of repo.failures) print(`model ${failure.name}: FAILED: ${failure.error.message}`);
  const fn = newFunction('graphserve');
  fn.setTopology('router');
  const added: RepositoryModel[] = [];
  for (const model of repo.models) {
    try {
      resolveClass(model.spec.className, namespace);
    } catch (err) {
      print(`model ${model.key}: FAILED: ${(err as Error).message}`);
      continue;
    }
    fn.addModel(model.key, { ...model.spec, loadMode: 'async' });
    added.push(model);
  }
  const graphServer = await fn.toGraphServer({ namespace, logger: cliLogger(print) });
  await graphServer.waitForCompletion();
  const routes = routesOf(graphServer);
  const ready = added.filter((m) => reportModel(m.key, m, routes.get(m.key)!, print)).length;
  const total = added.length + repo.failures.length;
  print(`${ready} of ${total} model(s) ready from ${repo.dir}`);
  return graphServer;
}

/** Releases every model that holds engine resources (after the HTTP server has drained). */
export async function disposeModels(graphServer: GraphServer): Promise<void> {
  await Promise.allSettled([...routesOf(graphServer).values()].map((step) => step.dispose?.()));
}
