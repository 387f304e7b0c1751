/**
 * V2ModelServer: the base class of user models (MLRun's V2ModelServer). Subclass it and override
 * load() and predict(); the other hooks are optional. Every hook may be async.
 *
 * Request handling (doEvent) follows MLRun: the operation comes from the path (set by the router) or
 * the body's `operation`; predict/infer/explain run the pipeline
 *   readiness check → [OIP decode] → preprocess → validate → predict|explain → envelope → postprocess;
 * `GET` with no operation answers metadata, `GET ready` readiness, and `op_<name>(event)` methods are
 * custom operations.
 */
import { splitKey } from './model-key';
import type { Cancellation } from '../cancellation';
import { BadRequestError, GraphServeError, InvalidOptionError, MethodNotAllowedError } from '../errors';
import { ModelError, ModelLoadError, NotFoundError, NotReadyError } from '../errors';
import { createContext, type ServingContext } from '../step/context';
import { getIn, isPlainObject, updateIn } from '../step/paths';
import { ServingResponse } from '../step/response';
import type { GraphStep } from '../step/step';
import { registerClass } from '../step/registry';
import { isThenable } from '../step/thenable';
import {
  checkOutputTensors,
  decodeInferRequest,
  encodeInferResponse,
  isTensorRequest,
  looksLikeTensorList,
} from '../protocol';
import type { InferRequest, InferResponse } from '../protocol/types';
import type { Event, EventTrigger } from '../event';
import { waitForLoad } from './load-wait';
import { pushTrackingRecord } from './tracking';
import { declaredMetadata, modelMetadata } from './metadata';
import { buildEnvelope, checkInputs, dictInputsToLists, formatTimestamp, nowMillis } from './envelope';
import { checkSeconds } from '../durations';
import { resolveModelPath } from './get-model';
import { PREDICT_OPS, operationMethods, predictOptions, resolveOperation } from './operations';
import type {
  DeclaredMetadata,
  LoadMode,
  ModelFiles,
  ModelMetadata,
  ModelRequest,
  ModelServerOptions,
  ModelSpec,
  PredictOptions,
  PredictRequest,
} from './types';
import { MODEL_SERVER_DEFAULTS, MODEL_SERVER_OPTION_KEYS } from './types';
import { trimSlashes } from '../url-path';

/** The state of one request inside the pipeline. */
interface Call {
  id: string;
  op: string;
  /** The event's path without its slashes: the operation it names ('' for the model itself). */
  pathOp: string;
  started: number;
  /** Set when the request came in the OIP tensor dialect. */
  inferRequest?: InferRequest;
  /** The event's cancellation: aborts when the request is given up (see PredictOptions). */
  cancellation?: Cancellation;
  /** What delivered the event: a stream event waits for an async load (./load-wait.ts). */
  trigger?: EventTrigger;
}

export class V2ModelServer implements GraphStep {
  /** The model name (the part before ':' of the key). */
  readonly name: string;
  /** The version (after ':'), or ''. */
  readonly version: string;
  readonly modelPath: string | undefined;
  readonly protocol: string;
  readonly loadMode: LoadMode;
  readonly inputPath: string | undefined;
  readonly resultPath: string | undefined;
  /** This model's own request timeout, seconds (see ModelServerOptions.requestTimeout). */
  readonly requestTimeout: number | undefined;
  readonly context: ServingContext;
  /** The loaded model object: set it in load(), or pass `model` to the constructor. */
  model: unknown;
  /** The model spec found by getModel(), when there was one. */
  modelSpec: ModelSpec | undefined;
  /** True once load() has succeeded (or a model object was given). */
  ready = false;
  /** The load() failure in async mode: the model then stays not ready. */
  error: unknown;
  /** Values recorded with setMetric(); never reset, attached to tracking records. */
  readonly metrics: Record<string, unknown> = {};
  /** The class arguments this instance was built with (every option that is not a constructor option). */
  readonly classArgs: Readonly<Record<string, unknown>>;
  /** The metadata given as options (see metadata()). */
  readonly declared: Readonly<DeclaredMetadata>;
  private params: Record<string, unknown>;
  private readonly modelCacheDir: string;
  private loading: Promise<void> | undefined;

