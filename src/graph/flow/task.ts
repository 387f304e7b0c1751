/**
 * Runtime nodes of a flow: how one step spec becomes `run(event) → event`. A task step calls, in
 * this order of preference: the method named by `handler`, `doEvent(event)` (the whole event; the
 * class applies its own inputPath/resultPath, as V2ModelServer does), or `do(body)`; or, without a
 * class, the `handler` function (a function, or a name looked up in the namespace). Handlers may be
 * async. Routers get the body at `inputPath`; queues pass events through, or publish them to their stream
 * (./stream-queue.ts).
 */
import { GraphError } from '../../errors';
import type { Event } from '../../event';
import type { ServingContext } from '../../step/context';
import type { FlowStep } from './spec';
import { getIn, isPlainObject, updateIn } from '../../step/paths';
import { resolveClass, type Namespace } from '../../step/registry';
import { classArgsOf, constructorArgs, type GraphStep, type StepSpec } from '../../step/step';
import { instanceOf } from '../../step/instance';
import { queueNode, type FlowBuildOptions } from './stream-queue';

/** What the runner calls for one step. Resolves to the event to pass on, or undefined to end the path. */
export type RunEvent = (event: Event) => Promise<Event | undefined>;

/**
 * Optional hooks of a step class that works at the level of the flow (Merge): `initFlow` learns its
 * upstream steps at build; `runFlowEvent`, when present, is called instead of doEvent/do and may
 * resolve to undefined to end this path of the event (for example until every branch has arrived).
 */
export interface FlowAware {
  initFlow?(info: { after: readonly string[] }): void;
  runFlowEvent?(event: Event): Promise<Event | undefined>;
}

/** The lifecycle hooks a built step object may have (see GraphStep). */
export type Lifecycle = Partial<Pick<GraphStep, 'postInit' | 'isReady' | 'whenSettled'>>;

export interface BuiltNode {
  run: RunEvent;
  /** The constructed object (class steps and routers), for postInit/isReady/whenSettled. */
  object?: Lifecycle;
}

type AnyFunction = (...args: unknown[]) => unknown;
type Construct = new (options: Record<string, unknown>) => Record<string, unknown>;

/** A full-event handler returns the event to pass on; anything else is taken as the new body. */
function toEvent(result: unknown, event: Event): Event {
  if (result === undefined) return event;
  if (isPlainObject(result) && 'body' in result && 'id' in result) return result as unknown as Event;
  return { ...event, body: result };
}

/** Calls `fn` on the body at inputPath (or the whole event) and writes its result at resultPath. */
function bodyRunner(fn: AnyFunction, spec: StepSpec, context: ServingContext): RunEvent {
  if (spec.fullEvent) return async (event) => toEvent(await fn(event, context), event);
  return async (event) => {
    const result = await fn(getIn(event.body, spec.inputPath), context);
    return { ...event, body: spec.resultPath ? updateIn(event.body, spec.resultPath, result) : result };
  };
}

function handlerFunction(spec: StepSpec, namespace: Namespace, name: string): AnyFunction {
  const handler = spec.handler;
  if (typeof handler === 'function') return handler as AnyFunction;
  const found = handler !== undefined && Object.hasOwn(namespace, handler) ? namespace[handler] : undefined;
  if (typeof found !== 'function') {
    throw new GraphError(`step ${name}: handler ${String(handler)} was not found in the namespace`);
  }
  return found as AnyFunction;
}

function construct(spec: StepSpec, name: string, namespace: Namespace, context: ServingContext) {
  const instance = instanceOf(spec);
  if (instance !== undefined) return instance as Record<string, unknown>;
  const cls = resolveClass(spec.className, namespace) as unknown as Construct;
  try {
    return new cls(constructorArgs(spec, name, context, namespace));
  } catch (err) {
    const args = JSON.stringify(classArgsOf(spec));
    throw new GraphError(`failed to init step ${name}: ${(err as Error).message} (class args ${args})`, {
      cause: err,
    });
  }
}

function classRunner(object: Record<string, unknown>, spec: StepSpec, name: string, context: ServingContext) {
  const method = typeof spec.handler === 'string' ? spec.handler : undefined;
  if (method !== undefined) {
    const fn = object[method];
    if (typeof fn !== 'function') {
      throw new GraphError(`handler ${method} was given, but class ${object.constructor.name} has no such method`);
    }
    return bodyRunner((fn as AnyFunction).bind(object), spec, context);
  }
  const aware = object as Partial<FlowAware>;
  if (typeof aware.runFlowEvent === 'function') return aware.runFlowEvent.bind(object);
  if (typeof object['doEvent'] === 'function') {
    const doEvent = (object['doEvent'] as (e: Event) => unknown).bind(object);
    return async (event: Event) => ({ ...event, body: await doEvent(event) });
  }
  if (typeof object['do'] === 'function') return bodyRunner((object['do'] as AnyFunction).bind(object), spec, context);
  throw new GraphError(`step ${name} does not have a handler: class ${object.constructor.name} has no do or doEvent`);
}

/** A router step: the router sees the body at inputPath; its answer is written at resultPath. */
async function routerNode(step: FlowStep, namespace: Namespace, context: ServingContext): Promise<BuiltNode> {
  const router = (await step.router!.build(namespace, context)) as GraphStep;
  const { inputPath, resultPath } = step.spec;
  const run: RunEvent = async (event) => {
    const result = await router.doEvent({ ...event, body: getIn(event.body, inputPath) });
    return { ...event, body: resultPath ? updateIn(event.body, resultPath, result) : result };
  };
  return { run, object: router };
}

/** Builds one step of a flow. Class steps run their postInit here (routers: inside their build). */
export async function buildNode(
  step: FlowStep,
  namespace: Namespace,
  context: ServingContext,
  options: FlowBuildOptions = {},
): Promise<BuiltNode> {
  const { spec, name } = step;
  if (step.kind === 'router') return routerNode(step, namespace, context);
  if (step.kind === 'queue') return queueNode(step, options);
  if (spec.className === undefined) return { run: bodyRunner(handlerFunction(spec, namespace, name), spec, context) };
  const object = construct(spec, name, namespace, context);
  const run = classRunner(object, spec, name, context);
  (object as FlowAware).initFlow?.({ after: step.after });
  const lifecycle = object as Lifecycle;
  await lifecycle.postInit?.call(object);
  return { run, object: lifecycle };
}
