/** The step contract every graph node implements (model servers, routers, flow steps), below both layers. */
export { registerClass, registeredClass, resolveClass, type Namespace } from './registry';
export { STEP_OPTION_KEYS, classArgsOf, specToDict, type GraphStep, type StepClass, type StepSpec } from './step';
export type { StepDict } from './step';
export { ServingResponse, isServingResponse } from './response';
export { createContext, consoleLogger, silentLogger } from './context';
export type { ServingContext, ServingLogger, TrackingRecord } from './context';
export { getIn, updateIn } from './paths';
export { isStepInstance, specOfInstance, instanceOptions, STEP_INSTANCE, type StepInstance } from './instance';