  constructor(options: ModelServerOptions = {}) {
    const [name, version] = splitKey(options.name ?? MODEL_SERVER_DEFAULTS.name);
    this.name = name;
    this.version = version;
    this.modelPath = options.modelPath;
    this.protocol = options.protocol ?? MODEL_SERVER_DEFAULTS.protocol;
    this.loadMode = options.loadMode ?? MODEL_SERVER_DEFAULTS.loadMode;
    this.inputPath = options.inputPath;
    this.resultPath = options.resultPath;
    this.requestTimeout =
      options.requestTimeout === undefined ? undefined : checkSeconds('requestTimeout', options.requestTimeout);
    this.modelCacheDir = options.modelCacheDir ?? MODEL_SERVER_DEFAULTS.modelCacheDir;
    this.context = options.context ?? createContext();
    this.model = options.model;
    this.declared = declaredMetadata(options);
    if (options.model !== undefined) this.ready = true;
    const args: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) {
      if (!MODEL_SERVER_OPTION_KEYS.includes(key)) args[key] = value;
    }
    this.classArgs = Object.freeze({ ...args });
    this.params = args;
  }

  // ---- hooks: override these ------------------------------------------------------------------

  /**
   * Loads the model (set `this.model`). Called once per instance by postInit(), before any predict in
   * 'sync' mode (a throw fails start-up), or in the background in 'async' mode (a throw leaves the model
   * not ready, with the error in `this.error`). The default throws unless a model object was given.
   */
  load(): void | Promise<void> {
    if (this.model === undefined) throw new InvalidOptionError('please specify a load method or a model object');
  }

  /**
   * Runs inference. Called once per request after validate(), only when the model is ready, and
   * concurrently for concurrent requests. Gets the request as sent (MLRun style), or, when the client sent
   * OIP tensors, a TensorRequest with them decoded (`request.dialect === 'oip'`; see PredictRequest). Its return value becomes `outputs` unchanged; a list of objects that all have
   * name, datatype, shape and data is answered as OIP outputs (data typed, or plain lists converted to
   * the datatype; an invalid one answers 500 naming the output). A throw answers with the error's status
   * (500 for plain errors).
   * `options.signal` (or `options.cancellation`) aborts when the request is given up (timeout, client
   * gone): stop work early then.
   */
  predict(_request: PredictRequest, _options?: PredictOptions): unknown {
    throw new ModelError(`${this.constructor.name} does not implement predict()`);
  }

  /**
   * Like predict(), for the explain operation; the response has no timestamp. A class that does not
   * override it has no explain operation: it answers 404.
   */
  explain(_request: PredictRequest, _options?: PredictOptions): unknown {
    throw new ModelError(`${this.constructor.name} does not implement explain()`);
  }

  /**
   * Transforms the request before validate(); `op` is the operation (infer, predict, explain, …).
   * Called once per predict/explain request, concurrently. Returns the request predict will get.
   */
  preprocess(request: ModelRequest, _op: string): ModelRequest | Promise<ModelRequest> {
    return request;
  }

  /**
   * Checks the request after preprocess(). Returns the (possibly changed) request; a throw answers 400
   * (or the status of a GraphServeError). The default requires an `inputs` list.
   */
  validate(request: ModelRequest, _op: string): ModelRequest | Promise<ModelRequest> {
    checkInputs(request);
    return request;
  }

  /**
   * Transforms the whole response (the MLRun envelope, or the OIP InferResponse) before it is sent.
   * Called once per predict/explain request, concurrently.
   */
  postprocess<R extends object>(response: R): R | Promise<R> {
    return response;
  }

  /**
   * With tracking on (a `monitor` in the context), chooses what is recorded for a request: return
   * `{inputs, outputs}` to record those instead of the request's inputs and the response's outputs.
   */
  loggedResults(_request: ModelRequest, _response: object, _op: string): { inputs: unknown; outputs: unknown } | void {
    return undefined;
  }

  /**
   * Model metadata (`GET /v2/models/<m>`): name, version, the `metadata` option's inputs, outputs and
   * platform (a class can pass its own to super()), else the model spec's features once getModel() has run.
   */
  metadata(): ModelMetadata | Promise<ModelMetadata> {
    return modelMetadata(this.name, this.version, this.declared, this.modelSpec);
  }

  // ---- helpers for subclasses -----------------------------------------------------------------

  /**
   * A parameter, looked up in MLRun's order: the class args (overridden by the model spec's
   * `parameters` once getModel() has run), then the function parameters, then `defaultValue`.
   */
  getParam<T = unknown>(key: string, defaultValue?: T): T {
    if (key in this.params) return this.params[key] as T;
    if (key in this.context.parameters) return this.context.parameters[key] as T;
    return defaultValue as T;
  }

  /**
   * Resolves `modelPath` to a local model file (downloading http(s) URLs once into the cache) and
   * loads the model spec beside it when present; `suffix` picks the file inside a folder without a spec.
   */
  async getModel(suffix = ''): Promise<ModelFiles> {
    if (!this.modelPath) throw new InvalidOptionError(`model ${this.name} has no modelPath`);
    const cacheDir = this.getParam('modelCacheDir', this.modelCacheDir);
    const files = await resolveModelPath(this.modelPath, suffix, cacheDir);
    if (files.modelSpec) {
      this.modelSpec = files.modelSpec;
      this.params = { ...this.params, ...(files.modelSpec.parameters ?? {}) };
    }
    return files;
  }

  /** Records a metric (kept for the life of the instance, attached to tracking records). */
  setMetric(name: string, value: unknown): void {
    this.metrics[name] = value;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Called by the graph once it is built: loads the model now ('sync') or in the background ('async'). */
  async postInit(): Promise<void> {
    if (this.ready) return;
    if (this.loadMode === 'async') {
      this.loading = this.runLoad().catch((err: unknown) => {
        this.error = err;
        this.context.logger.error(`failed to load model ${this.name}`, { error: String(err) });
      });
      return;
    }
    try {
      await this.runLoad();
    } catch (err) {
      throw new ModelLoadError(`failed to load model ${this.name}: ${(err as Error).message ?? err}`, { cause: err });
    }
  }

  private async runLoad(): Promise<void> {
    await this.load();
    this.ready = true;
  }

  isReady(): boolean {
    return this.ready;
  }

  async whenSettled(): Promise<void> {
    await this.loading;
  }

  // ---- events ---------------------------------------------------------------------------------

  /** Handles one event (see the file comment); called concurrently. Resolves to the new body. */
  async doEvent(event: Event): Promise<unknown> {
    const body = getIn(event.body, this.inputPath);
    const pathOp = trimSlashes(event.path);
    const { op, id } = resolveOperation(pathOp, event, body);
    const call: Call = { id, op, pathOp, started: nowMillis() };
    if (event.cancellation !== undefined) call.cancellation = event.cancellation;
    if (event.trigger !== undefined) call.trigger = event.trigger;
    const dispatched = this.dispatch(event, body, call);
    const result = isThenable(dispatched) ? await dispatched : dispatched;
    if (result instanceof ServingResponse || !this.resultPath) return result;
    return updateIn(event.body, this.resultPath, result);
  }

  /**
   * The methods a model path answers: inference operations POST, `ready` GET, the model itself GET
   * (metadata) and POST (inference, as MLRun), a custom `op_<name>` any; none for an unknown operation.
   */
  allowedMethods(path: string): readonly string[] {
    return operationMethods(trimSlashes(path), this.#isCustom);
  }

  readonly #isCustom = (op: string): boolean => this.customOperation(op) !== undefined;

  /** Answers the event's operation: a promise, or the answer itself when it is at hand (see ../step/thenable). */
  private dispatch(event: Event, body: unknown, call: Call): unknown {
    const { op, pathOp } = call;
    const methods = this.allowedMethods(pathOp);
    if (methods.length > 0 && !methods.includes(event.method)) {
      const what = pathOp ? `operation ${pathOp} of model ${this.name}` : `model ${this.name}`;
      throw new MethodNotAllowedError(`${what} takes ${methods.join(' or ')}, not ${event.method}`, { allow: methods });
    }
    if (PREDICT_OPS.includes(op)) return this.runPipeline(body, call, 'predict');
    if (op === 'explain') {
      if (this.explain === V2ModelServer.prototype.explain) {
        throw new NotFoundError(`model ${this.name} has no explain operation`);
      }
      return this.runPipeline(body, call, 'explain');
    }
    if (op === 'ready') {
      this.assertReady();
      return { name: this.name, ready: true };
    }
    if (op === '' && event.method === 'GET') {
      if (this.error !== undefined) this.assertReady(); // a failed load: 503 with its reason, not empty metadata
      return this.metadata();
    }
    const custom = this.customOperation(op);
    if (custom !== undefined) return custom.call(this, event);
    throw new NotFoundError(`illegal model operation ${op}, method=${event.method}`);
  }

  /** The `op_<name>` method of a custom operation, when this class has one. */
  private customOperation(op: string): ((event: Event) => unknown) | undefined {
    const method = /^\w+$/.test(op) ? (this as unknown as Record<string, unknown>)[`op_${op}`] : undefined;
    return typeof method === 'function' ? (method as (event: Event) => unknown) : undefined;
  }

  private assertReady(): void {
    if (this.ready) return;
    if (this.error !== undefined) {
      throw new NotReadyError(`model ${this.name} is not ready: ${(this.error as Error).message ?? this.error}`);
    }
    throw new NotReadyError(`model ${this.name} is not ready yet`);
  }

  private async runPipeline(body: unknown, call: Call, kind: 'predict' | 'explain'): Promise<unknown> {
    if (!this.ready) await waitForLoad(this.loading, call.trigger, call.cancellation);
    this.assertReady();
    let request = this.toRequest(body, call);
    const preprocessed = this.preprocess(request, call.op);
    request = isThenable(preprocessed) ? await preprocessed : preprocessed;
    const validated = this.runValidate(request, call.op);
    request = isThenable(validated) ? await validated : validated;
    let outputs: unknown;
    try {
      const options = predictOptions(call.cancellation);
      outputs = kind === 'predict' ? await this.predict(request, options) : await this.explain(request, options);
    } catch (err) {
      this.track(request, undefined, call, err);
      throw err;
    }
    if (looksLikeTensorList(outputs)) {
      const answer = this.answerTensors(request, checkOutputTensors(outputs, this.name), call);
      return isThenable(answer) ? await answer : answer;
    }
    const timestamp = kind === 'predict' ? formatTimestamp(call.started) : undefined;
    const envelope = buildEnvelope({ id: call.id, name: this.name, version: this.version, outputs }, timestamp);
    const response = await this.postprocess(envelope);
    this.track(request, response, call);
    return response;
  }

  /** The request predict will see: OIP tensor requests decoded, `*_dict` inputs turned into lists. */
  private toRequest(body: unknown, call: Call): ModelRequest {
    if (Buffer.isBuffer(body)) return { inputs: [body] }; // raw media (an image, audio …): the single input, as MLRun
    if (isTensorRequest(body)) {
      call.inferRequest = decodeInferRequest(body);
      Object.defineProperty(call.inferRequest, 'dialect', { value: 'oip' }); // TensorRequest: see PredictRequest
      return call.inferRequest as unknown as ModelRequest;
    }
    if (call.op.endsWith('_dict')) {
      if (!isPlainObject(body) || !('inputs' in body)) checkInputs(body);
      const request = body as ModelRequest;
      return { ...request, inputs: dictInputsToLists(request.inputs, this.modelSpec) };
    }
    return body as ModelRequest;
  }

  /** validate(), its failures answered 400 unless they carry a status of their own. */
  private runValidate(request: ModelRequest, op: string): ModelRequest | Promise<ModelRequest> {
    let validated: ModelRequest | Promise<ModelRequest>;
    try {
      validated = this.validate(request, op);
    } catch (err) {
      throw invalidRequest(err);
    }
    return isThenable(validated)
      ? Promise.resolve(validated).catch((err: unknown) => {
          throw invalidRequest(err);
        })
      : validated;
  }

  private answerTensors(
    request: ModelRequest,
    outputs: InferResponse['outputs'],
    call: Call,
  ): ServingResponse | Promise<ServingResponse> {
    const response: InferResponse = { model_name: this.name, id: call.id, outputs };
    if (this.version) response.model_version = this.version;
    const postprocessed = this.postprocess(response);
    return isThenable(postprocessed)
      ? Promise.resolve(postprocessed).then((r) => this.encodeTensors(request, r, call))
      : this.encodeTensors(request, postprocessed, call);
  }

  /** Class names by index, for outputs requested with `classification` (Triton's label file); none here. */
  classLabels(): readonly string[] | undefined {
    return undefined;
  }

  private encodeTensors(request: ModelRequest, response: InferResponse, call: Call): ServingResponse {
    this.track(request, response, call);
    const encoded = encodeInferResponse(response, call.inferRequest, this);
    return new ServingResponse(200, encoded.body, encoded.headers);
  }

  /** Pushes a tracking record when the context has a monitor; a monitor failure never fails the request. */
  private track(request: ModelRequest, response: object | undefined, call: Call, error?: unknown): void {
    if (!this.context.monitor) return; // loggedResults (user code) runs only for a record
    const { op, id, started } = call;
    let logged: ReturnType<V2ModelServer['loggedResults']> | undefined;
    try {
      logged = response ? this.loggedResults(request, response, op) : undefined;
    } catch (err) {
      this.context.logger.warn(`tracking failed for model ${this.name}`, { error: String(err) });
      return;
    }
    // pushTrackingRecord keeps a monitor's own failure from the request.
    const tracked = { model: this.name, version: this.version, op, id, started, metrics: this.metrics, logged };
    pushTrackingRecord(this.context, tracked, request, response, error);
  }
}

/** A failure of validate() as the request's fault (400), unless it carries a status of its own. */
function invalidRequest(err: unknown): GraphServeError {
  if (err instanceof GraphServeError) return err;
  return new BadRequestError(err instanceof Error ? err.message : String(err), { cause: err });
}

registerClass('V2ModelServer', V2ModelServer);
