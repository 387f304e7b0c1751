/**
 * OnnxModelServer: the built-in model server for ONNX files, run by the native engine
 * (bindings/session.ts) with its dynamic batching.
 *
 * It answers both request dialects:
 *   - OIP tensors (JSON or binary): every model input by name, typed as the model declares; the outputs
 *     are answered as OIP tensors (all of them, or those the request lists in `outputs`). A model with
 *     no inputs is called with `{"inputs": []}`;
 *   - MLRun style, for a single-input model: `{"inputs": <nested list>}`; the shape is the nesting, the
 *     element type the model's. The outputs are nested lists: the list itself for a single-output model,
 *     `{<output name>: list}` otherwise. With the `labels` parameter (a list of class names, e.g. in
 *     model-settings.json's `parameters`), every 1-D integer output (a class index per row) is answered
 *     as those names; an index outside the list is a 500 naming the model. OIP answers stay typed tensors;
 *     the labels name the classes of an output requested with `classification` (Triton's label file).
 * Metadata (`GET /v2/models/<m>`) reports the model's OIP datatypes and shapes (-1 for dynamic dims).
 *
 * Session options come from getParam() (class args, then the model spec's parameters, then function
 * parameters): batching, executionProviders, intraOpThreads, interOpThreads, instances, timeoutMs,
 * graphOptimizationLevel.
 */
import type { Tensor } from '../../bindings/datatypes';
import type { SessionOptions } from '../../bindings/options';
import { InferenceSession, setTensor, type RunOptions, type TensorInfo } from '../../bindings/session';
import { BadRequestError, ModelError, NotReadyError } from '../errors';
import { registerClass } from '../step/registry';
import { isTensorList, tensorFromNested } from '../protocol';
import { elementsToJson } from '../protocol/elements';
import type { NamedTensor } from '../protocol/types';
import type { ModelMetadata, ModelRequest, ModelServerOptions, PredictOptions } from './types';
import { V2ModelServer } from './v2-model-server';

/** The session option keys read with getParam(), passed to InferenceSession.create as they are. */
export const ONNX_SESSION_KEYS = Object.freeze([
  'batching',
  'executionProviders',
  'intraOpThreads',
  'interOpThreads',
  'instances',
  'timeoutMs',
  'graphOptimizationLevel',
  'cpuMemArena',
  'spinning',
  'inlineRunMicros',
] as const);

export interface OnnxModelServerOptions extends ModelServerOptions, SessionOptions {}

/** Platform string reported in metadata (Triton's name for the ONNX Runtime backend). */
export const ONNX_PLATFORM = 'onnxruntime_onnx';

/** A nested JS list of `shape` over flat values (row-major). */
function nest(flat: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  let level: unknown[] = [...flat];
  for (let d = shape.length - 1; d > 0; d--) {
    const size = shape[d]!;
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i += size) next.push(level.slice(i, i + size));
    level = next;
  }
  return level;
}

/** The engine's run options for a predict call: its cancellation takes queued work back when the request is given up. */
function runOptions(options: PredictOptions): RunOptions {
  return options.cancellation === undefined ? {} : { cancellation: options.cancellation };
}

function tensorMeta(info: TensorInfo): { name: string; datatype: string; shape: number[] } {
  return { name: info.name, datatype: info.datatype ?? info.onnxType, shape: [...info.shape] };
}

/** A 1-D integer output: one class index per row. */
function isClassIndex(t: Tensor): boolean {
  return t.shape.length === 1 && /^U?INT\d+$/.test(t.datatype);
}

export class OnnxModelServer extends V2ModelServer {
  /** The engine session; set by load(), released by dispose(). */
  session: InferenceSession | undefined;

  constructor(options: OnnxModelServerOptions = {}) {
    super(options);
  }

  /** The session options for this model, from getParam() (see the file comment). */
  sessionOptions(): SessionOptions {
    const options: Record<string, unknown> = {};
    for (const key of ONNX_SESSION_KEYS) {
      const value = this.getParam<unknown>(key);
      if (value !== undefined) options[key] = value;
    }
    return options as SessionOptions;
  }

  /** Resolves the .onnx file (local, file:// or http(s)://) and creates its engine session. */
  override async load(): Promise<void> {
    if (this.modelPath && /^https?:\/\//i.test(this.modelPath)) {
      this.context.logger.info(`model ${this.name}: fetching ${this.modelPath} (downloaded once into the cache)`);
    }
    const { modelFile } = await this.getModel('.onnx');
    this.session = await InferenceSession.create(modelFile, this.sessionOptions());
    this.model = this.session;
  }

