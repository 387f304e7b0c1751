/**
 * The common shape of the two-sided HTTP scenarios (binary-vs-json, http-overhead, low-load-latency):
 * a baseline target and graphserve's target measured in alternation at one concurrency, each side's
 * median req/s and latency percentiles, the ratio of rates and the paired per-rep ratios, and the
 * chart (throughput, then p50/p99).
 */
import {
  type HttpPhase,
  type HttpSummary,
  type HttpTarget,
  alternateHttp,
  measureHttp,
  pairedHttpRatios,
  summariseHttp,
} from './http-load';
import { round } from './stats';
import type { BenchContext, ChartSection, ScenarioResult } from './types';

export interface PairSide {
  label: string;
  target: HttpTarget;
}

export interface PairResult {
  baseline: HttpSummary;
  ours: HttpSummary;
  /** ours ÷ baseline, median req/s. */
  rateRatio: number;
  /** ours ÷ baseline, median p50 and p99 latency. */
  p50Ratio: number;
  p99Ratio: number;
  pairedRatios: number[];
  connections: number;
}

export async function measurePair(
  ctx: BenchContext,
  baseline: PairSide,
  ours: PairSide,
  connections: number,
): Promise<PairResult> {
  const phases = await alternateHttp(ctx, [
    { label: baseline.label, measure: () => measureHttp(ctx, baseline.target, connections) },
    { label: ours.label, measure: () => measureHttp(ctx, ours.target, connections) },
  ]);
  const [b, o] = phases as [HttpPhase[], HttpPhase[]];
  return pairResult(baseline.label, b, ours.label, o, connections);
}

/** Both sides' summaries and their ratios, from the phases of alternating repetitions. */
export function pairResult(
  baselineLabel: string,
  baseline: HttpPhase[],
  oursLabel: string,
  ours: HttpPhase[],
  connections: number,
): PairResult {
  const bs = summariseHttp(baselineLabel, baseline);
  const os = summariseHttp(oursLabel, ours);
  return {
    baseline: bs,
    ours: os,
    rateRatio: round(os.rate / bs.rate, 3),
    p50Ratio: round(os.p50Ms / bs.p50Ms, 3),
    p99Ratio: round(os.p99Ms / bs.p99Ms, 3),
    pairedRatios: pairedHttpRatios(baseline, ours),
    connections,
  };
}

export function pairChart(ctx: BenchContext, r: PairResult): ChartSection[] {
  const { baseline: b, ours: o } = r;
  return [
    {
      heading: `Throughput, req/s, c=${r.connections} (${ctx.reps} alternating reps of ${ctx.seconds} s)`,
      bars: [
        { label: b.label, value: b.rate, side: 'baseline', samples: b.samples },
        { label: o.label, value: o.rate, side: 'engine', samples: o.samples },
      ],
    },
    {
      heading: 'Latency, ms (lower is better; medians of the per-rep percentiles)',
      bars: [
        { label: `${b.label} p50`, value: b.p50Ms, side: 'baseline' },
        { label: `${o.label} p50`, value: o.p50Ms, side: 'engine' },
        { label: `${b.label} p99`, value: b.p99Ms, side: 'baseline' },
        { label: `${o.label} p99`, value: o.p99Ms, side: 'engine' },
      ],
    },
  ];
}

/**
 * The ScenarioResult of a paired req/s scenario: its ratio is `r`'s req/s ratio and its chart pairChart's;
 * `figures` (each side's summary under the scenario's own names, verification, settings …) get the paired,
 * p50 and p99 ratios beside them.
 */
export function pairScenarioResult(
  ctx: BenchContext,
  r: PairResult,
  result: { scenario: string; target: number; summary: string; figures: Record<string, unknown> },
): ScenarioResult {
  const { pairedRatios, p50Ratio, p99Ratio } = r;
  return {
    scenario: result.scenario,
    ratio: r.rateRatio,
    target: result.target,
    unit: 'req/s',
    summary: result.summary,
    figures: { ...result.figures, pairedRatios, p50Ratio, p99Ratio },
    chart: pairChart(ctx, r),
  };
}
