/**
 * Flow graphs as specs (MLRun's `set_topology("flow")`): named steps joined by `after` links, with
 * responders and error handlers. Users build them with `graph.to()`, `graph.addStep()`,
 * `step.respond()` and `step.errorHandler()`; `build()` validates the graph and turns it into a
 * FlowRunner (src/graph/flow/runner.ts). Structural mistakes (unknown `after`/`before`, a loop made by
 * `before`, duplicate names) are refused when the step is added; whole-graph checks run at build.
 *
 * Where MLRun behaves accidentally, graphserve does what a user would expect instead:
 * - adding a step with a name already in the graph is an error (MLRun silently replaces the step);
 * - a responder that has next steps still responds, and the steps after it run on (MLRun then never
 *   answers and falls back to `{id}`);
 * - `event.error` is the thrown Error in both engines (MLRun: an object of strings in sync, the
 *   exception in async), and the sync engine's handler output becomes the body (MLRun: the event);
 * - an error handler responds only in a graph that has a responder (MLRun PR #8331), and an async
 *   event that ends without reaching the responder fails with a GraphError instead of hanging;
 * - in the sync engine the responder's output is the response when there is one (MLRun ignores it);
 * - a queue with a stream `path` (kafka://, redis://) ends one function's part of the graph: the steps
 *   after it name their `function` and run in the process that consumes it (./functions.ts); in the mock
 *   (currentFunction '*') every queue passes events through.
 */
import { GraphError } from '../../errors';
import type { ServingContext } from '../../step/context';
import { buildFlowRunner, type FlowRunner } from './runner';
import { flowToDot, renderSvg } from './plot';
import type { FlowDict, FlowStepDict, FlowStepSpec } from './types';
import { FLOW_DEFAULTS, type FlowEngine, type FlowOptions, type FlowStepKind } from './types';
import { validateFlow } from './validate';
import { ALL_FUNCTIONS, checkPart, functionPart } from './functions';
import type { FlowBuildOptions } from './stream-queue';
import type { Namespace } from '../../step/registry';
import { BaseRouter } from '../router';
import { specToDict, type StepSpec } from '../../step/step';
import { RouterSpec } from '../topology';
import { isStepInstance, specOfInstance, type StepInstance } from '../../step/instance';

/**
 * What `to()` and `addStep()` take: a spec, a class name ('*' router, '>>' queue), a RouterSpec, or a
 * step instance (`new RemoteStep({...})`, a user class instance: see src/step/instance.ts).
 */
export type StepInput = FlowStepSpec | RouterSpec | string | StepInstance;

function specOf(input: StepInput): StepSpec {
  if (typeof input === 'string') return { className: input };
  if (isStepInstance(input)) return specOfInstance(input);
  return input instanceof RouterSpec ? {} : (input as StepSpec);
}

const QUEUE_NAMES: readonly string[] = Object.freeze(['>>', '$queue']);

function kindOf(spec: StepSpec): FlowStepKind {
  if (spec.kind === 'router' || spec.kind === 'queue') return spec.kind;
  const ref = spec.className;
  if (typeof ref === 'string' && QUEUE_NAMES.includes(ref)) return 'queue';
  if (typeof ref === 'string' && ref.startsWith('*')) return 'router';
  if (typeof ref === 'function' && ref.prototype instanceof BaseRouter) return 'router';
  return 'task';
}

function defaultName(spec: StepSpec, kind: FlowStepKind): string {
  const ref = spec.className;
  if (kind === 'queue') return 'queue';
  if (typeof ref === 'function') return ref.name;
  if (typeof ref === 'string' && ref !== '*') return ref.replace(/^\*/, '');
  if (kind === 'router') return 'router';
  if (typeof spec.handler === 'function' && spec.handler.name) return spec.handler.name;
  if (typeof spec.handler === 'string') return spec.handler;
  return kind;
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}

/** The router spec of a router step: '*' means ModelRouter, '*Name' the class Name. */
function routerSpecOf(spec: StepSpec, name: string): RouterSpec {
  const rest: StepSpec = { ...spec, name };
  for (const key of ['kind', 'after', 'before', 'responder', 'inputPath', 'resultPath', 'fullEvent']) delete rest[key];
  if (typeof rest.className === 'string') rest.className = rest.className.replace(/^\*/, '') || undefined;
  if (rest.className === undefined) delete rest.className;
  return new RouterSpec(rest);
}

