/**
 * Steps given as instances (MLRun's `graph.to(MyClass(...))`): `graph.to(new RemoteStep({...}))`,
 * `addStep(instance)`, `addRoute(key, instance)`, `fn.addModel(key, instance)`. The spec made from an
 * instance keeps it: the graph runs that very object (it is not constructed again, so state set on it
 * after construction stays), and toDict() writes its class name and the options it was constructed with,
 * so the dict loads back by constructing the class from them.
 *
 * The options of an instance are its `options` (RemoteStep, BatchHttpRequests and any user class that
 * keeps them there), else its `classArgs` with its modelPath, loadMode ('async' only), inputPath,
 * resultPath, requestTimeout and declared metadata (V2ModelServer), without `name`, `context` and `model` (an in-memory
 * object). An instance keeps its own name and its own context.
 */
import type { Event } from '../event';
import { isPlainObject } from './paths';
import type { StepClass, StepSpec } from './step';

/** A step object: a graph step (doEvent) or a task class instance (do, or doEvent). */
export type StepInstance = { doEvent(event: Event): unknown } | { do(body: never): unknown };

/** The key under which a spec made from an instance holds it (a symbol: never a class argument). */
export const STEP_INSTANCE: unique symbol = Symbol('graphserve.stepInstance');

const NOT_ARGS: readonly string[] = Object.freeze(['name', 'context', 'model']);

/** The model-server options that are not class args, written beside them when set. */
const MODEL_KEYS: readonly string[] = Object.freeze(['modelPath', 'inputPath', 'resultPath', 'requestTimeout']);

/** True for a class instance (not a plain object, array, function or string). */
export function isStepInstance(value: unknown): value is StepInstance {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isPlainObject(value)) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate['doEvent'] === 'function' || typeof candidate['do'] === 'function';
}

/** The options an instance was constructed with (see the file comment). */
export function instanceOptions(instance: object): Record<string, unknown> {
  const record = instance as Record<string, unknown>;
  let options = record['options'];
  if (!isPlainObject(options) && isPlainObject(record['classArgs'])) {
    options = { ...record['classArgs'] };
    for (const key of MODEL_KEYS)
      if (record[key] !== undefined) (options as Record<string, unknown>)[key] = record[key];
    if (record['loadMode'] === 'async') (options as Record<string, unknown>)['loadMode'] = 'async';
    const declared = record['declared'];
    if (isPlainObject(declared) && Object.keys(declared).length > 0)
      (options as Record<string, unknown>)['metadata'] = declared;
  }
  const args: Record<string, unknown> = {};
  if (!isPlainObject(options)) return args;
  for (const [key, value] of Object.entries(options)) {
    if (!NOT_ARGS.includes(key) && value !== undefined) args[key] = value;
  }
  return args;
}

/** The spec of an instance: its class, its options, its name, and the instance itself. */
export function specOfInstance(instance: StepInstance): StepSpec {
  const spec: StepSpec = { ...instanceOptions(instance), className: instance.constructor as StepClass };
  const name = (instance as { name?: unknown }).name;
  if (typeof name === 'string' && name !== '') spec.name = name;
  (spec as Record<symbol, unknown>)[STEP_INSTANCE] = instance;
  return spec;
}

/** A spec as given, or the spec of an instance. */
export function toSpec<S extends StepSpec>(input: S | StepInstance): S {
  return (isStepInstance(input) ? specOfInstance(input) : input) as S;
}

/** The instance a spec was made from, if it was. */
export function instanceOf(spec: StepSpec): object | undefined {
  return (spec as Record<symbol, unknown>)[STEP_INSTANCE] as object | undefined;
}
