/**
 * InferenceSession: one loaded ONNX model in the native engine.
 *
 * Inputs are validated here, before anything reaches C++ (names, datatypes, shapes, data lengths).
 * `run` never blocks the JS thread: the request is copied into the engine's queue, a scheduler thread
 * of the addon forms batches and runs them, and the promise settles from a thread-safe function. A tiny
 * model is the exception (SessionOptions.inlineRunMicros): the wake runs its batches on the JS thread and
 * settles them at once.
 *
 * The scheduler is woken once per turn of the event loop (setImmediate), not once per request: the
 * requests that arrived in one turn (every socket read by one poll) are then in the queue together and
 * go as one batch, one thread wake-up and one completion callback. A tiny model otherwise runs each
 * request alone, its runner woken before the next request is read.
 */
import type { Cancellation } from '../src/cancellation';
import { BadRequestError, CancelledError, DisposedError, InvalidOptionError, InvalidTensorError } from '../src/errors';
import {
  DATATYPE_INFO,
  type Datatype,
  type Tensor,
  type TensorData,
  elementCount,
  isDatatype,
  matchesDatatype,
} from './datatypes';
import { runSettled, runStarted, spinFollows } from './event-loop-spin';
import { type NativeInputs, type NativeOutputs, type NativeSession, loadAddon } from './loader';
import { type ResolvedSessionOptions, type SessionOptions, resolveSessionOptions } from './options';

/** What a model declares for one input or output. */
export interface TensorInfo {
  name: string;
  /** OIP datatype; undefined when the element type has no OIP equivalent (e.g. complex, FP8). */
  datatype: Datatype | undefined;
  /** ONNX element type name as ORT reports it, e.g. 'float', 'int64'. */
  onnxType: string;
  /** -1 for a dynamic dimension. */
  shape: number[];
}

export interface RunOptions {
  /** Per-request timeout from enqueue to completion, ms; overrides the session default; 0 = none. */
  timeoutMs?: number;
  /**
   * Aborting it gives the request up: still queued, it leaves the queue unrun and the promise rejects
   * with CancelledError; already running, the run completes and its result is only dropped by the caller.
   */
  signal?: AbortSignal;
  /** The same as `signal`, in the cheaper form graphserve's servers use (src/cancellation.ts). */
  cancellation?: Cancellation;
}

export interface SessionStats {
  requests: number;
  batches: number;
  /** Of the batches, those run on the JS thread (SessionOptions.inlineRunMicros). */
  inlineBatches: number;
  /** Rows per run → number of runs. */
  batchSizes: Record<string, number>;
  /** Requests that completed with an error (including timeouts and queue-full rejections). */
  failed: number;
  timedOut: number;
  rejected: number;
  /** Requests taken out of the queue unrun because their signal aborted (see RunOptions.signal). */
  cancelled: number;
  /** Zero rows added to batches (BatchingOptions.padBatches). */
  paddedRows: number;
  queued: number;
  inFlight: number;
  /** Cumulative microseconds requests spent queued, and runs spent computing. */
  queueMicros: number;
  computeMicros: number;
  /** Rows batches are capped at now: maxBatchSize, or less where smaller batches measured cheaper per row. */
  batchCap: number;
  /** True when outputs reach JS as external ArrayBuffers over ORT memory (no copy). */
  zeroCopyOutputs: boolean;
}

/** Largest dimension or element count accepted from a caller before it reaches C++. */
const MAX_ELEMENTS = 2 ** 31;

