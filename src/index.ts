/**
 * Public API of graphserve. Loading it registers every built-in step class by name (each module registers
 * its own on load): V2ModelServer, OnnxModelServer, ModelRouter ('*'), VotingEnsemble, ParallelRun, Merge,
 * RemoteStep ('$remote') and BatchHttpRequests, so `{ className: 'OnnxModelServer' }` resolves for every user.
 */
export * from './errors';
export { Cancellation } from './cancellation';
export { setRequestIdScope, REQUEST_ID_SCOPES, type RequestIdScope } from './logging';
export * from '../bindings/datatypes';
export { InferenceSession, type TensorInfo, type RunOptions, type SessionStats } from '../bindings/session';
export type { SessionOptions, BatchingOptions, ExecutionProvider, CudaProviderOptions } from '../bindings/options';
export { HTTP_TRIGGER, answersNotReadyAtOnce, type Event, type EventResponse, type EventTrigger } from './event';
export type { InferRequest, InferResponse, NamedTensor, RequestedOutput, Parameters } from './protocol/types';
export * from './model';
export * from './step';
export * from './graph';
export * from './function';
export {
  GraphServer,
  EVENT_ID_HEADER,
  EVENT_PATH_HEADER,
  kDefaultGraphServerOptions,
  type GraphServerOptions,
} from './graph-server/graph-server';
export { MockServer, MockServerError, type MockResponse, type TestOptions } from './server/mock-server';
export type { HttpOptions, RunningServer } from './server/http/http';
export { serveGrpc, kDefaultGrpcOptions, type GrpcOptions, type RunningGrpcServer } from './server/grpc/grpc';
export { guardProcess, type UncaughtKind } from './server/process-guard';
export {
  StreamTrigger,
  type StreamTriggerMode,
  type StreamTriggerOptions,
  type StreamTriggerStats,
} from './server/stream/stream-trigger';
export { StreamPool, kDefaultStreamOptions, parseStreamUrl, type StreamAddress, type StreamOptions } from './streams';
export * from './graph/ensemble';
export * from './remote';