/** One step of a flow spec. Returned by `to()`/`addStep()` so that calls chain. */
export class FlowStep {
  /** The names of the steps this one runs after; empty for a start step. */
  after: string[] = [];
  /** Whether this step's output is the response (async engine). */
  responder = false;
  /** The name of this step's error handler. */
  onError: string | undefined;
  /** The routes of a router step. */
  readonly router: RouterSpec | undefined;

  constructor(
    readonly flow: FlowSpec,
    readonly name: string,
    readonly kind: FlowStepKind,
    /** The step's own options and class args (no name, after, before, responder). */
    readonly spec: StepSpec,
    router?: RouterSpec,
  ) {
    this.router = kind === 'router' ? (router ?? routerSpecOf(spec, name)) : undefined;
  }

  /** Adds a step that runs after this one and returns it; calling it twice on one step makes a branch. */
  to(input: StepInput): FlowStep {
    return this.flow.addStep(input, { after: this.name });
  }

  /** Marks this step as the responder: its output is the response of an async flow. */
  respond(): this {
    this.responder = true;
    return this;
  }

  /**
   * Adds an error handler for this step and returns this step (so `.to()` continues the normal path).
   * The handler sees the event the step failed on, with `origin_state` (the step's name) and `error`
   * (the thrown Error). Its output goes to the steps named in `before`; with none, it is the response.
   */
  errorHandler(input: StepInput): this {
    this.onError = this.flow.addErrorStep(input).name;
    return this;
  }

  /** Adds a route (a spec or a step instance) to a router step (`fn.addModel()` does this for the flow's router). */
  addRoute(key: string, spec: StepSpec | StepInstance): StepSpec {
    if (!this.router) throw new GraphError(`step ${this.name} is not a router, it cannot have routes`);
    return this.router.addRoute(key, spec);
  }

  toDict(): FlowStepDict {
    const dict: FlowStepDict = this.router
      ? { ...this.router.toDict(), ...specToDict(pathsOf(this.spec), 'router') }
      : specToDict(this.spec, this.kind);
    dict.name = this.name;
    if (this.after.length > 0) dict.after = [...this.after];
    if (this.responder) dict.responder = true;
    if (this.onError !== undefined) dict.on_error = this.onError;
    return dict;
  }
}

function pathsOf(spec: StepSpec): StepSpec {
  return { inputPath: spec.inputPath, resultPath: spec.resultPath, fullEvent: spec.fullEvent };
}

/** A flow graph: steps by name, in insertion order. */
export class FlowSpec {
  readonly kind = 'flow';
  readonly engine: FlowEngine;
  readonly steps = new Map<string, FlowStep>();
  /** The name of the graph-level error handler (for steps without their own). */
  onError: string | undefined;
  private last: string | undefined;

  constructor(options: FlowOptions = {}) {
    this.engine = options.engine === 'sync' ? 'sync' : FLOW_DEFAULTS.engine;
  }

  /** Adds a start step (one with no `after`); calling it twice makes two start steps. */
  to(input: StepInput): FlowStep {
    return this.addStep(input);
  }

  /**
   * Adds a step. `after`: a step name, a list (a merge point) or '$prev' (the last step added);
   * `before`: the new step takes that step's place, and that step runs after it.
   */
  addStep(input: StepInput, links: { after?: string | string[]; before?: string | string[] } = {}): FlowStep {
    const spec = specOf(input);
    const after = asList(links.after ?? spec.after).flatMap((n) => (n === '$prev' ? asList(this.last) : [n]));
    const before = asList(links.before ?? spec.before);
    const step = this.createStep(input, spec);
    this.checkLinks(step.name, after, before);
    step.after = after;
    step.responder = spec.responder === true;
    for (const name of before) {
      const next = this.steps.get(name)!;
      step.after = [...new Set([...step.after, ...next.after])];
      next.after = [step.name];
    }
    this.steps.set(step.name, step);
    this.last = step.name;
    return step;
  }

  /**
   * Replaces the graph with a chain of `steps` in order (MLRun's set_flow): the first a start step, each
   * next one after the one before. A graph that has steps already needs `force` (a GraphError otherwise).
   * Resolves to the last step of the chain (undefined for an empty list).
   */
  setFlow(steps: readonly StepInput[], options: { force?: boolean } = {}): FlowStep | undefined {
    if (this.steps.size > 0 && !options.force) {
      throw new GraphError('setFlow() called on a graph that already has steps; to replace them, pass { force: true }');
    }
    this.steps.clear();
    this.onError = undefined;
    this.last = undefined;
    let previous: FlowStep | undefined;
    for (const input of steps) previous = previous ? previous.to(input) : this.to(input);
    return previous;
  }

