/**
 * Large JSON bodies decoded off the event loop. Parsing a 50 MB OIP JSON body (mostly one huge `data`
 * array of numbers) takes the JS thread for about a second, and every other request waits behind it.
 * Here the fast path of ./fast-json.ts runs its costly part on the libuv thread pool: the addon finds and
 * reads every `"data": [numbers]` array there (native/json_arrays_async.h), and only the small rest of
 * the body is parsed on the event loop.
 *
 * The result is decodeBody's, to the error and its message: when the addon finds nothing to take, or an
 * array that is not strictly numbers, or the arrays are not FP32/FP64 inputs' data, the body is decoded by
 * decodeBody (on the event loop, as before: INT64 data, for one, is read exactly by parseJson there).
 *
 * Bounded: at most `maxRunning` bodies are read at once (libuv's pool has 4 threads by default, shared with
 * DNS lookups, file reads and zlib: the rest stay free), the next ones wait in order, and beyond
 * `maxPending` bodies read or waiting one more is refused with 503 GS_QUEUE_FULL, as a full model queue is.
 */
import { loadAddon, type JsonNumberArray } from '../../bindings/loader';
import { InvalidOptionError, QueueFullError } from '../errors';
import { decodeBody, mayBeInferJson } from './body';
import { assembleInferJson } from './fast-json';

export interface OffThreadJsonOptions {
  /** JSON bodies of this many bytes or more are read off the event loop; smaller ones on it. */
  minBytes?: number;
  /** Most bodies read on the thread pool at once; more wait for their turn. */
  maxRunning?: number;
  /** Most bodies read or waiting at once; one more answers 503 GS_QUEUE_FULL. */
  maxPending?: number;
  /** False: every body is decoded on the event loop (the behaviour before; a baseline for bench/). */
  enabled?: boolean;
}

/** Environment switch: `GRAPHSERVE_OFF_THREAD_JSON=0` decodes every body on the event loop. */
export const OFF_THREAD_JSON_ENV = 'GRAPHSERVE_OFF_THREAD_JSON';

export const kDefaultOffThreadJsonOptions: Readonly<Required<OffThreadJsonOptions>> = Object.freeze({
  minBytes: 1024 * 1024, // 1 MiB: parsing takes ~10 ms and more from here on
  maxRunning: 2, // pool threads: half of libuv's default 4
  maxPending: 16, // bodies; at the 64 MiB body limit, about 1 GiB of text held at once
  enabled: true,
});

type Extractor = (text: Uint8Array) => Promise<JsonNumberArray[] | null>;

function extractor(): Extractor | null {
  try {
    return loadAddon().extractJsonNumberArrays;
  } catch {
    return null; // no addon: bodies are decoded on the event loop
  }
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(`${name} must be an integer of at least ${min}, got ${String(value)}`);
  }
  return value;
}

/** Resolves options over the defaults; the environment switch turns the path off. Throws InvalidOptionError. */
export function resolveOffThreadJsonOptions(options: OffThreadJsonOptions = {}): Required<OffThreadJsonOptions> {
  const o = { ...kDefaultOffThreadJsonOptions, ...options };
  const off = process.env[OFF_THREAD_JSON_ENV] === '0' || process.env[OFF_THREAD_JSON_ENV] === 'false';
  return Object.freeze({
    minBytes: checkCount('offThreadJson.minBytes', o.minBytes, 0),
    maxRunning: checkCount('offThreadJson.maxRunning', o.maxRunning, 1),
    maxPending: checkCount('offThreadJson.maxPending', o.maxPending, 1),
    enabled: o.enabled && !off,
  });
}

/** Decodes event bodies as decodeBody does, large JSON ones off the event loop (see the module comment). */
export class OffThreadJsonDecoder {
  readonly options: Readonly<Required<OffThreadJsonOptions>>;
  /** Bodies whose numbers were read off the event loop so far (tests check that the path was taken). */
  offThread = 0;
  /** Bodies being read or waiting to be. */
  private pending = 0;
  private running = 0;
  /** Bodies waiting for a turn on the pool, first come first served. */
  private readonly waiting: Array<() => void> = [];
  private readonly extract: Extractor | null;

  constructor(options: OffThreadJsonOptions = {}) {
    this.options = resolveOffThreadJsonOptions(options);
    this.extract = this.options.enabled ? extractor() : null;
  }

  /**
   * decodeBody's result: the value itself, or for a large JSON Buffer a promise of it (rejected with
   * decodeBody's error, or QueueFullError when `maxPending` bodies are being read already).
   */
  decode(body: unknown, headers: Record<string, string>): unknown {
    // The size test first: small bodies (nearly every request) skip the content-type parse here.
    const large = Buffer.isBuffer(body) && body.length >= this.options.minBytes;
    if (this.extract === null || !large || !mayBeInferJson(body, headers)) return decodeBody(body, headers);
    if (this.pending >= this.options.maxPending) {
      return Promise.reject(
        new QueueFullError(`${this.pending} large JSON bodies are being decoded already; retry later`),
      );
    }
    return this.decodeOffThread(body, headers, this.extract);
  }

  private async decodeOffThread(body: Buffer, headers: Record<string, string>, extract: Extractor): Promise<unknown> {
    this.pending++;
    let arrays: JsonNumberArray[] | null;
    try {
      await this.turn();
      try {
        arrays = await extract(body);
      } finally {
        this.release();
      }
    } finally {
      this.pending--;
    }
    const fast = arrays === null ? undefined : assembleInferJson(body, arrays);
    if (fast === undefined) return decodeBody(body, headers, false);
    this.offThread++;
    return fast;
  }

  /** A place on the pool: at once while fewer than `maxRunning` bodies are read, else when one ends. */
  private turn(): Promise<void> | undefined {
    if (this.running < this.options.maxRunning) {
      this.running++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Passes the place to the next waiting body, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.running--;
    else next();
  }
}
