/**
 * The 'process' executor: children run in a piscina pool of worker threads. Each worker rebuilds a
 * child from a module path (see process-worker.ts), so a child must say where its class lives:
 *
 * - a V2ModelServer gets it from its `module` class argument (an absolute path, a path relative to the
 *   working directory, or a package name) and optionally `exportName` (default: its class name); its
 *   other class arguments, name, version and modelPath are passed to the worker's copy;
 * - any other step implements `workerSpec()`.
 *
 * Worker copies are built lazily, once per worker and child, and load their model there (the native
 * addon is context-aware, so ONNX models load in workers too; each worker then holds its own session).
 * Events and results are structured-cloned across threads.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Piscina } from 'piscina';
import { eventLoopSpinMicros } from '../../../bindings/event-loop-spin';
import { errorClasses, InvalidOptionError, ModelError, type ErrorClassName } from '../../errors';
import { V2ModelServer } from '../../model/v2-model-server';
import type { ServingContext } from '../../step/context';
import { ServingResponse } from '../../step/response';
import type { GraphStep } from '../../step/step';
import { settleAll, type ChildOutcome, type ChildTask, type Executor } from './executors';
import type { WorkerChildSpec, WorkerData, WorkerReply, WorkerTask } from './process-worker';

/** A step that can describe itself to a worker thread. */
export interface WorkerSpecProvider {
  workerSpec(): WorkerChildSpec;
}

export interface ProcessPoolOptions {
  /** Worker threads; default: one per child, at most os.availableParallelism() × 2. */
  workers?: number;
  /**
   * Node options for the workers, added to the parent's (which they inherit anyway): e.g. a
   * TypeScript loader (`['--require', 'tsx/cjs']`) when the children are .ts modules.
   */
  workerExecArgv?: readonly string[];
}

/** Idle workers stay this long before exiting (milliseconds): avoids thread churn between requests. */
const IDLE_TIMEOUT_MS = 60_000;

/** The worker spec of a child, or an InvalidOptionError saying how to give one. */
export function workerSpecOf(key: string, step: GraphStep): WorkerChildSpec {
  const provider = step as Partial<WorkerSpecProvider>;
  if (typeof provider.workerSpec === 'function') return provider.workerSpec();
  if (step instanceof V2ModelServer && typeof step.classArgs.module === 'string') {
    const { module, exportName, ...args } = step.classArgs;
    const options: Record<string, unknown> = {
      ...args,
      name: step.version ? `${step.name}:${step.version}` : step.name,
      loadMode: 'sync',
    };
    for (const k of ['modelPath', 'inputPath', 'resultPath'] as const) if (step[k] !== undefined) options[k] = step[k];
    const resolved = module.startsWith('.') ? path.resolve(module) : module;
    return {
      module: resolved,
      exportName: typeof exportName === 'string' ? exportName : step.constructor.name,
      options,
    };
  }
  throw new InvalidOptionError(
    `executorType 'process' cannot rebuild route ${key} in a worker: give its spec a module (the path of the ` +
      `file exporting ${step.constructor.name}), or implement workerSpec()`,
  );
}

/** Rebuilds a worker's failure as the graphserve error class of the same name, else a ModelError. */
function rebuildError(key: string, error: { name: string; message: string }): Error {
  const cls = Object.prototype.hasOwnProperty.call(errorClasses, error.name)
    ? errorClasses[error.name as ErrorClassName]
    : undefined;
  return cls ? new cls(error.message) : new ModelError(`${error.message} (route ${key}, in a worker thread)`);
}

export class ProcessExecutor implements Executor {
  private pool: Piscina | undefined;
  private readonly specs = new Map<string, { spec: WorkerChildSpec; childKey: string }>();

  constructor(
    routes: ReadonlyMap<string, GraphStep>,
    private readonly context: ServingContext,
    private readonly options: ProcessPoolOptions = {},
  ) {
    for (const [key, step] of routes) {
      const spec = workerSpecOf(key, step);
      this.specs.set(key, { spec, childKey: `${key}\0${JSON.stringify(spec)}` });
    }
  }

  run(tasks: readonly ChildTask[]): Promise<ChildOutcome[]> {
    return settleAll(tasks, (task) => this.runOne(task));
  }

  private async runOne(task: ChildTask): Promise<unknown> {
    const entry = this.specs.get(task.key);
    if (!entry) throw new InvalidOptionError(`route ${task.key} was added after the process pool was set up`);
    const message: WorkerTask = {
      child: entry.spec,
      childKey: entry.childKey,
      event: task.event,
      functionName: this.context.functionName,
      parameters: { ...this.context.parameters },
    };
    const reply = (await this.ensurePool().run(message)) as WorkerReply;
    if (!reply.ok) throw rebuildError(task.key, reply.error);
    return reply.response
      ? new ServingResponse(reply.response.status, reply.value, reply.response.headers)
      : reply.value;
  }

  /** The pool, created on first use (and again after close()). */
  private ensurePool(): Piscina {
    if (this.pool) return this.pool;
    const cap = os.availableParallelism() * 2;
    const threads = Math.max(1, this.options.workers ?? Math.min(this.specs.size, cap));
    const extra = this.options.workerExecArgv;
    this.pool = new Piscina({
      filename: path.join(__dirname, `process-worker${path.extname(__filename)}`),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: IDLE_TIMEOUT_MS,
      // Native completions may arrive while a worker is idle: no blocking Atomics.wait loop.
      atomics: 'disabled',
      // Module state is per thread: the workers' engines spin as the main thread's (process-worker.ts).
      workerData: { eventLoopSpinMicros: eventLoopSpinMicros() } satisfies WorkerData,
      ...(extra ? { execArgv: [...process.execArgv, ...extra] } : {}),
    });
    return this.pool;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
