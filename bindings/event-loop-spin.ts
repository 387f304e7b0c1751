/**
 * Event-loop spinning: when the engine's last request in flight settles, and it was run on the JS thread (a
 * tiny model's batches, SessionOptions.inlineRunMicros), the JS thread keeps turning the event loop for a
 * short while (`micros`, default kDefaultEventLoopSpinMicros) instead of going to sleep in the kernel, as
 * ONNX Runtime's own threads spin between runs.
 *
 * Why: at low load a request comes a few tens of µs after the answer to the one before, and a thread that
 * slept in the meantime pays for it on its next turn, and more so in a virtual machine, where an idle vCPU
 * is handed back to the host: on the 2-core AMD VM of 2026-12-01 a bare node:http server spent 75 µs of
 * CPU a request at one connection and 22 µs at four, and graphserve's iris answers at one connection were
 * 18-29% more a second with the loop spinning for 200 µs (bench scenario event-loop-spin).
 * Only after runs on the JS thread: there a request is all event-loop work and the gaps between requests are
 * its only waits. And only at low load: after a wake that ran at most SPIN_MAX_INLINE_REQUESTS requests. At
 * 64 connections the wakes run 32-64 requests each, the event loop is hardly idle, and spinning after them
 * cost throughput on the 2-core Intel VM of 2026-12-01 (iris at c=64 with wrk: 11,200-14,700 req/s against
 * 14,300-16,700 with this limit, three alternating runs). A model run by the scheduler thread lost by it
 * (PP-OCR binary bodies at one connection, median of 8 runs: 564 against 620 req/s), and its requests wait
 * mostly for the run anyway.
 *
 * How: each turn of the spin is a setImmediate, so libuv polls its sockets without blocking (timeout 0)
 * and every I/O callback, timer and other immediate runs as usual in between; the spin never holds the
 * thread. It stops when the time is up or as soon as a request is in flight again (ORT's threads are then
 * busy and may need the cores; that request's answer may start the next spin). A spin ends by itself
 * within `micros`, so it keeps neither a process nor a test alive beyond that.
 *
 * One per JS thread, like the event loop it turns (module state: a worker thread has its own, at the default
 * unless set there; the ensembles' 'process' executor sets its workers' to the main thread's): every
 * InferenceSession of the thread counts in `inFlight`.
 */
import { performance } from 'node:perf_hooks';
import { InvalidOptionError } from '../src/errors';

/** The default spin when the engine goes idle after a run on the JS thread, µs. */
export const kDefaultEventLoopSpinMicros = 200;
/**
 * The most requests a wake may have run on the JS thread for its answers to start a spin: more mean load
 * enough that the event loop has its next requests waiting anyway.
 */
export const SPIN_MAX_INLINE_REQUESTS = 4;
/** The longest spin accepted, µs. */
export const MAX_EVENT_LOOP_SPIN_MICROS = 100_000;

export interface EventLoopSpinStats {
  /**
   * Times the engine went idle after a run on the JS thread with spinning on (each starts a spin, or makes the
   * current one longer).
   */
  spins: number;
  /** Turns of the event loop the spins took, all together. */
  turns: number;
}

let spinMicros = kDefaultEventLoopSpinMicros;
let inFlight = 0;
let until = 0;
let spinning = false;
const stats: EventLoopSpinStats = { spins: 0, turns: 0 };

/**
 * Sets how long the event loop spins when the engine goes idle after a run on the JS thread, µs; 0 = never. A
 * spin going on is cut to the new time.
 */
export function setEventLoopSpinMicros(micros: number): void {
  if (!Number.isInteger(micros) || micros < 0 || micros > MAX_EVENT_LOOP_SPIN_MICROS) {
    throw new InvalidOptionError(
      `event-loop spin must be an integer from 0 to ${MAX_EVENT_LOOP_SPIN_MICROS} µs, got ${String(micros)}`,
    );
  }
  spinMicros = micros;
  until = Math.min(until, performance.now() + micros / 1000);
}

/** The spin now set, µs. */
export function eventLoopSpinMicros(): number {
  return spinMicros;
}

/** Counts since the process started (a copy). */
export function eventLoopSpinStats(): EventLoopSpinStats {
  return { ...stats };
}

/**
 * Whether the answers of a wake that ran `ranInline` requests on the JS thread (the native wake's count) start a
 * spin when they settle: a run on the JS thread, at low load.
 */
export function spinFollows(ranInline: number): boolean {
  return ranInline > 0 && ranInline <= SPIN_MAX_INLINE_REQUESTS;
}

/** A request entered the engine. */
export function runStarted(): void {
  inFlight++;
}

/**
 * A request the engine had settled (result or error). The last one in flight starts a spin when `spin`: when
 * its session's last wake ran its batches on the JS thread, at low load (spinFollows).
 */
export function runSettled(spin: boolean): void {
  if (--inFlight > 0 || !spin || spinMicros === 0) return;
  until = performance.now() + spinMicros / 1000; // performance.now() is in ms
  stats.spins++;
  if (!spinning) {
    spinning = true;
    setImmediate(turn);
  }
}

function turn(): void {
  stats.turns++;
  if (inFlight === 0 && performance.now() < until) setImmediate(turn);
  else spinning = false;
}