  override predict(request: ModelRequest, options: PredictOptions = {}): Promise<unknown> {
    // Not async: the promise of the run is handed on as it is (an async function returning a promise
    // costs two more microtask turns to adopt it).
    let session: InferenceSession;
    try {
      session = this.requireSession();
      if (session.inputs.length === 0 && request.inputs.length > 0) {
        throw new BadRequestError(`model ${this.name} takes no inputs; send {"inputs": []}`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (isTensorList(request.inputs)) return this.runTensors(session, request.inputs, options);
    if (request.inputs.length === 0) return this.runTensors(session, [], options);
    return this.runPlain(session, request.inputs, options);
  }

  override metadata(): ModelMetadata {
    const meta: ModelMetadata = {
      name: this.name,
      version: this.version,
      platform: ONNX_PLATFORM,
      inputs: this.session?.inputs.map(tensorMeta) ?? [],
      outputs: this.session?.outputs.map(tensorMeta) ?? [],
    };
    if (this.version) meta['versions'] = [this.version];
    return meta;
  }

  /** Releases the engine session; queued requests settle first (see InferenceSession.dispose). */
  async dispose(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.ready = false;
    await session?.dispose();
  }

  private requireSession(): InferenceSession {
    if (!this.session) throw new NotReadyError(`model ${this.name} has no loaded session`);
    return this.session;
  }

  /** OIP dialect: inputs by name; outputs as NamedTensors in the model's output order. */
  private async runTensors(
    session: InferenceSession,
    inputs: NamedTensor[],
    options: PredictOptions,
  ): Promise<NamedTensor[]> {
    const feeds: Record<string, Tensor> = {};
    // An input named '__proto__' stays a key (and is reported as unknown): see setTensor.
    for (const t of inputs) setTensor(feeds, t.name, { datatype: t.datatype, shape: t.shape, data: t.data });
    const results = await session.run(feeds, runOptions(options));
    return session.outputs
      .filter((info) => results[info.name] !== undefined)
      .map((info) => {
        const { datatype, shape, data } = results[info.name]!;
        return { name: info.name, datatype, shape, data };
      });
  }

  /** The `labels` parameter: class names by index, or undefined when not set. */
  override classLabels(): readonly string[] | undefined {
    const labels = this.getParam<unknown>('labels');
    if (labels === undefined) return undefined;
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
      throw new ModelError(`model ${this.name}: the labels parameter must be a list of strings`);
    }
    return labels as string[];
  }

  private toLabels(indices: unknown[], labels: readonly string[]): string[] {
    return indices.map((i) => {
      const label = typeof i === 'number' || typeof i === 'bigint' ? labels[Number(i)] : undefined;
      if (label === undefined) throw new ModelError(`model ${this.name}: class ${String(i)} has no label`);
      return label;
    });
  }

  /** MLRun dialect: the whole `inputs` list is the one input tensor. */
  private async runPlain(session: InferenceSession, inputs: unknown[], options: PredictOptions): Promise<unknown> {
    if (session.inputs.length !== 1) {
      const names = session.inputs.map((i) => i.name).join(', ');
      throw new BadRequestError(
        `model ${this.name} has ${session.inputs.length} inputs (${names}); send OIP tensors ({name, datatype, shape, data}) for each`,
      );
    }
    const info = session.inputs[0]!;
    if (info.datatype === undefined) {
      throw new BadRequestError(`input '${info.name}' has ONNX type ${info.onnxType}, which graphserve cannot feed`);
    }
    const tensor = tensorFromNested(inputs, info.datatype, `input '${info.name}'`);
    const results = await session.run({ [info.name]: tensor }, runOptions(options));
    const labels = this.classLabels();
    const lists = session.outputs.map((o) => {
      const t = results[o.name]!;
      const values = nest(elementsToJson(t.datatype, t.data).data, t.shape);
      return [o.name, labels && isClassIndex(t) ? this.toLabels(values as unknown[], labels) : values] as const;
    });
    return lists.length === 1 ? lists[0]![1] : Object.fromEntries(lists);
  }
}

registerClass('OnnxModelServer', OnnxModelServer);
