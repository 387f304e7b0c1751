export { newFunction, ServingFunction, type FunctionOptions, type BuildOptions, type ModelRouteSpec } from './function';
export type { Topology } from './function';
export { BaseRouter, ModelRouter, ROUTER_DEFAULTS, type RouterOptions, type ResolvedRoute } from './router';
export { RouterSpec, buildStep, MAX_ROUTES } from './topology';
export { registerClass, registeredClass, resolveClass, type Namespace } from './registry';
export { STEP_OPTION_KEYS, classArgsOf, specToDict, type GraphStep, type StepClass, type StepSpec } from './step';
export type { StepDict } from './step';
export { ServingResponse, isServingResponse } from './response';
export { createContext, consoleLogger, silentLogger } from './context';
export type { ServingContext, ServingLogger, TrackingRecord } from './context';
export { getIn, updateIn } from './paths';
export { FlowSpec, FlowStep, type StepInput } from './flow-spec';
export { FlowRunner } from './flow-runner';
export { Merge, MERGE_DEFAULTS, type MergeOptions } from './flow-merge';
export { FLOW_DEFAULTS } from './flow-types';
export type {
  FlowEngine,
  FlowOptions,
  FlowDict,
  FlowStepDict,
  FlowStepSpec,
  StepHandler,
  TaskClass,
} from './flow-types';
export type { FlowAware } from './flow-task';
export { flowFromDict, graphFromDict, routerFromDict, parseGraphText, toYaml, type FunctionDict } from './flow-dict';
export { flowToDot, routerToDot, renderSvg } from './flow-plot';
export { functionFromDict } from './function';
