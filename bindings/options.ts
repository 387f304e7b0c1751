/**
 * Session options: declared once, with one frozen defaults object and validation, so that C++ only
 * ever sees complete, checked values (see native/session_config.h).
 */
import { InvalidOptionError } from '../src/errors';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface CudaProviderOptions {
  name: 'cuda';
  /** CUDA device ordinal. */
  deviceId?: number;
  /** Limit of the CUDA memory arena, bytes; 0 = no limit. */
  gpuMemLimit?: number;
  /** cuDNN convolution algorithm search. */
  cudnnConvAlgoSearch?: 'EXHAUSTIVE' | 'HEURISTIC' | 'DEFAULT';
  /** Capture and replay CUDA graphs (fixed shapes only; one run at a time per session). */
  enableCudaGraph?: boolean;
}

export type ExecutionProvider = 'cpu' | 'cuda' | CudaProviderOptions | { name: 'cpu' };

export interface BatchingOptions {
  /** Largest batch (rows along dim 0) one run may take. */
  maxBatchSize?: number;
  /**
   * How long the oldest queued request may wait for more to join, microseconds. 0 = opportunistic:
   * a lone request runs at once; whatever queued while a run was busy forms the next batch.
   */
  maxQueueDelayMicros?: number;
  /** Batch sizes to prefer: a batch reaching one of them is sent at once, even before the delay. */
  preferredBatchSizes?: number[];
  /** Requests (not rows) that may wait in the queue; one more is rejected with QueueFullError. */
  maxQueueSize?: number;
  /**
   * Pad every batch with zero rows up to maxBatchSize (outputs keep only the requests' rows), so the
   * model always sees one shape. 'auto' (the default) pads when the session runs on CUDA: ONNX Runtime's
   * CUDA kernels (cuDNN convolutions) set themselves up again whenever the shape changes, which cost
   * 0.3-0.7 s a batch on an H200 with alternating batch sizes (bench/results/gpu.md); on a GPU a full
   * batch costs about what a small one does. On CPU padding only adds work.
   */
  padBatches?: boolean | 'auto';
  /**
   * Cap batches at the size that the session's own runs measure cheapest per row, from 1 up to
   * maxBatchSize (native/batch_tuner.h): on a CPU a convolutional model's batches of 2-4 rows can cost
   * half per row what batches of 32 do. Applies only when nothing else decides batch sizes: no queue
   * delay, no preferred sizes, no padding. The cap starts at maxBatchSize; `stats().batchCap` shows it.
   * Default true; false keeps every batch as large as the queue allows.
   */
  adaptiveBatchSize?: boolean;
}

export interface SessionOptions {
  /** ORT intra-op threads per run; 0 = ORT's default (one per physical core). */
  intraOpThreads?: number;
  /** ORT inter-op threads (parallel execution mode only); 0 = ORT's default. */
  interOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** In order of preference, e.g. ['cuda', 'cpu']: with 'cpu' listed, a missing CUDA falls back with a warning. */
  executionProviders?: ExecutionProvider[];
  /** Dynamic batching along dim 0; false = every request runs alone. Ignored when dim 0 is fixed. */
  batching?: BatchingOptions | false;
  /** Runs of this model that may execute concurrently (scheduler threads). */
  instances?: number;
  /** Default per-request timeout, milliseconds, from enqueue to completion; 0 = none. */
  timeoutMs?: number;
  /**
   * Keep ORT's CPU memory arena (faster; keeps peak memory). Default true, or false when the
   * environment sets GRAPHSERVE_CPU_MEM_ARENA=0 (the ASan run does, so ORT allocations are tracked).
   */
  cpuMemArena?: boolean;
  /**
   * ORT's pool threads always spin between the parallel sections of a run. With false (the default)
   * they stop the moment the last run returns, so an idle server leaves the cores to the JS event loop;
   * true keeps them spinning between runs too (lower latency on cores the server has to itself).
   */
  spinning?: boolean;
  /**
   * Microseconds: when each of the model's last 8 runs took at most this long, its batches run on the JS
   * thread at the end of the event loop's turn instead of on a scheduler thread (native/engine.h,
   * RunInline), for up to about this long per turn; a run that takes longer sends the next batches back to
   * the scheduler thread. For a tiny model the hand-off to another thread and back costs more than the
   * run itself. CPU only; 0 = never. Default 100.
   */
  inlineRunMicros?: number;
}

export interface ResolvedBatching {
  maxBatchSize: number;
  maxQueueDelayMicros: number;
  preferredBatchSizes: number[];
  maxQueueSize: number;
  padBatches: boolean | 'auto';
  adaptiveBatchSize: boolean;
}

export interface ResolvedSessionOptions {
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimizationLevel: GraphOptimizationLevel;
  executionProviders: Array<CudaProviderOptions | { name: 'cpu' }>;
  batching: ResolvedBatching | false;
  instances: number;
  timeoutMs: number;
  cpuMemArena: boolean;
  spinning: boolean;
  inlineRunMicros: number;
}

export const kDefaultBatching: Readonly<ResolvedBatching> = Object.freeze({
  maxBatchSize: 32, // rows
  maxQueueDelayMicros: 0, // µs; opportunistic
  preferredBatchSizes: [],
  maxQueueSize: 4096, // requests
  padBatches: 'auto', // pad on CUDA
  adaptiveBatchSize: true,
});

