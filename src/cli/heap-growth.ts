/**
 * How far V8 lets the old generation grow before its next full garbage collection, for `graphserve serve`
 * (`--heap-growing-percent`, env GRAPHSERVE_HEAP_GROWING_PERCENT).
 *
 * Why a server of tensors needs it: request bodies and tensors are ArrayBuffers whose bytes live outside the
 * JS heap, and V8 counts those allocated since the last full collection against the old generation's limit.
 * Once V8 has sized that limit from a small live heap (a server holds ~20 MB), its own growing factor leaves
 * some 10 MB of room: then every 10 MB of request bodies costs a full mark-compact (10-20 ms of the event
 * loop in marking steps) instead of the young collection that frees them at a fraction of that cost, which
 * V8 only starts after 32 MB of young external bytes. Measured on PP-OCR bodies (110 kB) at one request at a
 * time, after a minute of heavy JSON traffic: a mark-compact every 130 ms, p90 7 ms instead of 2.3 ms; with
 * the factor fixed at 4 (V8's own largest), none (bench scenario `heap-growth`).
 *
 * The percentage is V8's `--heap-growing-percent` (limit = live size × (1 + percent/100)), set at start with
 * v8.setFlagsFromString: V8 reads it each time it sizes the limit. 0 leaves V8's own heuristic. The V8 flag
 * given to node itself (`node --heap-growing-percent=N …`; NODE_OPTIONS may not hold it) wins over this option.
 */
import { setFlagsFromString } from 'node:v8';

/** The default: V8's largest growing factor (4x the live heap), fixed. */
export const kDefaultHeapGrowingPercent = 300;

/** The largest percentage accepted (a 11x factor). */
export const MAX_HEAP_GROWING_PERCENT = 1000;

const V8_FLAG = /--heap[-_]growing[-_]percent/;

/**
 * The V8 flag to set for `percent`, or undefined when none is to be set: `percent` is 0, or node was given
 * the V8 flag itself (`execArgv`: node's options, process.execArgv).
 */
export function heapGrowingFlag(percent: number, execArgv: readonly string[]): string | undefined {
  if (percent === 0 || execArgv.some((arg) => V8_FLAG.test(arg))) return undefined;
  return `--heap-growing-percent=${percent}`;
}

/** Applies `percent` to this process (see the module comment); returns the V8 flag set, if any. */
export function applyHeapGrowingPercent(percent: number): string | undefined {
  const flag = heapGrowingFlag(percent, process.execArgv);
  if (flag !== undefined) setFlagsFromString(flag);
  return flag;
}
