/**
 * HTTP load for the http-* scenarios: autocannon (closed loop, `connections` keep-alive connections,
 * one request in flight on each) against a server child, a warm-up and then a measured window. Each
 * connection cycles through the prepared bodies, so requests carry different data. Latencies are taken
 * from autocannon's per-response event (fractional milliseconds; its own histogram keeps whole ms), and
 * only 2xx responses count.
 */
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { median, quantile, round } from './stats';
import type { ChildServer } from './http-child';
import type { HttpBody } from './oip-bodies';
import type { BenchContext } from './types';

interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  requests: AutocannonRequest[];
  timeout: number;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

type Autocannon = (options: AutocannonOptions, done: (err: unknown, result: AutocannonResult) => void) => EventEmitter;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

/** Seconds before autocannon gives up on one request. */
const REQUEST_TIMEOUT_S = 30;

export interface HttpTarget {
  server: ChildServer;
  path: string;
  bodies: readonly HttpBody[];
}

export interface HttpPhase {
  seconds: number;
  /** 2xx responses in the window. */
  requests: number;
  requestsPerSecond: number;
  latenciesMs: number[];
  /** Errors, timeouts and non-2xx responses. */
  failed: number;
  /** CPU of the server process over the window ÷ wall time (cores busy). */
  serverCores: number;
  /** The same for the server's main thread, its event loop. */
  serverLoopCores: number;
  /** Event-loop utilisation of this (the load generator's) process: near 1 means the client limits. */
  clientElu: number;
}

function run(
  target: HttpTarget,
  connections: number,
  seconds: number,
  latencies?: number[],
): Promise<AutocannonResult> {
  const requests = target.bodies.map((b) => ({ method: 'POST', path: target.path, headers: b.headers, body: b.body }));
  return new Promise((resolve, reject) => {
    const options = { url: target.server.url, connections, duration: seconds, requests, timeout: REQUEST_TIMEOUT_S };
    const instance = autocannon(options, (err, result) => (err ? reject(err as Error) : resolve(result)));
    if (latencies !== undefined) {
      instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
        if (status >= 200 && status < 300) latencies.push(ms);
      });
    }
  });
}

/** A warm-up of `ctx.warmupSeconds`, then a measured window of `seconds`. */
export async function measureHttp(
  ctx: BenchContext,
  target: HttpTarget,
  connections: number,
  seconds = ctx.seconds,
): Promise<HttpPhase> {
  await run(target, connections, ctx.warmupSeconds);
  return timedPhase(target.server, async (latenciesMs, wall) => {
    const result = await run(target, connections, seconds, latenciesMs);
    const failed = result.errors + result.timeouts + result.non2xx;
    return { failed, seconds: result.duration > 0 ? result.duration : wall() };
  });
}

/**
 * One measured window: `window` runs the load, pushing each answer's latency (ms), and says how many calls
 * failed and how many seconds the rate is over (`wall()`: the seconds since the window began); the phase adds
 * the server's CPU and this process's event-loop use over the same wall time.
 */
export async function timedPhase(
  server: Pick<ChildServer, 'cpuSeconds' | 'loopCpuSeconds'>,
  window: (latenciesMs: number[], wall: () => number) => Promise<{ failed: number; seconds: number }>,
): Promise<HttpPhase> {
  const latenciesMs: number[] = [];
  const cpu0 = server.cpuSeconds();
  const loop0 = server.loopCpuSeconds();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const wall = (): number => (performance.now() - t0) / 1000;
  const { failed, seconds } = await window(latenciesMs, wall);
  const elapsed = wall();
  return {
    seconds,
    requests: latenciesMs.length,
    requestsPerSecond: latenciesMs.length / seconds,
    latenciesMs,
    failed,
    serverCores: (server.cpuSeconds() - cpu0) / elapsed,
    serverLoopCores: (server.loopCpuSeconds() - loop0) / elapsed,
    clientElu: performance.eventLoopUtilization(elu0).utilization,
  };
}

export function describeHttp(p: HttpPhase): string {
  const lat = `p50 ${quantile(p.latenciesMs, 0.5).toFixed(2)} ms, p99 ${quantile(p.latenciesMs, 0.99).toFixed(2)} ms`;
  const failed = p.failed > 0 ? `, ${p.failed} FAILED` : '';
  return `${p.requestsPerSecond.toFixed(0)} req/s, ${lat}, server ${p.serverCores.toFixed(2)} cores, client ELU ${p.clientElu.toFixed(2)}${failed}`;
}

export interface HttpSide {
  label: string;
  measure: () => Promise<HttpPhase>;
}

/** Runs every side once per repetition, in order (A, B, A, B, ...); returns each side's phases. */
export async function alternateHttp(ctx: BenchContext, sides: readonly HttpSide[]): Promise<HttpPhase[][]> {
  const phases: HttpPhase[][] = sides.map(() => []);
  for (let rep = 1; rep <= ctx.reps; rep++) {
    for (const [i, side] of sides.entries()) {
      const phase = await side.measure();
      (phases[i] as HttpPhase[]).push(phase);
      ctx.log(`  rep ${rep}/${ctx.reps} ${side.label}: ${describeHttp(phase)}`);
    }
  }
  return phases;
}

/** One side's repetitions: the median rate, the medians of the per-rep percentiles, and the samples. */
export interface HttpSummary {
  label: string;
  rate: number;
  samples: number[];
  p50Ms: number;
  p99Ms: number;
  serverCores: number;
  serverLoopCores: number;
  clientElu: number;
  failed: number;
}

export function summariseHttp(label: string, phases: readonly HttpPhase[]): HttpSummary {
  const per = (f: (p: HttpPhase) => number, digits = 4): number => round(median(phases.map(f)), digits);
  return {
    label,
    rate: per((p) => p.requestsPerSecond),
    samples: phases.map((p) => round(p.requestsPerSecond)),
    p50Ms: per((p) => quantile(p.latenciesMs, 0.5), 3),
    p99Ms: per((p) => quantile(p.latenciesMs, 0.99), 3),
    serverCores: per((p) => p.serverCores, 3),
    serverLoopCores: per((p) => p.serverLoopCores, 3),
    clientElu: per((p) => p.clientElu, 2),
    failed: phases.reduce((s, p) => s + p.failed, 0),
  };
}

/** ours ÷ baseline for each repetition of `rate` (phases measured next to each other). */
export function pairedHttpRatios(baseline: readonly HttpPhase[], ours: readonly HttpPhase[]): number[] {
  return ours.map((o, i) => round(o.requestsPerSecond / (baseline[i] as HttpPhase).requestsPerSecond, 3));
}
