/**
 * Graphs that span functions (MLRun's multi-function graphs): each step may name the `function` it runs in,
 * and a queue with a stream `path` joins one function's part of the graph to the next. Building a flow for
 * one function keeps only that function's part:
 * - `currentFunction` '*' (the mock server's default): every step, queues are in-process pass-throughs;
 * - '' (the root function): the steps without a function, from the graph's start steps;
 * - a name: the steps of that function, starting after the stream queue that feeds it (one queue at most).
 * A stream queue reached in a part publishes the event and ends that path there.
 */
import { GraphError } from '../../errors';
import type { FlowSpec, FlowStep } from './spec';
import { nextSteps, startSteps } from './validate';

/** Runs every step in this process (queues pass events through). */
export const ALL_FUNCTIONS = '*';

/** The part of a flow one function runs. */
export interface FunctionPart {
  /** The steps built in this function (stream queues included: they publish). */
  local: Set<string>;
  /** The steps an event consumed by this function (or arriving over HTTP, for the root) starts at. */
  starts: FlowStep[];
  /** The stream queue this function consumes (named functions only). */
  feed: FlowStep | undefined;
}

/** The stream URL of a queue step, when it has one. */
export function streamPathOf(step: FlowStep): string | undefined {
  const path = step.kind === 'queue' ? step.spec['path'] : undefined;
  return typeof path === 'string' && path !== '' ? path : undefined;
}

function functionOf(step: FlowStep): string {
  return typeof step.spec.function === 'string' ? step.spec.function : '';
}

/** The part of `flow` that `current` runs; GraphError when that function has no steps or two feeding queues. */
export function functionPart(flow: FlowSpec, current: string): FunctionPart {
  const all = [...flow.steps.values()];
  if (current === ALL_FUNCTIONS)
    return { local: new Set(flow.steps.keys()), starts: startSteps(flow), feed: undefined };
  const next = nextSteps(flow);
  const mine = (step: FlowStep): boolean => step.kind !== 'queue' && functionOf(step) === current;
  const local = new Set(all.filter(mine).map((step) => step.name));
  // A queue belongs to the function of the steps before it (or its own `function`).
  for (const queue of all.filter((step) => step.kind === 'queue')) {
    if (functionOf(queue) === current && queue.spec.function !== undefined) local.add(queue.name);
    else if (queue.after.some((name) => local.has(name))) local.add(queue.name);
  }
  const feeds = all.filter(
    (step) => streamPathOf(step) && next.get(step.name)!.some((n) => local.has(n) && !local.has(step.name)),
  );
  if (current === '') return { local, starts: startSteps(flow).filter((s) => local.has(s.name)), feed: undefined };
  if (feeds.length === 0)
    throw new GraphError(`did not find steps pointing to the current function (${current}): no stream queue feeds it`);
  if (feeds.length > 1) {
    throw new GraphError(`function ${current} reads from more than one queue (${feeds.map((q) => q.name).join(', ')})`);
  }
  const feed = feeds[0]!;
  const starts = next
    .get(feed.name)!
    .map((name) => flow.steps.get(name)!)
    .filter((s) => local.has(s.name));
  return { local, starts, feed };
}

/**
 * Checks the links of a part: a local step followed by a step of another function needs a stream queue
 * between them (the event cannot go to another process otherwise).
 */
export function checkPart(flow: FlowSpec, part: FunctionPart, current: string): void {
  if (current === ALL_FUNCTIONS) return;
  const next = nextSteps(flow);
  for (const name of part.local) {
    const step = flow.steps.get(name)!;
    if (streamPathOf(step)) continue;
    for (const after of next.get(name) ?? []) {
      if (part.local.has(after)) continue;
      throw new GraphError(
        `step ${after} (function '${functionOf(flow.steps.get(after)!)}') follows step ${name} of function '${current}' without a stream queue between them`,
      );
    }
  }
}
