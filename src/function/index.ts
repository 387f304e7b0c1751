/** The serving-function facade (MLRun's `new_function(kind="serving")`): builds graphs and hands them to a transport. */
export {
  newFunction,
  functionFromDict,
  ServingFunction,
  type FunctionOptions,
  type BuildOptions,
  type ModelRouteSpec,
  type Topology,
} from './function';
export { kDefaultTracking, type TrackingOptions } from './side-streams';
