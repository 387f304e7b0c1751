/** Public API of graphserve. */
export * from './errors';
export * from '../bindings/datatypes';
export { InferenceSession, type TensorInfo, type RunOptions, type SessionStats } from '../bindings/session';
export type { SessionOptions, BatchingOptions, ExecutionProvider, CudaProviderOptions } from '../bindings/options';
export type { Event, EventResponse } from './server/event';
export type { InferRequest, InferResponse, NamedTensor, RequestedOutput, Parameters } from './protocol/types';
