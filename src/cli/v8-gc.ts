/**
 * V8's garbage collector set for a server of tensors, by `graphserve serve`: how far the old generation grows
 * before a full collection (`--heap-growing-percent`, default 300) and whether V8's memory reducer runs
 * (`--memory-reducer`, default off).
 *
 * Why a server of tensors needs them: request bodies and tensors are ArrayBuffers whose bytes live outside the
 * JS heap, and V8 counts those allocated since the last full collection against the old generation's limit.
 * - Once V8 has sized that limit from a small live heap (a server holds ~20 MB), its own growing factor leaves
 *   some 10 MB of room: then every 10 MB of request bodies costs a full mark-compact (10-20 ms of the event loop
 *   in marking steps) instead of the young collection that frees them at a fraction of that cost, which V8 only
 *   starts after 32 MB of young external bytes. With the factor fixed at 4 (V8's own largest) the young
 *   collection comes first.
 * - When the load drops (heavy JSON traffic, then one request at a time), the memory reducer takes the lower
 *   allocation rate for idleness and starts a full collection about every second to give memory back: 20 ms of
 *   marking steps on the event loop each time, while requests still come.
 * Measured on PP-OCR bodies (110 kB) one at a time after a spell of JSON at c=64: a mark-compact every 130 ms
 * with V8's settings; every second with the growth fixed (the reducer); none with both (bench scenario v8-gc).
 *
 * Both are V8 flags set at start with v8.setFlagsFromString (V8 reads them when it sizes the limit and when
 * the reducer's timer fires). A V8 flag of the same name given to node itself (`node --heap-growing-percent=N
 * …`; NODE_OPTIONS may not hold these) wins over the option.
 */
import { setFlagsFromString } from 'node:v8';

/** The defaults: V8's largest growing factor (4x the live heap), fixed; no memory reducer. */
export const kDefaultV8GcOptions: Readonly<Required<V8GcOptions>> = Object.freeze({
  heapGrowingPercent: 300,
  memoryReducer: false,
});

/** The largest growing percentage accepted (an 11x factor). */
export const MAX_HEAP_GROWING_PERCENT = 1000;

export interface V8GcOptions {
  /** Old-generation growth before a full collection, % of the live heap; 0 = V8's own heuristic. */
  heapGrowingPercent?: number;
  /** Whether V8's memory reducer runs (V8's default: it does). */
  memoryReducer?: boolean;
}

/** Whether node's own options (`execArgv`: process.execArgv) set the V8 flag `name` (either spelling). */
function givenToNode(name: string, execArgv: readonly string[]): boolean {
  const pattern = new RegExp(`^--(no-?)?${name.replace(/-/g, '[-_]')}(=|$)`);
  return execArgv.some((arg) => pattern.test(arg));
}

/** The V8 flags to set for `options`: none for V8's own settings, nor for a flag node was given itself. */
export function v8GcFlags(options: V8GcOptions, execArgv: readonly string[]): string[] {
  const o = { ...kDefaultV8GcOptions, ...options };
  const flags: string[] = [];
  if (o.heapGrowingPercent !== 0 && !givenToNode('heap-growing-percent', execArgv)) {
    flags.push(`--heap-growing-percent=${o.heapGrowingPercent}`);
  }
  if (!o.memoryReducer && !givenToNode('memory-reducer', execArgv)) flags.push('--no-memory-reducer');
  return flags;
}

/** Applies `options` to this process (see the module comment); returns the V8 flags set. */
export function applyV8GcOptions(options: V8GcOptions): string[] {
  const flags = v8GcFlags(options, process.execArgv);
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}
