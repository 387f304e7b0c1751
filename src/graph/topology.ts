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

/** Routers beyond this many routes are refused (MLRun's limit). */
export const MAX_ROUTES = 4500;

type Construct = new (options: Record<string, unknown>) => GraphStep;

/** Builds one step from its spec: resolves the class and constructs it with class args + injected keys. */
export function buildStep(spec: StepSpec, name: string, namespace: Namespace, context: ServingContext): GraphStep {
  const cls = resolveClass(spec.className, namespace) as unknown as Construct;
  try {
    return new cls(constructorArgs(spec, name, context));
  } catch (err) {
    const args = JSON.stringify(classArgsOf(spec));
    throw new InvalidOptionError(`failed to init step ${name}: ${(err as Error).message} (class args ${args})`, {
      cause: err,
    });
  }
}

/** A router spec: the router's class and class args, and its routes (step specs) in insertion order. */
export class RouterSpec {
  readonly kind = 'router';
  readonly routes = new Map<string, StepSpec>();

  /** `spec.className` defaults to ModelRouter; other keys are the router's class args. */
  constructor(readonly spec: StepSpec = {}) {}

  /** Adds (or replaces) a route; returns its spec. */
  addRoute(key: string, spec: StepSpec): StepSpec {
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
    const name = this.spec.name ?? 'router';
    const cls = resolveClass(this.spec.className, namespace, ModelRouter) as unknown as Construct;
    const router = new cls(constructorArgs(this.spec, name, context));
    if (!(router instanceof BaseRouter))
      throw new InvalidOptionError(`router class ${cls.name} must extend BaseRouter`);
    for (const [key, spec] of this.routes) router.addRoute(key, buildStep(spec, spec.name ?? key, namespace, context));
    await router.postInit();
    return router;
  }
}
