export { BaseRouter, ModelRouter, ROUTER_DEFAULTS, type RouterOptions, type ResolvedRoute } from './router';
export { RouterSpec, buildStep, MAX_ROUTES } from './topology';
export { FlowSpec, FlowStep, type StepInput } from './flow/spec';
export { FlowRunner } from './flow/runner';
export { Merge, MERGE_DEFAULTS, type MergeOptions } from './flow/merge';
export { FLOW_DEFAULTS } from './flow/types';
export type {
  FlowEngine,
  FlowOptions,
  FlowDict,
  FlowStepDict,
  FlowStepSpec,
  StepHandler,
  TaskClass,
} from './flow/types';
export type { FlowAware } from './flow/task';
export { flowFromDict, graphFromDict, routerFromDict, parseGraphText, toYaml, type FunctionDict } from './flow/dict';
export { flowToDot, routerToDot, renderSvg } from './flow/plot';
