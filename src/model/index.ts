export { V2ModelServer } from './v2-model-server';
export { splitKey } from './model-key';
export { OnnxModelServer, ONNX_PLATFORM, ONNX_SESSION_KEYS, type OnnxModelServerOptions } from './onnx-model-server';
export { formatTimestamp, newEventId } from './envelope';
export { MODEL_SERVER_DEFAULTS } from './types';
export type {
  ModelRequest,
  PredictRequest,
  TensorRequest,
  TensorMetadata,
  DeclaredMetadata,
  ModelResponse,
  ModelSpec,
  ModelMetadata,
  ModelFiles,
  FeatureSpec,
  LoadMode,
  ModelServerOptions,
  PredictOptions,
} from './types';