export const kDefaultSessionOptions: Readonly<ResolvedSessionOptions> = Object.freeze({
  intraOpThreads: 0, // ORT default
  interOpThreads: 0, // ORT default
  graphOptimizationLevel: 'all',
  executionProviders: [{ name: 'cpu' as const }],
  batching: kDefaultBatching,
  instances: 1,
  timeoutMs: 0, // ms; none
  cpuMemArena: true,
  spinning: false,
  inlineRunMicros: 100, // µs
});

const LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

function int(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function resolveProvider(p: ExecutionProvider): CudaProviderOptions | { name: 'cpu' } {
  const spec = typeof p === 'string' ? { name: p } : p;
  if (spec === null || typeof spec !== 'object' || (spec.name !== 'cpu' && spec.name !== 'cuda')) {
    throw new InvalidOptionError(`executionProviders: unknown provider ${JSON.stringify(p)}; known: 'cpu', 'cuda'`);
  }
  if (spec.name === 'cpu') return { name: 'cpu' };
  const cuda = spec as CudaProviderOptions;
  const search = cuda.cudnnConvAlgoSearch ?? 'EXHAUSTIVE';
  if (!['EXHAUSTIVE', 'HEURISTIC', 'DEFAULT'].includes(search)) {
    throw new InvalidOptionError(`cudnnConvAlgoSearch must be EXHAUSTIVE, HEURISTIC or DEFAULT`);
  }
  return {
    name: 'cuda',
    deviceId: int('cuda deviceId', cuda.deviceId ?? 0, 0, 1024),
    gpuMemLimit: int('cuda gpuMemLimit', cuda.gpuMemLimit ?? 0, 0, Number.MAX_SAFE_INTEGER),
    cudnnConvAlgoSearch: search,
    enableCudaGraph: cuda.enableCudaGraph ?? false,
  };
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidOptionError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

function padOption(value: unknown): boolean | 'auto' {
  if (value === true || value === false || value === 'auto') return value;
  throw new InvalidOptionError(`batching.padBatches must be true, false or 'auto', got ${JSON.stringify(value)}`);
}

function resolveBatching(b: BatchingOptions | false | undefined): ResolvedBatching | false {
  if (b === false) return false;
  const maxBatchSize = int('batching.maxBatchSize', b?.maxBatchSize ?? kDefaultBatching.maxBatchSize, 1, 1 << 20);
  const preferred = b?.preferredBatchSizes ?? [];
  if (!Array.isArray(preferred)) throw new InvalidOptionError('batching.preferredBatchSizes must be an array');
  for (const p of preferred) int('batching.preferredBatchSizes[]', p, 1, maxBatchSize);
  return {
    maxBatchSize,
    maxQueueDelayMicros: int(
      'batching.maxQueueDelayMicros',
      b?.maxQueueDelayMicros ?? kDefaultBatching.maxQueueDelayMicros,
      0,
      60_000_000,
    ),
    preferredBatchSizes: [...new Set(preferred)].sort((x, y) => x - y),
    maxQueueSize: int('batching.maxQueueSize', b?.maxQueueSize ?? kDefaultBatching.maxQueueSize, 1, 1 << 24),
    padBatches: padOption(b?.padBatches ?? kDefaultBatching.padBatches),
    adaptiveBatchSize: bool('batching.adaptiveBatchSize', b?.adaptiveBatchSize ?? kDefaultBatching.adaptiveBatchSize),
  };
}

/** Merges user options over the defaults and validates them; throws InvalidOptionError. */
export function resolveSessionOptions(options: SessionOptions = {}): ResolvedSessionOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options must be an object');
  const level = options.graphOptimizationLevel ?? kDefaultSessionOptions.graphOptimizationLevel;
  if (!LEVELS.includes(level)) {
    throw new InvalidOptionError(`graphOptimizationLevel must be one of ${LEVELS.join(', ')}, got ${level}`);
  }
  const providers = options.executionProviders ?? ['cpu'];
  if (!Array.isArray(providers) || providers.length === 0) {
    throw new InvalidOptionError('executionProviders must be a non-empty array such as ["cuda", "cpu"]');
  }
  return {
    intraOpThreads: int('intraOpThreads', options.intraOpThreads ?? 0, 0, 1024),
    interOpThreads: int('interOpThreads', options.interOpThreads ?? 0, 0, 1024),
    graphOptimizationLevel: level,
    executionProviders: providers.map(resolveProvider),
    batching: resolveBatching(options.batching),
    instances: int('instances', options.instances ?? 1, 1, 64),
    timeoutMs: int('timeoutMs', options.timeoutMs ?? 0, 0, 24 * 3600 * 1000),
    spinning: options.spinning ?? kDefaultSessionOptions.spinning,
    inlineRunMicros: int(
      'inlineRunMicros',
      options.inlineRunMicros ?? kDefaultSessionOptions.inlineRunMicros,
      0,
      1_000_000,
    ),
    cpuMemArena:
      options.cpuMemArena ?? (process.env['GRAPHSERVE_CPU_MEM_ARENA'] !== '0' && kDefaultSessionOptions.cpuMemArena),
  };
}