export class InferenceSession {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly options: Readonly<ResolvedSessionOptions>;
  /** Execution providers actually in use, in order (e.g. ['cpu'] after a CUDA fallback). */
  readonly providers: readonly string[];
  /** Whether requests are batched along dim 0 (dynamic first dim on every input and batching on). */
  readonly batching: boolean;
  /** Warnings from loading, e.g. a provider fallback (also emitted as process warnings). */
  readonly warnings: readonly string[];
  readonly #native: NativeSession;
  readonly #inputsByName: Map<string, TensorInfo>;
  #disposed = false;
  #nextId = 1;
  /**
   * A run's outputs: its flat native outputs (see NativeOutputs) named from the model's output metadata.
   * The run no longer counts as in flight (./event-loop-spin.ts).
   */
  readonly #settled = (flat: NativeOutputs): Record<string, Tensor> => {
    runSettled(this.#spinAfter);
    const result: Record<string, Tensor> = {};
    const outputs = this.outputs;
    for (let o = 0; o < outputs.length; o++) {
      const info = outputs[o]!;
      const datatype = (info.datatype ?? 'UNSUPPORTED') as Datatype;
      setTensor(result, info.name, { datatype, shape: flat[2 * o] as number[], data: flat[2 * o + 1] as TensorData });
    }
    return result;
  };
  /** A run that failed: it no longer counts as in flight (./event-loop-spin.ts). */
  readonly #failed = (err: unknown): never => {
    runSettled(this.#spinAfter);
    throw err;
  };
  /** A wake of the scheduler is due at the end of this turn of the event loop. */
  #wakeDue = false;
  /** The last wake ran its batches on the JS thread (a tiny model), and few: its answers start a spin. */
  #spinAfter = false;
  readonly #wake = (): void => {
    this.#wakeDue = false;
    this.#spinAfter = spinFollows(this.#native.wake());
  };

  private constructor(native: NativeSession, options: ResolvedSessionOptions) {
    this.#native = native;
    this.options = Object.freeze(options);
    this.inputs = Object.freeze(native.inputs.map(toInfo));
    this.outputs = Object.freeze(native.outputs.map(toInfo));
    this.providers = Object.freeze([...native.providers]);
    this.batching = native.batching;
    this.warnings = Object.freeze([...native.warnings]);
    this.#inputsByName = new Map(this.inputs.map((i) => [i.name, i]));
  }

  /**
   * Loads a model from a file path or its bytes. Loading runs off the JS thread. Rejects with
   * ModelLoadError (bad file), ProviderError (requested provider unavailable with no 'cpu' fallback)
   * or InvalidOptionError.
   */
  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
    const resolved = resolveSessionOptions(options);
    if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
      throw new InvalidOptionError('model must be a file path or a Uint8Array of ONNX bytes');
    }
    const addon = loadAddon();
    const native = await addon.createSession(model, resolved);
    for (const warning of native.warnings) process.emitWarning(warning, { code: 'GRAPHSERVE_PROVIDER' });
    return new InferenceSession(native, resolved);
  }

  /**
   * Runs the model on one request. `inputs` maps every model input name to a tensor. With batching,
   * the request may be run together with others; its outputs are exactly its own rows.
   * Rejects with InvalidTensorError (bad input), QueueFullError, TimeoutError, DisposedError or
   * ModelError (the run failed).
   */
  run(inputs: Record<string, Tensor>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    let checked: NativeInputs;
    let timeoutMs: number;
    try {
      if (this.#disposed) throw new DisposedError('the session is disposed');
      checked = this.#check(inputs);
      timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
        throw new BadRequestError(`timeoutMs must be a non-negative integer, got ${String(timeoutMs)}`);
      }
      if (options.signal?.aborted || options.cancellation?.aborted) {
        throw new CancelledError('the request was cancelled before it was queued');
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextId++;
    const running = this.#native.run(checked, timeoutMs, id, true);
    runStarted();
    if (!this.#wakeDue) {
      this.#wakeDue = true;
      setImmediate(this.#wake);
    }
    const { signal, cancellation } = options;
    if (signal === undefined && cancellation === undefined) return running.then(this.#settled, this.#failed);
    const cancel = (): boolean => this.#native.cancel(id);
    signal?.addEventListener('abort', cancel, { once: true });
    const forgetCancellation = cancellation?.onAbort(cancel);
    const forget = (): void => {
      signal?.removeEventListener('abort', cancel);
      forgetCancellation?.();
    };
    return running.then(
      (outs) => {
        forget();
        return this.#settled(outs);
      },
      (err: unknown) => {
        forget();
        return this.#failed(err);
      },
    );
  }

  stats(): SessionStats {
    return this.#native.stats();
  }

  /**
   * Stops the engine for this model. Every queued or running request settles (a result if its run had
   * started, DisposedError otherwise) before the returned promise resolves. Idempotent.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#native.dispose();
  }

  #check(inputs: Record<string, Tensor>): NativeInputs {
    if (inputs === null || typeof inputs !== 'object') {
      throw new InvalidTensorError('inputs must be an object mapping input names to tensors');
    }
    for (const name of Object.keys(inputs)) {
      if (!this.#inputsByName.has(name)) {
        throw new InvalidTensorError(
          `unknown input '${name}'; the model's inputs are: ${this.inputs.map((i) => i.name).join(', ')}`,
        );
      }
    }
    const out: NativeInputs = [];
    let rows: number | undefined;
    for (const info of this.inputs) {
      const t = Object.hasOwn(inputs, info.name) ? inputs[info.name] : undefined; // never an inherited member
      if (t === undefined) throw new InvalidTensorError(`missing input '${info.name}'`);
      checkTensor(info, t);
      if (this.batching) {
        const r = t.shape[0] as number;
        if (rows !== undefined && r !== rows) {
          throw new InvalidTensorError(
            `inputs disagree on the batch dimension: '${info.name}' has ${r} rows, others have ${rows}`,
          );
        }
        rows = r;
      }
      out.push(t.shape, t.data);
    }
    return out;
  }
}

/**
 * Sets `tensors[name]` as an own property, whatever the name: a tensor named '__proto__' is a key like
 * any other, never the object's prototype (a plain assignment would set that). Plain objects, not
 * null-prototype ones, for V8's fast property access on every request.
 */
export function setTensor(tensors: Record<string, Tensor>, name: string, tensor: Tensor): void {
  if (name === '__proto__') Object.defineProperty(tensors, name, { value: tensor, enumerable: true });
  else tensors[name] = tensor;
}

function toInfo(i: { name: string; datatype: string; onnxType: string; shape: number[] }): TensorInfo {
  return {
    name: i.name,
    datatype: isDatatype(i.datatype) ? i.datatype : undefined,
    onnxType: i.onnxType,
    shape: i.shape,
  };
}

/**
 * Checks one tensor against what the model declares; throws InvalidTensorError saying what is wrong.
 * A dynamic dimension must be at least 1: empty tensors (a 0 where the model does not declare one,
 * e.g. an empty batch) are refused before they reach ONNX Runtime.
 */
export function checkTensor(info: TensorInfo, t: Tensor): void {
  const where = `input '${info.name}'`;
  if (t === null || typeof t !== 'object') throw new InvalidTensorError(`${where} must be a tensor object`);
  if (info.datatype === undefined) {
    throw new InvalidTensorError(`${where} has ONNX type ${info.onnxType}, which graphserve cannot feed`);
  }
  if (t.datatype !== info.datatype) {
    throw new InvalidTensorError(`${where} must be ${info.datatype}, got ${String(t.datatype)}`);
  }
  if (!Array.isArray(t.shape)) throw new InvalidTensorError(`${where}: shape must be an array of integers`);
  if (t.shape.length !== info.shape.length) {
    throw new InvalidTensorError(
      `${where} must have rank ${info.shape.length} (shape [${info.shape.join(', ')}]), got shape [${t.shape.join(', ')}]`,
    );
  }
  t.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > MAX_ELEMENTS) {
      throw new InvalidTensorError(`${where}: dimension ${i} must be an integer from 0 to 2^31, got ${String(d)}`);
    }
    const declared = info.shape[i] as number;
    if (declared >= 0 && d !== declared) {
      throw new InvalidTensorError(
        `${where}: dimension ${i} must be ${declared} (model shape [${info.shape.join(', ')}]), got ${d}`,
      );
    }
    // Operators disagree on empty tensors (some fail, some answer empty), and a batch would mix them.
    if (declared < 0 && d === 0) {
      throw new InvalidTensorError(
        `${where}: dimension ${i} is 0 (shape [${t.shape.join(', ')}]); empty tensors are not accepted`,
      );
    }
  });
  const count = elementCount(t.shape);
  if (count > MAX_ELEMENTS) throw new InvalidTensorError(`${where}: ${count} elements is more than 2^31`);
  checkData(where, t.datatype, t.data, count);
}

function checkData(where: string, datatype: Datatype, data: TensorData, count: number): void {
  if (!matchesDatatype(datatype, data)) {
    const expected = datatype === 'BYTES' ? 'an array of Buffers' : DATATYPE_INFO[datatype].array?.name;
    throw new InvalidTensorError(`${where}: ${datatype} data must be ${expected}`);
  }
  if (data.length !== count) {
    throw new InvalidTensorError(`${where}: shape holds ${count} elements but the data has ${data.length}`);
  }
}
