/**
 * The measuring pattern shared by the scenarios: short screening runs pick the configurations worth
 * comparing, then the compared sides run in alternation (A, B, A, B, ...) so that the noise of a shared
 * machine falls on both, and each side is quoted as the median of its repetitions.
 */
import type { EnginePhase } from './engine';
import type { LoopResult } from './loop';
import { addHistograms, meanBatchSize, median, quantile, round } from './stats';
import type { BenchContext } from './types';

export type Rate = 'imagesPerSecond' | 'requestsPerSecond';

export interface Side<T extends LoopResult> {
  label: string;
  measure: () => Promise<T>;
}

/** Runs every side once per repetition, in the given order; returns the phases of each side. */
export async function alternate<T extends LoopResult>(ctx: BenchContext, sides: Array<Side<T>>): Promise<T[][]> {
  const phases: T[][] = sides.map(() => []);
  for (let rep = 1; rep <= ctx.reps; rep++) {
    for (const [i, side] of sides.entries()) {
      const phase = await side.measure();
      (phases[i] as T[]).push(phase);
      ctx.log(`  rep ${rep}/${ctx.reps} ${side.label}: ${describe(phase)}`);
    }
  }
  return phases;
}

/** Runs the tasks taking turns from each list (a0, b0, a1, b1, ...), so both lists see the same noise. */
export async function interleave(lists: ReadonlyArray<ReadonlyArray<() => Promise<void>>>): Promise<void> {
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) {
    for (const list of lists) await list[i]?.();
  }
}

export function describe(phase: LoopResult): string {
  const rate = `${phase.imagesPerSecond.toFixed(0)} images/s, ${phase.requestsPerSecond.toFixed(0)} req/s`;
  return `${rate}, JS thread ${(phase.eventLoopUtilization * 100).toFixed(0)}% busy, ${phase.cpuCores.toFixed(2)} cores`;
}

/** Median rate and latencies of one side's repetitions. Latency percentiles: medians of the per-rep ones. */
export interface SideSummary {
  label: string;
  rate: number;
  samples: number[];
  p50Ms: number;
  p99Ms: number;
  eventLoopUtilization: number;
  /** Busy time of the JS thread per request, microseconds (event-loop utilisation × window ÷ requests). */
  jsMicrosPerRequest: number;
  cpuCores: number;
}

export function summarise(label: string, phases: readonly LoopResult[], rate: Rate): SideSummary {
  const per = (f: (p: LoopResult) => number, digits = 4): number => round(median(phases.map(f)), digits);
  return {
    label,
    rate: per((p) => p[rate]),
    samples: phases.map((p) => round(p[rate])),
    p50Ms: per((p) => quantile(p.latenciesMs, 0.5), 3),
    p99Ms: per((p) => quantile(p.latenciesMs, 0.99), 3),
    eventLoopUtilization: per((p) => p.eventLoopUtilization, 2),
    jsMicrosPerRequest: per((p) => (p.eventLoopUtilization * p.seconds * 1e6) / p.requests, 3),
    cpuCores: per((p) => p.cpuCores, 3),
  };
}

/** What the engine did over all its repetitions: batches formed and how busy its runs kept it. */
export function engineActivity(phases: readonly EnginePhase[], instances: number): Record<string, unknown> {
  const batchSizes = phases.reduce<Record<string, number>>((h, p) => addHistograms(h, p.batchSizes), {});
  const wallMicros = phases.reduce((s, p) => s + p.seconds * 1e6, 0);
  const compute = phases.reduce((s, p) => s + p.computeMicros, 0);
  const requests = phases.reduce((s, p) => s + p.requests, 0);
  return {
    batchSizes,
    meanBatchSize: round(meanBatchSize(batchSizes), 3),
    /** Share of wall time each instance spent inside ORT runs. */
    computeBusy: round(compute / (wallMicros * instances), 3),
    computeMicrosPerImage: round(
      compute /
        Math.max(
          1,
          phases.reduce((s, p) => s + p.images, 0),
        ),
      4,
    ),
    queueMicrosPerRequest: round(phases.reduce((s, p) => s + p.queueMicros, 0) / Math.max(1, requests), 4),
    failed: phases.reduce((s, p) => s + p.failed, 0),
  };
}

/** The settings every result records, with a scenario's own additions. */
export function settingsOf(ctx: BenchContext, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    model: ctx.modelName,
    intraOpThreads: ctx.threads,
    concurrency: ctx.concurrency,
    seconds: ctx.seconds,
    reps: ctx.reps,
    screenSeconds: ctx.screenSeconds,
    warmupSeconds: ctx.warmupSeconds,
    ...extra,
  };
}

/** engine ÷ baseline for each repetition (the phases measured next to each other). */
export function pairedRatios(baseline: readonly LoopResult[], engine: readonly LoopResult[], rate: Rate): number[] {
  return engine.map((e, i) => round(e[rate] / (baseline[i] as LoopResult)[rate], 3));
}
