/**
 * Router routes that are not graph steps themselves, as MLRun allows: a handler function
 * (`{ handler: fn }` or a name in the namespace), a class with `do(body)` and no `doEvent`, or a step
 * instance (src/step/instance.ts). Each becomes a GraphStep whose doEvent calls it: with the body at
 * `inputPath` (or the whole event with `fullEvent`), writing the result at `resultPath`.
 */
import { GraphError } from '../errors';
import type { Event } from '../event';
import type { ServingContext } from '../step/context';
import { getIn, updateIn } from '../step/paths';
import type { Namespace } from '../step/registry';
import type { GraphStep, StepSpec } from '../step/step';

type AnyFunction = (...args: unknown[]) => unknown;

/** The handler function of a spec without a class: the function itself, or its name in the namespace. */
export function routeHandler(spec: StepSpec, namespace: Namespace, name: string): AnyFunction {
  const handler = spec.handler;
  if (typeof handler === 'function') return handler as AnyFunction;
  const found = typeof handler === 'string' && Object.hasOwn(namespace, handler) ? namespace[handler] : undefined;
  if (typeof found !== 'function') {
    throw new GraphError(`route ${name}: handler ${String(handler)} was not found in the namespace`);
  }
  return found as AnyFunction;
}

/** A GraphStep that calls `fn` on the event's body (see the file comment). */
function callingStep(name: string, fn: AnyFunction, spec: StepSpec, context: ServingContext): GraphStep {
  return {
    name,
    async doEvent(event: Event): Promise<unknown> {
      if (spec.fullEvent) return fn(event, context);
      const result = await fn(getIn(event.body, spec.inputPath), context);
      return spec.resultPath ? updateIn(event.body, spec.resultPath, result) : result;
    },
  };
}

/** A route step from a handler function spec. */
export function handlerRoute(spec: StepSpec, name: string, namespace: Namespace, context: ServingContext): GraphStep {
  return callingStep(name, routeHandler(spec, namespace, name), spec, context);
}

/**
 * `object` as a route: itself when it has doEvent; a wrapper calling its `do(body)` otherwise (its
 * postInit, isReady and whenSettled kept). Throws GraphError when it has neither.
 */
export function asRouteStep(object: object, name: string, spec: StepSpec, context: ServingContext): GraphStep {
  const record = object as Record<string, unknown> & Partial<GraphStep>;
  if (typeof record.doEvent === 'function') return object as GraphStep;
  if (typeof record['do'] !== 'function') {
    throw new GraphError(`route ${name}: class ${object.constructor.name} has no doEvent or do method`);
  }
  const step = callingStep(name, (record['do'] as AnyFunction).bind(object), spec, context);
  if (record.postInit) step.postInit = () => record.postInit!.call(object);
  if (record.isReady) step.isReady = () => record.isReady!.call(object);
  if (record.whenSettled) step.whenSettled = () => record.whenSettled!.call(object);
  return step;
}
