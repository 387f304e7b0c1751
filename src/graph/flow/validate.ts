/**
 * Whole-graph checks of a flow, run by FlowSpec.build() before any step is constructed. Each problem
 * throws a GraphError whose message names the step(s) involved.
 */
import { GraphError } from '../../errors';
import type { FlowSpec, FlowStep } from './spec';

/** The names of the steps that run after each step (error handlers excluded: they are not `next`). */
export function nextSteps(flow: FlowSpec): Map<string, string[]> {
  const next = new Map<string, string[]>();
  for (const name of flow.steps.keys()) next.set(name, []);
  for (const step of flow.steps.values()) {
    for (const before of step.after) next.get(before)?.push(step.name);
  }
  return next;
}

/** Steps that start the flow: no `after`, and not error handlers. */
export function startSteps(flow: FlowSpec): FlowStep[] {
  return [...flow.steps.values()].filter((step) => step.after.length === 0 && step.kind !== 'error_step');
}

function checkReferences(flow: FlowSpec): void {
  for (const step of flow.steps.values()) {
    for (const name of step.after) {
      if (!flow.steps.has(name))
        throw new GraphError(`step ${step.name} runs after ${name}, but there is no such step`);
    }
    const handler = step.onError;
    if (handler !== undefined && flow.steps.get(handler)?.kind !== 'error_step') {
      throw new GraphError(`step ${step.name} has error handler ${handler}, but there is no such error step`);
    }
  }
  if (flow.onError !== undefined && flow.steps.get(flow.onError)?.kind !== 'error_step') {
    throw new GraphError(`the graph error handler ${flow.onError} is not an error step of the graph`);
  }
}

function checkHandlers(flow: FlowSpec): void {
  for (const step of flow.steps.values()) {
    if (step.kind !== 'task' && step.kind !== 'error_step') continue;
    if (step.spec.className === undefined && step.spec.handler === undefined) {
      throw new GraphError(`step ${step.name} does not have a handler: give it a className or a handler function`);
    }
  }
}

/** Depth-first search over `after` links; a step met again on the current path is a loop. */
function checkLoops(flow: FlowSpec, next: Map<string, string[]>): void {
  const done = new Set<string>();
  const onPath = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (onPath.has(name)) throw new GraphError(`loop detected in step ${name}, the graph must be acyclic (a DAG)`);
    onPath.add(name);
    for (const other of next.get(name) ?? []) visit(other);
    onPath.delete(name);
    done.add(name);
  };
  for (const name of flow.steps.keys()) visit(name);
}

function checkResponders(flow: FlowSpec): void {
  const responders = [...flow.steps.values()].filter((s) => s.responder && s.kind !== 'error_step');
  if (responders.length > 1) {
    const names = responders.map((s) => s.name).join(', ');
    throw new GraphError(`there is more than one responder step in the graph (${names})`);
  }
}

function checkSync(flow: FlowSpec, next: Map<string, string[]>): void {
  const starts = startSteps(flow);
  if (starts.length > 1) {
    const names = starts.map((s) => s.name).join(', ');
    throw new GraphError(`the sync engine can only have one start step (a step without after), found: ${names}`);
  }
  for (const [name, outs] of next) {
    if (outs.length > 1) {
      throw new GraphError(
        `the sync engine does not support branches: step ${name} is followed by ${outs.join(', ')}; use the async engine`,
      );
    }
  }
}

/** Throws a GraphError for the first problem found. */
export function validateFlow(flow: FlowSpec): void {
  if (flow.steps.size === 0) throw new GraphError('the flow has no steps, add some with graph.to() or addStep()');
  checkReferences(flow);
  checkHandlers(flow);
  const next = nextSteps(flow);
  checkLoops(flow, next);
  if (startSteps(flow).length === 0) throw new GraphError('the flow has no start step (every step has an after)');
  checkResponders(flow);
  if (flow.engine === 'sync') checkSync(flow, next);
}