  /** MLRun's insert_step(key, step, after, before): addStep() with the step named `key`. */
  insertStep(key: string, input: StepInput, after?: string | string[], before?: string | string[]): FlowStep {
    let named: StepInput;
    if (input instanceof RouterSpec) {
      const copy = new RouterSpec({ ...input.spec, name: key });
      for (const [route, spec] of input.routes) copy.addRoute(route, spec);
      named = copy;
    } else {
      named = { ...specOf(input), name: key } as FlowStepSpec;
    }
    return this.addStep(named, { after, before });
  }

  /** Adds the graph-level error handler (steps with their own handler use theirs). Returns the graph. */
  errorHandler(input: StepInput): this {
    if (typeof input === 'object' && !(input instanceof RouterSpec) && specOf(input).before !== undefined) {
      throw new GraphError('a graph error handler cannot have before: it ends the flow with its output');
    }
    this.onError = this.addErrorStep(input).name;
    return this;
  }

  /** @internal Adds an error step (kind 'error_step'); `before` names the steps that run after it. */
  addErrorStep(input: StepInput): FlowStep {
    const spec = specOf(input);
    if (spec.className === undefined && spec.handler === undefined) {
      throw new GraphError('an error handler needs a className or a handler');
    }
    const step = new FlowStep(this, spec.name ?? defaultName(spec, 'task'), 'error_step', stripLinks(spec));
    const before = asList(spec.before);
    this.checkLinks(step.name, [], before);
    this.steps.set(step.name, step);
    for (const name of before) this.steps.get(name)!.after.push(step.name);
    return step;
  }

  /** The router steps of this flow. */
  routers(): FlowStep[] {
    return [...this.steps.values()].filter((step) => step.kind === 'router');
  }

  toDict(): FlowDict {
    const dict: FlowDict = { kind: 'flow', engine: this.engine, steps: {} };
    for (const [name, step] of this.steps) dict.steps[name] = step.toDict();
    if (this.onError !== undefined) dict.on_error = this.onError;
    return dict;
  }

  /** Graphviz DOT text of the graph (see flow/plot.ts for the shapes). */
  plot(): string {
    return flowToDot(this.toDict());
  }

  /** The graph as an SVG picture, rendered in-process (Graphviz compiled to WebAssembly). */
  plotSvg(): Promise<string> {
    return renderSvg(this.plot());
  }

  /**
   * Validates the graph (GraphError on a problem), builds the steps of `options.currentFunction`'s part
   * (default '*': every step; see ./functions.ts) and runs their postInit.
   */
  async build(namespace: Namespace, context: ServingContext, options: FlowBuildOptions = {}): Promise<FlowRunner> {
    validateFlow(this);
    const current = options.currentFunction ?? ALL_FUNCTIONS;
    checkPart(this, functionPart(this, current), current);
    return buildFlowRunner(this, namespace, context, options);
  }

  private createStep(input: StepInput, spec: StepSpec): FlowStep {
    if (input instanceof RouterSpec) {
      const name = input.spec.name ?? defaultName({ ...input.spec, className: input.spec.className ?? '*' }, 'router');
      return new FlowStep(this, name, 'router', { ...input.spec, kind: 'router' }, input);
    }
    const kind = kindOf(spec);
    const name = spec.name ?? defaultName(spec, kind);
    const own = stripLinks(spec);
    // A queue is known by its kind: '>>' and '$queue' are only the way to ask for one.
    if (kind === 'queue') delete own.className;
    return new FlowStep(this, name, kind, own);
  }

  private checkLinks(name: string, after: string[], before: string[]): void {
    if (this.steps.has(name)) throw new GraphError(`a step named ${name} already exists in the graph`);
    for (const other of after) {
      if (!this.steps.has(other)) throw new GraphError(`cannot set after: there is no step named ${other}`);
    }
    for (const other of before) {
      if (!this.steps.has(other)) throw new GraphError(`cannot set before: there is no step named ${other}`);
      if (after.includes(other)) throw new GraphError(`graph loop: step ${other} is both before and after ${name}`);
    }
  }
}

/** The spec without the keys the flow keeps on the step itself. */
function stripLinks(spec: StepSpec): StepSpec {
  const rest: StepSpec = { ...spec };
  for (const key of ['name', 'after', 'before', 'responder']) delete rest[key];
  return rest;
}
