/**
 * The graph of a serving function, as specs (what users build and toDict() writes), and its build
 * into runtime steps. Only the router topology exists so far; 'flow' (issue 4) adds a FlowSpec
 * beside RouterSpec, built through the same `build()` contract.
 */
import { InvalidOptionError } from '../errors';
import type { ServingContext } from '../step/context';
import { resolveClass, type Namespace } from '../step/registry';
import { BaseRouter, ModelRouter } from './router';
import { classArgsOf, constructorArgs, specToDict, type GraphStep, type StepDict, type StepSpec } from '../step/step';
import { instanceOf, toSpec, type StepInstance } from '../step/instance';
import { asRouteStep, handlerRoute } from './route-step';

/** Routers beyond this many routes are refused (MLRun's limit). */
export const MAX_ROUTES = 4500;

type Construct = new (options: Record<string, unknown>) => GraphStep;

/**
 * Builds one route from its spec: the instance it was made from (src/step/instance.ts), a handler
 * function, or the class constructed with class args + injected keys; a class with only `do(body)` is
 * wrapped (./route-step.ts).
 */
export function buildStep(spec: StepSpec, name: string, namespace: Namespace, context: ServingContext): GraphStep {
  const instance = instanceOf(spec);
  if (instance !== undefined) return asRouteStep(instance, name, spec, context);
  if (spec.className === undefined && spec.handler !== undefined) return handlerRoute(spec, name, namespace, context);
  const cls = resolveClass(spec.className, namespace) as unknown as Construct;
  try {
    return asRouteStep(new cls(constructorArgs(spec, name, context, namespace)), name, spec, context);
  } catch (err) {
    const args = JSON.stringify(classArgsOf(spec));
    throw new InvalidOptionError(`failed to init step ${name}: ${(err as Error).message} (class args ${args})`, {
      cause: err,
    });
  }
}

/** MLRun's default name of a router step: its class name ('VotingEnsemble'), 'router' for '*' or none. */
function defaultRouterName(ref: StepSpec['className']): string {
  if (typeof ref === 'function') return ref.name;
  const name = ref?.replace(/^\*/, '') ?? '';
  return name === '' ? 'router' : (name.split('.').pop() ?? name);
}

/** A router spec: the router's class and class args, and its routes (step specs) in insertion order. */
export class RouterSpec {
  readonly kind = 'router';
  readonly routes = new Map<string, StepSpec>();

  /** `spec.className` defaults to ModelRouter; other keys are the router's class args. */
  constructor(readonly spec: StepSpec = {}) {}

  /** Adds (or replaces) a route (a spec or a step instance); returns its spec. */
  addRoute(key: string, input: StepSpec | StepInstance): StepSpec {
    const spec = toSpec(input);
    if (!this.routes.has(key) && this.routes.size >= MAX_ROUTES) {
      throw new InvalidOptionError(`cannot add route ${key}: a router holds at most ${MAX_ROUTES} routes`);
    }
    this.routes.set(key, spec);
    return spec;
  }

  toDict(): StepDict {
    const dict = specToDict({ ...this.spec, className: this.spec.className ?? ModelRouter }, this.kind);
    dict.routes = {};
    for (const [key, route] of this.routes) dict.routes[key] = specToDict(route);
    return dict;
  }

  /** Builds the router and its routes, then runs postInit (sync model loads happen here). */
  async build(namespace: Namespace, context: ServingContext): Promise<GraphStep> {
    const name = this.spec.name ?? defaultRouterName(this.spec.className);
    const cls = resolveClass(this.spec.className, namespace, ModelRouter) as unknown as Construct;
    const router = new cls(constructorArgs(this.spec, name, context, namespace));
    if (!(router instanceof BaseRouter))
      throw new InvalidOptionError(`router class ${cls.name} must extend BaseRouter`);
    for (const [key, spec] of this.routes) router.addRoute(key, buildStep(spec, spec.name ?? key, namespace, context));
    await router.postInit();
    return router;
  }
}
