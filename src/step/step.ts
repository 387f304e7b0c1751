/**
 * Step specs (plain objects describing a graph node) and the runtime step interface. Specs are what
 * users write and what `toDict()` serializes; steps are what a built graph runs. Router, flow (issue 4)
 * and ensemble (issue 5) kinds all build from the same spec shape.
 */
import type { Event } from '../event';
import type { ServingContext } from './context';
import { camelArgs, resolveFunctionArgs, snakeArgs } from './mlrun-names';
import type { Namespace } from './registry';

/** A node of a built graph: anything a router can route to or a flow can run. */
export interface GraphStep {
  readonly name: string;
  /**
   * Runs one event. Called concurrently for concurrent requests. Resolves to the new body, or to a
   * ServingResponse that ends the request with its own status; rejects with a GraphServeError (or any
   * error, which GraphServer answers as a 500).
   */
  doEvent(event: Event): Promise<unknown>;
  /**
   * Like doEvent, but resolves only when all of the event's work in this process has ended (a flow's every
   * branch and publish), and rejects with any unhandled error of it, even after the response. Stream
   * triggers acknowledge an event after it. Without it, doEvent is used.
   */
  runToEnd?(event: Event): Promise<unknown>;
  /** Called once, after the whole graph is built and before the first event. A rejection fails start-up. */
  postInit?(): Promise<void>;
  /** Whether the step can serve events now (models: loaded). */
  isReady?(): boolean;
  /**
   * Resolves when background work started by postInit (async loads) has settled, whatever its outcome.
   * A flow also drains the events still running after their response, then rejects with their errors.
   */
  whenSettled?(): Promise<void>;
  /**
   * The HTTP methods `path` answers (OPTIONS and 405 answers list them); an empty list when the path is
   * not one of the step's. Without it, GET and POST.
   */
  allowedMethods?(path: string): readonly string[];
  /** The request timeout of `path`'s model in seconds, when it has its own (see ModelServerOptions). */
  requestTimeoutFor?(path: string): number | undefined;
}

/** Any class whose instances are steps; constructed with one options object (class args + injected keys). */
export type StepClass = abstract new (...args: never[]) => GraphStep;

/** A step spec. Keys that are not step options (STEP_OPTION_KEYS) are class arguments (MLRun's **class_args). */
export interface StepSpec {
  /** A constructor, or a name looked up in the namespace, then the registry; a leading '*' marks a router. */
  className?: string | StepClass;
  /** Step name; defaults to the route key. */
  name?: string;
  kind?: string;
  handler?: string | ((body: unknown) => unknown);
  after?: string | string[];
  before?: string | string[];
  fullEvent?: boolean;
  /** Dot path of the part of the body the step reads. */
  inputPath?: string;
  /** Dot path where the step writes its result into the body. */
  resultPath?: string;
  function?: string;
  responder?: boolean;
  [classArg: string]: unknown;
}

/** The keys of a spec that configure the step itself; every other key is a class argument. */
export const STEP_OPTION_KEYS: readonly string[] = Object.freeze([
  'className',
  'name',
  'kind',
  'handler',
  'after',
  'before',
  'fullEvent',
  'inputPath',
  'resultPath',
  'function',
  'responder',
]);

/** A step serialized with MLRun's field names. */
export interface StepDict {
  kind: string;
  class_name?: string;
  class_args?: Record<string, unknown>;
  handler?: string;
  name?: string;
  after?: string[];
  before?: string[];
  full_event?: boolean;
  input_path?: string;
  result_path?: string;
  function?: string;
  responder?: boolean;
  routes?: Record<string, StepDict>;
}

/** Splits a spec into its class arguments (every key that is not a step option). */
export function classArgsOf(spec: StepSpec): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (!STEP_OPTION_KEYS.includes(key) && value !== undefined) args[key] = value;
  }
  return args;
}

function asList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? [...value] : [value];
}

function classNameOf(ref: StepSpec['className']): string | undefined {
  if (ref === undefined || typeof ref === 'string') return ref;
  return ref.name;
}

/** Serializes a spec with MLRun's field names, built-in options in class args too (./mlrun-names.ts). */
export function specToDict(spec: StepSpec, kind = spec.kind ?? 'task'): StepDict {
  const dict: StepDict = { kind };
  const className = classNameOf(spec.className);
  if (className !== undefined) dict.class_name = className;
  const args = classArgsOf(spec);
  if (Object.keys(args).length > 0) dict.class_args = snakeArgs(args);
  if (typeof spec.handler === 'string') dict.handler = spec.handler;
  else if (spec.handler) dict.handler = spec.handler.name;
  if (spec.name !== undefined) dict.name = spec.name;
  const after = asList(spec.after);
  if (after) dict.after = after;
  const before = asList(spec.before);
  if (before) dict.before = before;
  if (spec.fullEvent !== undefined) dict.full_event = spec.fullEvent;
  if (spec.inputPath !== undefined) dict.input_path = spec.inputPath;
  if (spec.resultPath !== undefined) dict.result_path = spec.resultPath;
  if (spec.function !== undefined) dict.function = spec.function;
  if (spec.responder) dict.responder = true;
  return dict;
}

/**
 * The options object a step class is constructed with: its class args (MLRun's option names in camelCase,
 * function options named in a loaded spec taken from `namespace`: ./mlrun-names.ts) plus the keys the
 * graph injects.
 */
export function constructorArgs(
  spec: StepSpec,
  name: string,
  context: ServingContext,
  namespace: Namespace = {},
): Record<string, unknown> {
  const classArgs = resolveFunctionArgs(camelArgs(classArgsOf(spec)), namespace, name);
  const args: Record<string, unknown> = { ...classArgs, name, context };
  if (spec.inputPath !== undefined) args.inputPath = spec.inputPath;
  if (spec.resultPath !== undefined) args.resultPath = spec.resultPath;
  return args;
}
