/**
 * Executors: how ParallelRun and VotingEnsemble run their children on one event (MLRun's
 * `executor_type`). Every executor settles every child (a failure never cancels the others) and
 * returns the outcomes in route order, so what follows is deterministic whatever the completion order.
 *
 * - 'array': one child after the other, in route order, on the JS thread.
 * - 'thread': every child at once on the JS thread (their awaits interleave; synchronous work does not).
 * - 'process': every child at once in a piscina pool of worker threads (see process-pool.ts), so
 *   CPU-heavy JavaScript children use other cores.
 */
import type { Event } from '../../event';
import type { GraphStep } from '../../step/step';

export type ExecutorType = 'array' | 'thread' | 'process';
export const EXECUTOR_TYPES: readonly ExecutorType[] = Object.freeze(['array', 'thread', 'process']);

/** One child to run: its route key, the step, and its own copy of the event. */
export interface ChildTask {
  key: string;
  step: GraphStep;
  event: Event;
}

export type ChildOutcome = { key: string; ok: true; value: unknown } | { key: string; ok: false; error: unknown };

export interface Executor {
  /** Runs every task; resolves (never rejects) to one outcome per task, in task order. */
  run(tasks: readonly ChildTask[]): Promise<ChildOutcome[]>;
  /** Releases what the executor holds (worker threads). It may be used again afterwards. */
  close(): Promise<void>;
}

async function settle(task: ChildTask, run: (task: ChildTask) => Promise<unknown>): Promise<ChildOutcome> {
  try {
    return { key: task.key, ok: true, value: await run(task) };
  } catch (error) {
    return { key: task.key, ok: false, error };
  }
}

const inProcess = (task: ChildTask): Promise<unknown> => task.step.doEvent(task.event);

export class ArrayExecutor implements Executor {
  async run(tasks: readonly ChildTask[]): Promise<ChildOutcome[]> {
    const outcomes: ChildOutcome[] = [];
    for (const task of tasks) outcomes.push(await settle(task, inProcess));
    return outcomes;
  }

  async close(): Promise<void> {}
}

export class ThreadExecutor implements Executor {
  run(tasks: readonly ChildTask[]): Promise<ChildOutcome[]> {
    return Promise.all(tasks.map((task) => settle(task, inProcess)));
  }

  async close(): Promise<void> {}
}

/** Settles tasks with any runner (the process executor's pool). */
export function settleAll(
  tasks: readonly ChildTask[],
  run: (task: ChildTask) => Promise<unknown>,
): Promise<ChildOutcome[]> {
  return Promise.all(tasks.map((task) => settle(task, run)));
}
