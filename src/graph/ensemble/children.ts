/**
 * ChildRunner: runs every route of a ParallelRun or VotingEnsemble on one event with the chosen
 * executor, and applies the failure policy. Options and defaults are declared here once.
 *
 * Failure policy (`onChildError`):
 * - a child that fails with a client error (a GraphServeError with a status below 500, e.g. a bad
 *   request) always fails the request with that error: the request is wrong for every child;
 * - 'drop' (default): any other failure drops that child from the result; it is logged as a warning
 *   and counted in `dropped`. If every child fails, the request fails (ModelError, 500);
 * - 'fail': the first failing child, in route order, fails the request.
 * MLRun dropped silently in 'thread' and 'process' mode and failed in 'array' mode; here one option
 * rules all three executors.
 */
import { GraphServeError, InvalidOptionError, ModelError } from '../../errors';
import type { Event } from '../../event';
import type { ServingContext } from '../../step/context';
import { isPlainObject } from '../../step/paths';
import type { GraphStep } from '../../step/step';
import { ArrayExecutor, EXECUTOR_TYPES, ThreadExecutor, type ChildOutcome, type Executor } from './executors';
import type { ExecutorType } from './executors';
import { ProcessExecutor, type ProcessPoolOptions } from './process-pool';

export type ChildErrorPolicy = 'drop' | 'fail';

export interface ParallelOptions extends ProcessPoolOptions {
  /** How children run: 'array' (in turn), 'thread' (concurrently, in-process), 'process' (worker threads). */
  executorType?: ExecutorType;
  /** What a failing child does to the request (see the file comment). */
  onChildError?: ChildErrorPolicy;
}

export const PARALLEL_DEFAULTS = Object.freeze({
  executorType: 'thread' as ExecutorType,
  onChildError: 'drop' as ChildErrorPolicy,
});

/** Copies plain objects and arrays, so a child that mutates its body cannot change another's; leaves (Buffers, typed arrays, class instances) are shared. */
export function copyContainers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyContainers);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copyContainers(v);
    return out;
  }
  return value;
}

/**
 * A child's object result: any non-null, non-array object that is not binary data. Not a prototype
 * check, because results from worker threads are rebuilt by structured clone (in the main realm, which
 * under a test runner's VM is not the caller's).
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export class ChildRunner {
  readonly executorType: ExecutorType;
  readonly onChildError: ChildErrorPolicy;
  /** Failures dropped so far, by route key. */
  readonly dropped = new Map<string, number>();
  private executor: Executor | undefined;

  constructor(
    private readonly owner: string,
    private readonly context: ServingContext,
    private readonly options: ParallelOptions,
  ) {
    this.executorType = options.executorType ?? PARALLEL_DEFAULTS.executorType;
    this.onChildError = options.onChildError ?? PARALLEL_DEFAULTS.onChildError;
    if (!EXECUTOR_TYPES.includes(this.executorType)) {
      throw new InvalidOptionError(
        `executorType must be one of ${EXECUTOR_TYPES.join(', ')}, got ${this.executorType}`,
      );
    }
    if (this.onChildError !== 'drop' && this.onChildError !== 'fail') {
      throw new InvalidOptionError(`onChildError must be 'drop' or 'fail', got ${String(this.onChildError)}`);
    }
  }

  /** Sets up the executor for these routes (call once they are all added; validates process specs). */
  start(routes: ReadonlyMap<string, GraphStep>): void {
    if (this.executorType === 'array') this.executor = new ArrayExecutor();
    else if (this.executorType === 'thread') this.executor = new ThreadExecutor();
    else this.executor = new ProcessExecutor(routes, this.context, this.options);
  }

  /**
   * Runs every route on its own copy of `event` (with `path`), and resolves to the results of the
   * children that succeeded, in route order. Rejects as the failure policy says.
   */
  async runAll(routes: ReadonlyMap<string, GraphStep>, event: Event, path: string): Promise<Map<string, unknown>> {
    if (!this.executor) this.start(routes);
    const tasks = [...routes].map(([key, step]) => ({
      key,
      step,
      event: { ...event, path, body: copyContainers(event.body) },
    }));
    const outcomes = await this.executor!.run(tasks);
    return this.applyPolicy(outcomes);
  }

  private applyPolicy(outcomes: ChildOutcome[]): Map<string, unknown> {
    const results = new Map<string, unknown>();
    const failures: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.ok) {
        results.set(outcome.key, outcome.value);
        continue;
      }
      const { key, error } = outcome;
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof GraphServeError && error.status < 500) throw error;
      if (this.onChildError === 'fail')
        throw new ModelError(`${this.owner}: route ${key} failed: ${message}`, { cause: error });
      failures.push(`${key}: ${message}`);
      this.dropped.set(key, (this.dropped.get(key) ?? 0) + 1);
      this.context.logger.warn(`${this.owner}: route ${key} failed and was dropped from the result`, {
        error: message,
      });
    }
    if (results.size === 0 && failures.length > 0) {
      throw new ModelError(`${this.owner}: every route failed (${failures.join('; ')})`);
    }
    return results;
  }

  /** Stops worker threads (the 'process' executor); the next event starts them again. */
  close(): Promise<void> {
    return this.executor?.close() ?? Promise.resolve();
  }
}
