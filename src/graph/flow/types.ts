/** Shared types and defaults of flow graphs (spec, runner, serialization and plots). */
import type { ServingContext } from '../../step/context';
import type { StepDict, StepSpec } from '../../step/step';

/**
 * 'async': branches run concurrently on copies of the event, the responder's output is the response.
 * 'sync': one start step, no branches; the response is the last step's output (or the responder's).
 */
export type FlowEngine = 'async' | 'sync';

export type FlowStepKind = 'task' | 'router' | 'queue' | 'error_step';

export interface FlowOptions {
  /** Default FLOW_DEFAULTS.engine; anything but 'sync' is async, as in MLRun. */
  engine?: FlowEngine;
}

export const FLOW_DEFAULTS = Object.freeze({ engine: 'async' as FlowEngine });

/** A flow step serialized with MLRun's field names. */
export interface FlowStepDict extends StepDict {
  on_error?: string;
}

/** A flow graph serialized with MLRun's field names. */
export interface FlowDict {
  kind: 'flow';
  engine?: FlowEngine;
  steps: Record<string, FlowStepDict>;
  on_error?: string;
}

/** A task step class: any class; its instances offer `do(body)`, `doEvent(event)` or the named handler. */
export type TaskClass = abstract new (...args: never[]) => object;

/**
 * A handler function: gets the body at inputPath (or the whole event with fullEvent) and the graph
 * context; its result (or what its promise resolves to) is written at resultPath.
 */
export type StepHandler = (input: never, context: ServingContext) => unknown;

/** A flow step spec: StepSpec with any class and handler functions that take the context. */
export interface FlowStepSpec extends Omit<StepSpec, 'className' | 'handler'> {
  className?: string | TaskClass;
  handler?: string | StepHandler;
}
