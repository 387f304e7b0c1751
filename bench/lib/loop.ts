/**
 * The closed-loop driver every benchmark phase uses: `concurrency` callers, each awaiting one request
 * at a time, for a warm-up and then a measured window. Only requests that complete inside the window
 * count, so neither the warm-up nor the final drain skews the rate.
 */
import { performance } from 'node:perf_hooks';

/** Runs one request with pool item `seq`; resolves to the number of images it carried. */
export type Call = (seq: number) => Promise<number>;

export interface LoopOptions {
  concurrency: number;
  /** Length of the measured window, seconds. */
  seconds: number;
  /** Unmeasured time before the window, seconds. */
  warmupSeconds: number;
  /** Called when the window opens and when it closes (e.g. to snapshot engine stats). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export interface LoopResult {
  /** Measured window, seconds (between the completions that opened and closed it). */
  seconds: number;
  requests: number;
  images: number;
  requestsPerSecond: number;
  imagesPerSecond: number;
  /** Latency of every counted request, milliseconds, in completion order. */
  latenciesMs: number[];
  /** Event-loop utilisation of the JS thread over the window (0..1). */
  eventLoopUtilization: number;
  /** Process CPU time over the window divided by its wall time (cores busy, user + system). */
  cpuCores: number;
}

interface LoopWindow {
  state: 'warmup' | 'open' | 'closed';
  t0: number;
  t1: number;
  elu: ReturnType<typeof performance.eventLoopUtilization>;
  cpu: NodeJS.CpuUsage;
  latenciesMs: number[];
  images: number;
  utilization: number;
  cpuCores: number;
}

/**
 * Runs the loop. The window opens at the first completion at or after the warm-up and closes at the
 * first completion at or after its nominal end; it counts the completions in (open, close].
 */
export async function runLoop(call: Call, options: LoopOptions): Promise<LoopResult> {
  const windowStart = performance.now() + options.warmupSeconds * 1000;
  const windowEnd = windowStart + options.seconds * 1000;
  const w: LoopWindow = {
    state: 'warmup',
    t0: 0,
    t1: 0,
    elu: performance.eventLoopUtilization(),
    cpu: process.cpuUsage(),
    latenciesMs: [],
    images: 0,
    utilization: 0,
    cpuCores: 0,
  };
  let seq = 0;
  const caller = async (): Promise<void> => {
    for (let sent = performance.now(); sent < windowEnd && w.state !== 'closed'; sent = performance.now()) {
      const n = await call(seq++);
      const done = performance.now();
      if (w.state === 'warmup' && done >= windowStart) openWindow(w, done, options);
      else if (w.state === 'open') {
        w.latenciesMs.push(done - sent);
        w.images += n;
        if (done >= windowEnd) closeWindow(w, done, options);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  if (w.state === 'warmup') throw new Error('the measured window never opened: no request completed in time');
  if (w.state === 'open') closeWindow(w, performance.now(), options);
  return resultOf(w);
}

function resultOf(w: LoopWindow): LoopResult {
  const seconds = (w.t1 - w.t0) / 1000;
  return {
    seconds,
    requests: w.latenciesMs.length,
    images: w.images,
    requestsPerSecond: w.latenciesMs.length / seconds,
    imagesPerSecond: w.images / seconds,
    latenciesMs: w.latenciesMs,
    eventLoopUtilization: w.utilization,
    cpuCores: w.cpuCores,
  };
}

function openWindow(w: LoopWindow, now: number, options: LoopOptions): void {
  w.state = 'open';
  w.t0 = now;
  w.elu = performance.eventLoopUtilization();
  w.cpu = process.cpuUsage();
  options.onWindowStart?.();
}

function closeWindow(w: LoopWindow, now: number, options: LoopOptions): void {
  w.state = 'closed';
  w.t1 = now;
  w.utilization = performance.eventLoopUtilization(w.elu).utilization;
  const cpu = process.cpuUsage(w.cpu);
  w.cpuCores = (cpu.user + cpu.system) / 1000 / (now - w.t0);
  options.onWindowEnd?.();
}
