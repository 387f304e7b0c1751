/**
 * The piscina task module of the 'process' executor: runs inside a worker thread. Each worker builds
 * a child from its module path and options the first time it is asked for it (load() included), keeps
 * it for the life of the worker, and runs events on it. Nothing here runs on the main thread.
 *
 * Replies are plain data (structured clone): errors travel as `{name, message}` and are rebuilt as
 * graphserve error classes on the main thread; a ServingResponse travels as its status and headers.
 */
import * as path from 'node:path';
import { workerData } from 'piscina';
import { setEventLoopSpinMicros } from '../../../bindings/event-loop-spin';
import { createContext } from '../../step/context';
import { isServingResponse } from '../../step/response';
import type { GraphStep } from '../../step/step';
import type { Event } from '../../event';

/** How a worker rebuilds a child: `require(module)[exportName]` constructed with `options`. */
export interface WorkerChildSpec {
  /** Absolute path (or package name) of the module that exports the child class. */
  module: string;
  exportName: string;
  /** The constructor options (JSON-like: they are cloned into the worker). */
  options: Record<string, unknown>;
}

export interface WorkerTask {
  child: WorkerChildSpec;
  /** Identifies the child in the worker's cache. */
  childKey: string;
  event: Event;
  functionName: string;
  parameters: Record<string, unknown>;
}

export type WorkerReply =
  | { ok: true; value: unknown; response?: { status: number; headers: Record<string, string> } }
  | { ok: false; error: { name: string; message: string } };

/** What the pool hands every worker at its start (piscina's workerData). */
export interface WorkerData {
  /** The main thread's event-loop spin (bindings/event-loop-spin.ts keeps it per thread). */
  eventLoopSpinMicros: number;
}

const given = workerData as WorkerData | undefined;
if (given !== undefined) setEventLoopSpinMicros(given.eventLoopSpinMicros);

type Construct = new (options: Record<string, unknown>) => GraphStep;

const children = new Map<string, Promise<GraphStep>>();

async function buildChild(task: WorkerTask): Promise<GraphStep> {
  const { module, exportName, options } = task.child;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(path.isAbsolute(module) ? module : require.resolve(module)) as Record<string, unknown>;
  const cls = (exports[exportName] ?? (exports.default as Record<string, unknown> | undefined)?.[exportName]) as
    Construct | undefined;
  if (typeof cls !== 'function') throw new Error(`module ${module} does not export a class ${exportName}`);
  const context = createContext({ functionName: task.functionName, parameters: task.parameters });
  const step = new cls({ ...options, context });
  await step.postInit?.();
  return step;
}

function childFor(task: WorkerTask): Promise<GraphStep> {
  let pending = children.get(task.childKey);
  if (!pending) {
    pending = buildChild(task);
    // A failed build is forgotten, so the next event tries again.
    pending.catch(() => children.delete(task.childKey));
    children.set(task.childKey, pending);
  }
  return pending;
}

/** Runs one event on one child; never throws (failures are replies). */
export default async function runChild(task: WorkerTask): Promise<WorkerReply> {
  try {
    const step = await childFor(task);
    const value = await step.doEvent(task.event);
    if (isServingResponse(value)) {
      return { ok: true, value: value.body, response: { status: value.status, headers: { ...value.headers } } };
    }
    return { ok: true, value };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return { ok: false, error: { name: error.name, message: error.message } };
  }
}
