/**
 * The only code that loads the .node addon. It prefers a prebuilt binary for this platform
 * (prebuilds/<platform>-<arch>/graphserve.node, with libonnxruntime.so.1 beside it) and falls back to
 * the local build (build/Release). When nothing loads, one AddonLoadError lists every path tried and
 * why each failed.
 *
 * The addon is initialised once per JS environment (main thread or worker) with the error classes of
 * src/errors.ts, so that native failures surface as those classes with their stable codes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AddonLoadError, errorClasses } from '../src/errors';
import type { ResolvedSessionOptions } from './options';

/** A run's inputs, in the model's input order, flat: [shape0, data0, shape1, data1, …] (see NativeOutputs). */
export type NativeInputs = Array<readonly number[] | ArrayBufferView | Buffer[]>;

/**
 * A run's outputs, in the model's output order, flat: [shape0, data0, shape1, data1, …]; data is a
 * TypedArray, or an array of Buffers for strings. The session names them from its output metadata.
 */
export type NativeOutputs = Array<number[] | ArrayBufferView | Buffer[]>;

export interface NativeTensorInfo {
  name: string;
  datatype: string;
  onnxType: string;
  shape: number[];
}

export interface NativeSession {
  readonly inputs: NativeTensorInfo[];
  readonly outputs: NativeTensorInfo[];
  readonly providers: string[];
  readonly warnings: string[];
  readonly batching: boolean;
  /** `id`: the caller's, unique among this session's requests in flight (see cancel). */
  /**
   * Queues a request. With `deferWake` no runner is woken for it until wake() (a busy runner may take it
   * before): requests queued in one turn of the event loop then run as one batch.
   */
  run(inputs: NativeInputs, timeoutMs: number, id: number, deferWake?: boolean): Promise<NativeOutputs>;
  /**
   * Wakes a runner for the requests queued with `deferWake`, or runs them here on the JS thread (a tiny
   * model, SessionOptions.inlineRunMicros): returns how many requests it settled so (0 = a runner woken).
   */
  wake(): number;
  /** Takes request `id` out of the queue (its promise rejects with CancelledError); false once it runs. */
  cancel(id: number): boolean;
  stats(): import('./session').SessionStats;
  dispose(): Promise<void>;
}

export interface Addon {
  /** ONNX Runtime version string of the loaded library, e.g. '1.30.0'. */
  readonly ortVersion: string;
  /** ORT C API version the addon was compiled against. */
  readonly apiVersion: number;
  /** Path of the .node file that was loaded. */
  readonly path: string;
  createSession(model: string | Uint8Array, options: ResolvedSessionOptions): Promise<NativeSession>;
  /** Test hook: forces the copying output path (as under a V8 sandbox). */
  setExternalBuffersAllowed(allowed: boolean): void;
  /**
   * Test hook: the caps a batch tuner (native/batch_tuner.h) gives for one run per entry of `queued` (rows
   * queued as that batch forms), with requests of `rowsPerRequest` rows and a run of r rows costing
   * microsPerRow[r] µs per row (native/addon.cc).
   */
  traceBatchTuner(
    maxBatchSize: number,
    microsPerRow: readonly number[],
    queued: readonly number[],
    rowsPerRequest: number,
  ): number[];
  /**
   * Reads the JSON array of numbers starting at text[start] ('['), nested arrays flattened, with the length
   * of the arrays at each depth in `dims`; null when it is not strictly an array of numbers, regularly nested
   * (native/json_numbers.h). `bits` 64: the doubles in `values`; 32: the same rounded to FP32 (as Math.fround
   * does) in `values32`, with no doubles kept; omitted: 64 when the object before the array names "FP64" as its
   * datatype, else 32. Throws RangeError for other `bits`.
   */
  parseJsonNumbers(text: Uint8Array, start: number, bits?: 32 | 64): JsonNumbers | null;
  /**
   * Every `"data": [numbers]` array of the text, read on the libuv thread pool (each as parseJsonNumbers
   * reads it, with the bytes [start, end) it spans); null when one is not strictly an array of numbers
   * (native/json_arrays_async.h). The text's bytes must not change until the promise settles.
   */
  extractJsonNumberArrays(text: Uint8Array): Promise<JsonNumberArray[] | null>;
}

/** One array read by parseJsonNumbers: `values` for 64 bits, `values32` for 32. */
export interface JsonNumbers {
  values?: Float64Array;
  values32?: Float32Array;
  dims: number[];
  end: number;
}

/** One array found by extractJsonNumberArrays: its numbers as parseJsonNumbers without `bits` gives them. */
export interface JsonNumberArray extends JsonNumbers {
  start: number;
}

interface RawAddon {
  init(config: { errors: typeof errorClasses }): { ortVersion: string; apiVersion: number };
  createSession: Addon['createSession'];
  setExternalBuffersAllowed: Addon['setExternalBuffersAllowed'];
  traceBatchTuner: Addon['traceBatchTuner'];
  parseJsonNumbers: Addon['parseJsonNumbers'];
  extractJsonNumberArrays: Addon['extractJsonNumberArrays'];
}

const ROOT = path.resolve(__dirname, fs.existsSync(path.join(__dirname, '..', 'package.json')) ? '..' : '../..');

/** Candidate .node files, most preferred first. GRAPHSERVE_ADDON overrides all of them. */
export function addonCandidates(root = ROOT): string[] {
  const override = process.env['GRAPHSERVE_ADDON'];
  if (override) return [path.resolve(override)];
  return [
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'graphserve.node'),
    path.join(root, 'build', 'Release', 'graphserve.node'),
  ];
}

let cached: Addon | undefined;

/** Loads (once per JS environment) and initialises the addon; throws AddonLoadError. */
export function loadAddon(): Addon {
  if (cached) return cached;
  const failures: string[] = [];
  for (const file of addonCandidates()) {
    if (!fs.existsSync(file)) {
      failures.push(`${file}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const raw = require(file) as RawAddon;
      const info = raw.init({ errors: errorClasses });
      cached = {
        ortVersion: info.ortVersion,
        apiVersion: info.apiVersion,
        path: file,
        createSession: raw.createSession.bind(raw),
        setExternalBuffersAllowed: raw.setExternalBuffersAllowed.bind(raw),
        traceBatchTuner: raw.traceBatchTuner.bind(raw),
        parseJsonNumbers: raw.parseJsonNumbers.bind(raw),
        extractJsonNumberArrays: raw.extractJsonNumberArrays.bind(raw),
      };
      return cached;
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message}`);
    }
  }
  throw new AddonLoadError(
    `graphserve could not load its native addon. Tried:\n  ${failures.join('\n  ')}\n` +
      `Build it with 'npm run build:native' (needs cmake and a C++ compiler), or install a release with prebuilt binaries.`,
  );
}
