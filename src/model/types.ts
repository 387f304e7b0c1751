/**
 * The shapes V2ModelServer works with: its options, MLRun-style requests and responses, model specs
 * (the metadata stored next to a model) and model metadata answers.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cancellation } from '../cancellation';
import type { ServingContext } from '../step/context';
import type { InferRequest } from '../protocol/types';

/**
 * An MLRun-style request as sent by the client: `inputs` is any JSON. (preprocess() and validate() also get
 * OIP requests typed this way: see PredictRequest for the two shapes.)
 */
export interface ModelRequest<T = unknown> {
  /** Absent in the MLRun dialect: 'oip' marks a TensorRequest (see PredictRequest). */
  dialect?: undefined;
  id?: string;
  inputs: T[];
  parameters?: Record<string, unknown>;
  outputs?: unknown[];
  [key: string]: unknown;
}

/**
 * An Open Inference Protocol request (a list of `{name, datatype, shape, data}` inputs, JSON or binary),
 * decoded: every input's `data` is a TypedArray (BigInt64Array for INT64, Buffers for BYTES) in the
 * datatype the client named. `dialect` is 'oip' (not enumerable: it is not part of the request).
 */
export interface TensorRequest extends InferRequest {
  readonly dialect: 'oip';
}

/**
 * What predict() and explain() get: a TensorRequest when the client sent OIP tensors (`inputs` a list of
 * `{name, datatype, shape, data}`), else the ModelRequest as sent (the MLRun dialect). Tell them apart
 * with `request.dialect === 'oip'`:
 *
 *     predict(request: PredictRequest<number[]>) {
 *       if (request.dialect === 'oip') return request.inputs.map((t) => ({ ...t, name: 'out' }));
 *       return request.inputs.map((row) => row.length); // row: number[]
 *     }
 */
export type PredictRequest<T = unknown> = ModelRequest<T> | TensorRequest;

/** The MLRun response envelope. Key order is part of the format: id, model_name, outputs, timestamp, model_version. */
export interface ModelResponse {
  id: string;
  model_name: string;
  outputs: unknown;
  /** Request start, UTC, `YYYY-MM-DD HH:MM:SS.ffffff+00:00`; absent from explain responses. */
  timestamp?: string;
  /** Present only when the model has a version. */
  model_version?: string;
  [key: string]: unknown;
}

/** One feature of a model spec (MLRun's `{name, value_type}`), or a tensor description. */
export interface FeatureSpec {
  name: string;
  value_type?: string;
  [key: string]: unknown;
}

/** Model metadata stored beside a model (`model_spec.yaml` or `.json`, MLRun's field names). */
export interface ModelSpec {
  model_file?: string;
  framework?: string;
  inputs?: FeatureSpec[];
  outputs?: FeatureSpec[];
  /** Merged into the class args by getModel(), overriding them (see getParam). */
  parameters?: Record<string, unknown>;
  /** Extra files: key → path relative to the model folder. */
  extra_data?: Record<string, string>;
  [key: string]: unknown;
}

/** One input or output in model metadata (OIP's tensor metadata): -1 for a dynamic dimension. */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: readonly number[];
  parameters?: Record<string, unknown>;
}

/** The metadata a model server declares (ModelServerOptions.metadata). */
export interface DeclaredMetadata {
  inputs?: readonly TensorMetadata[];
  outputs?: readonly TensorMetadata[];
  /** Triton's `platform` (e.g. 'onnxruntime_onnx'); free text. */
  platform?: string;
}

/** What `GET /v2/models/<m>[/versions/<v>]` answers. */
export interface ModelMetadata {
  name: string;
  version: string;
  inputs: unknown[];
  outputs: unknown[];
  platform?: string;
  [key: string]: unknown;
}

/** What getModel() resolves to. */
export interface ModelFiles {
  /** Absolute local path of the model file (downloaded into the cache for http(s) URLs). */
  modelFile: string;
  /** The model spec when one was found beside the model. */
  modelSpec?: ModelSpec;
  /** Absolute local paths of the spec's extra_data entries. */
  extraData: Record<string, string>;
}

/** 'sync': load() runs during start-up and a failure fails start-up. 'async': load() runs in the background. */
export type LoadMode = 'sync' | 'async';

export interface ModelServerOptions {
  /** 'name' or 'name:version'. */
  name?: string;
  /** A local file or folder, a file:// URL, or an http(s):// URL of a file. */
  modelPath?: string;
  /** A ready model object: the server is ready at once and the default load() does nothing. */
  model?: unknown;
  /** 'v2' (default): requests carry `inputs`. */
  protocol?: string;
  loadMode?: LoadMode;
  inputPath?: string;
  resultPath?: string;
  /** Where http(s) models are downloaded; default `<tmpdir>/graphserve-models`. */
  modelCacheDir?: string;
  /**
   * Longest a request to this model may take, queueing included, seconds; 0 = no limit. Replaces the
   * server's `requestTimeout` (GraphServerOptions) for this model's routes.
   */
  requestTimeout?: number;
  /**
   * What `GET /v2/models/<m>` says about the model: its inputs and outputs, e.g.
   * `{inputs: [{name: 'x', datatype: 'FP32', shape: [-1, 4]}], outputs: [...], platform: 'custom'}`.
   * A class may pass its own to super(). Without it, the model spec's features (getModel()).
   */
  metadata?: DeclaredMetadata;
  /** Injected by the graph. */
  context?: ServingContext;
  /** Any other key is a class argument, read with getParam(). */
  [classArg: string]: unknown;
}

export const MODEL_SERVER_DEFAULTS = Object.freeze({
  name: 'model',
  protocol: 'v2',
  loadMode: 'sync' as LoadMode,
  modelCacheDir: join(tmpdir(), 'graphserve-models'),
});

/** Constructor options that are not class arguments (getParam does not see them). */
export const MODEL_SERVER_OPTION_KEYS: readonly string[] = Object.freeze([
  'name',
  'modelPath',
  'model',
  'protocol',
  'loadMode',
  'inputPath',
  'resultPath',
  'modelCacheDir',
  'requestTimeout',
  'metadata',
  'context',
]);

/**
 * What predict() and explain() get beside the request. Both members abort when the request is given up
 * (its timeout passed, or the client left): its answer is sent already and whatever predict() returns
 * is dropped. Long work should stop then; the built-in ONNX server takes its queued engine work back.
 */
export interface PredictOptions {
  /** A standard AbortSignal (made when first read: pass it to fetch() and the like). */
  readonly signal?: AbortSignal;
  /** The same, cheaper: `cancellation.onAbort(fn)`, `cancellation.aborted`. */
  readonly cancellation?: Cancellation;
}
