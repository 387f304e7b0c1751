/**
 * The process guard: one user's bug never takes the other models down.
 *
 * A model that rejects a promise nobody awaits, or throws from a timer or an event handler, raises an
 * error that no request owns; Node.js then ends the process, and with it every model it serves.
 * guardProcess() installs, once per process, `unhandledRejection` and `uncaughtException` handlers
 * that log the error with its stack and count it in the process metrics (merged into every
 * `GET /metrics` answer, see ./metrics.ts):
 *
 *   graphserve_uncaught_errors_total{kind="unhandledRejection"|"uncaughtException"}
 *
 * The process keeps serving; no model is marked unready (the error names no model). What the guard
 * cannot undo: state the failing code left half-changed stays so, and a synchronous loop still blocks
 * every model of the process.
 */
import { Counter } from 'prom-client';
import { consoleLogger, type ServingLogger } from '../step/context';
import { processMetrics } from '../graph-server/metrics';

export type UncaughtKind = 'unhandledRejection' | 'uncaughtException';

const KINDS: readonly UncaughtKind[] = Object.freeze(['unhandledRejection', 'uncaughtException'] as const);

/** Set on `process` once guarded: shared by every copy of this module loaded in the process. */
const GUARDED = Symbol.for('graphserve.processGuard');

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `non-error value ${typeof error === 'string' ? JSON.stringify(error) : String(error)}`;
}

/**
 * Installs the handlers (see the file comment) on the first call in the process; later calls change
 * nothing. Returns whether this call installed them. Each error is logged as
 * `logger.error('<kind>: <stack>', { kind })`.
 *
 * `graphserve serve` calls it before loading models. Library users who serve a graph themselves
 * (`fn.serve()`, or their own transport over a GraphServer) can call it once at start-up; the library
 * never installs it on its own, since it changes how the whole process treats errors.
 */
export function guardProcess(logger: Pick<ServingLogger, 'error'> = consoleLogger): boolean {
  const host = process as unknown as Record<symbol, unknown>;
  if (host[GUARDED] === true) return false;
  host[GUARDED] = true;
  const counter = new Counter({
    name: 'graphserve_uncaught_errors_total',
    help: 'Errors no request owned (unhandled rejections, uncaught exceptions), logged and survived.',
    labelNames: ['kind'],
    registers: [processMetrics()],
  });
  for (const kind of KINDS) counter.inc({ kind }, 0);
  const report = (kind: UncaughtKind, error: unknown): void => {
    counter.inc({ kind });
    try {
      logger.error(`${kind}: ${describe(error)}`, { kind });
    } catch {
      // A failing logger must not turn a survived error into the end of the process.
    }
  };
  process.on('unhandledRejection', (reason) => report('unhandledRejection', reason));
  process.on('uncaughtException', (error) => report('uncaughtException', error));
  return true;
}
