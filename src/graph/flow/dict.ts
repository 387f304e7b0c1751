/**
 * Loading graphs back from their serialized form (MLRun's field names: kind, class_name,
 * class_args, handler, after, responder, on_error, routes, steps, engine), as JSON or YAML.
 * Classes and handler functions are stored by name and resolved when the graph is built, from the
 * namespace or the registry. Functions without a name (inline arrows) cannot round-trip.
 */
import { parse, stringify } from 'yaml';
import { InvalidOptionError } from '../../errors';
import { FlowSpec, type FlowStep } from './spec';
import type { FlowDict, FlowStepDict } from './types';
import { isPlainObject } from '../../step/paths';
import type { StepDict, StepSpec } from '../../step/step';
import { RouterSpec } from '../topology';

/** A serving function serialized by ServingFunction.toDict(). */
export interface FunctionDict {
  kind: string;
  metadata: { name: string };
  spec: { parameters?: Record<string, unknown>; graph?: StepDict | FlowDict };
}

/** The step spec of a serialized step (class args back as keys; links and kind left out). */
export function specFromDict(dict: StepDict): StepSpec {
  const spec: StepSpec = { ...(dict.class_args ?? {}) };
  if (dict.class_name !== undefined) spec.className = dict.class_name;
  if (dict.handler !== undefined) spec.handler = dict.handler;
  if (dict.full_event !== undefined) spec.fullEvent = dict.full_event;
  if (dict.input_path !== undefined) spec.inputPath = dict.input_path;
  if (dict.result_path !== undefined) spec.resultPath = dict.result_path;
  if (dict.function !== undefined) spec.function = dict.function;
  return spec;
}

/** A router spec (topology or flow step) from its dict, routes included. */
export function routerFromDict(dict: StepDict): RouterSpec {
  const { inputPath: _in, resultPath: _out, fullEvent: _full, ...spec } = specFromDict(dict);
  if (dict.name !== undefined) spec.name = dict.name;
  const router = new RouterSpec(spec);
  for (const [key, route] of Object.entries(dict.routes ?? {})) {
    const routeSpec = specFromDict(route);
    if (route.name !== undefined) routeSpec.name = route.name;
    router.addRoute(key, routeSpec);
  }
  return router;
}

function addFromDict(flow: FlowSpec, name: string, dict: FlowStepDict): FlowStep {
  const spec: StepSpec = { ...specFromDict(dict), name };
  if (dict.kind === 'error_step') return flow.addErrorStep(spec);
  if (dict.kind === 'queue') spec.kind = 'queue';
  let step: FlowStep;
  if (dict.kind === 'router') {
    const router = routerFromDict({ ...dict, name });
    step = flow.addStep(router);
    Object.assign(step.spec, { inputPath: spec.inputPath, resultPath: spec.resultPath });
  } else {
    step = flow.addStep(spec);
  }
  if (dict.responder) step.respond();
  return step;
}

/** A flow spec from its dict. Steps are added first, then linked, so their order in the dict is free. */
export function flowFromDict(dict: FlowDict): FlowSpec {
  const flow = new FlowSpec({ engine: dict.engine });
  const entries = Object.entries(dict.steps ?? {});
  for (const [name, stepDict] of entries) addFromDict(flow, name, stepDict);
  for (const [name, stepDict] of entries) {
    const step = flow.steps.get(name)!;
    step.after = [...(stepDict.after ?? [])];
    step.onError = stepDict.on_error;
  }
  flow.onError = dict.on_error;
  return flow;
}

/** A graph (flow or router topology) from its dict. */
export function graphFromDict(dict: StepDict | FlowDict): FlowSpec | RouterSpec {
  if (dict.kind === 'flow') return flowFromDict(dict as FlowDict);
  if (dict.kind === 'router') return routerFromDict(dict as StepDict);
  throw new InvalidOptionError(`unknown graph kind ${String(dict.kind)}: expected flow or router`);
}

/** Parses JSON or YAML text (JSON is YAML) into a function dict; a bare graph dict is wrapped. */
export function parseGraphText(text: string, name = 'graphserve'): FunctionDict {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new InvalidOptionError(`the graph spec is not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isPlainObject(value)) throw new InvalidOptionError('the graph spec must be an object');
  if (value.kind === 'flow' || value.kind === 'router') {
    return { kind: 'serving', metadata: { name }, spec: { graph: value as unknown as FlowDict } };
  }
  const spec = value.spec;
  if (!isPlainObject(spec) || !isPlainObject(spec.graph)) {
    throw new InvalidOptionError('the graph spec needs spec.graph (a serving function) or kind flow/router (a graph)');
  }
  return value as unknown as FunctionDict;
}

/** YAML text of a dict (ServingFunction.toDict() or a graph's toDict()). */
export function toYaml(dict: unknown): string {
  return stringify(dict);
}
