/** Public API of graphserve. */
export * from './errors';
export * from '../bindings/datatypes';
export { InferenceSession, type TensorInfo, type RunOptions, type SessionStats } from '../bindings/session';
export type { SessionOptions, BatchingOptions, ExecutionProvider, CudaProviderOptions } from '../bindings/options';
