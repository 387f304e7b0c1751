/**
 * http-vs-peer: `graphserve serve` against a plain fastify + onnxruntime-node server (bench/peer/), both
 * child processes on 127.0.0.1, the PP-OCR classifier, batch-1 requests from autocannon at
 * `concurrency` connections (64 by default), as OIP JSON and as Triton binary. The peer runs each
 * request's `session.run` alone on its JS thread; graphserve batches what queues up.
 *
 * Peer JSON, graphserve JSON, peer binary, graphserve binary alternate `reps` times; ratio = the lower
 * of the JSON and binary ratios of median req/s (target ≥ 1.5, with p99 not worse). A sweep over lower
 * concurrencies (1 and 8, one window each, JSON) fills the chart of throughput and p99 by concurrency.
 */
import { settingsOf } from '../lib/compare';
import {
  type HttpPhase,
  type HttpSummary,
  alternateHttp,
  describeHttp,
  measureHttp,
  pairedHttpRatios,
  summariseHttp,
} from '../lib/http-load';
import { MAX_BATCH_SIZE, type PpocrServers, openPpocrServers } from '../lib/http-ppocr';
import type { HttpVerification } from '../lib/http-verify';
import { round } from '../lib/stats';
import type { BenchContext, ChartSection, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 1.5;
/** Concurrencies of the sweep below the main one (JSON bodies, one window per side). */
const SWEEP = [1, 8];

interface KindResult {
  peer: HttpSummary;
  graphserve: HttpSummary;
  ratio: number;
  p99Ratio: number;
  pairedRatios: number[];
}

interface SweepPoint {
  concurrency: number;
  peer: HttpSummary;
  graphserve: HttpSummary;
}

function kindResult(peer: HttpPhase[], ours: HttpPhase[], peerLabel: string, label: string): KindResult {
  const p = summariseHttp(peerLabel, peer);
  const g = summariseHttp(label, ours);
  return {
    peer: p,
    graphserve: g,
    ratio: round(g.rate / p.rate, 3),
    p99Ratio: round(g.p99Ms / p.p99Ms, 3),
    pairedRatios: pairedHttpRatios(peer, ours),
  };
}

async function sweep(ctx: BenchContext, s: PpocrServers): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  for (const c of SWEEP.filter((x) => x < ctx.concurrency)) {
    const peer = await measureHttp(ctx, s.target(s.peer, s.json), c);
    ctx.log(`  sweep c=${c} peer: ${describeHttp(peer)}`);
    const ours = await measureHttp(ctx, s.target(s.graphserve, s.json), c);
    ctx.log(`  sweep c=${c} graphserve: ${describeHttp(ours)}`);
    points.push({
      concurrency: c,
      peer: summariseHttp(`peer c=${c}`, [peer]),
      graphserve: summariseHttp(`graphserve c=${c}`, [ours]),
    });
  }
  return points;
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const s = await openPpocrServers(ctx, ctx.concurrency);
  try {
    const c = ctx.concurrency;
    const phases = await alternateHttp(ctx, [
      { label: `${s.peer.label} JSON`, measure: () => measureHttp(ctx, s.target(s.peer, s.json), c) },
      { label: 'graphserve JSON', measure: () => measureHttp(ctx, s.target(s.graphserve, s.json), c) },
      { label: `${s.peer.label} binary`, measure: () => measureHttp(ctx, s.target(s.peer, s.binary), c) },
      { label: 'graphserve binary', measure: () => measureHttp(ctx, s.target(s.graphserve, s.binary), c) },
    ]);
    const [pj, gj, pb, gb] = phases as [HttpPhase[], HttpPhase[], HttpPhase[], HttpPhase[]];
    const json = kindResult(pj, gj, `${s.peer.label} JSON`, 'graphserve JSON');
    const binary = kindResult(pb, gb, `${s.peer.label} binary`, 'graphserve binary');
    const points = await sweep(ctx, s);
    return report(ctx, { json, binary, points, verification: s.verification, peerScreening: s.peerScreening });
  } finally {
    await s.close();
  }
}

interface Measured {
  json: KindResult;
  binary: KindResult;
  points: SweepPoint[];
  verification: HttpVerification;
  peerScreening: PpocrServers['peerScreening'];
}

function report(ctx: BenchContext, m: Measured): ScenarioResult {
  const line = (k: KindResult, name: string): string =>
    `${name} ${k.graphserve.rate.toFixed(0)} vs ${k.peer.rate.toFixed(0)} req/s (${k.ratio}×, p99 ` +
    `${k.graphserve.p99Ms} vs ${k.peer.p99Ms} ms)`;
  const p99NotWorse = m.json.p99Ratio <= 1 && m.binary.p99Ratio <= 1;
  return {
    scenario: 'http-vs-peer',
    ratio: Math.min(m.json.ratio, m.binary.ratio),
    target: TARGET,
    unit: 'req/s',
    summary:
      `c=${ctx.concurrency} batch-1 PP-OCR cls, graphserve vs fastify+onnxruntime-node: ${line(m.json, 'JSON')}; ` +
      `${line(m.binary, 'binary')}; p99 ${p99NotWorse ? 'not worse' : 'WORSE'}`,
    figures: {
      met: Math.min(m.json.ratio, m.binary.ratio) >= TARGET && p99NotWorse,
      json: m.json,
      binary: m.binary,
      p99NotWorse,
      sweep: m.points,
      peerScreening: m.peerScreening,
      verification: m.verification,
      settings: settingsOf(ctx, { maxBatchSize: MAX_BATCH_SIZE, maxQueueDelayMicros: 0, client: 'autocannon' }),
    },
    chart: chart(ctx, m),
  };
}

function chart(ctx: BenchContext, m: Measured): ChartSection[] {
  const main = { concurrency: ctx.concurrency, peer: m.json.peer, graphserve: m.json.graphserve };
  const points = [...m.points, main];
  return [
    {
      heading: `Throughput, req/s, c=${ctx.concurrency} (${ctx.reps} alternating reps of ${ctx.seconds} s)`,
      bars: [m.json, m.binary].flatMap((k) => [
        { label: k.peer.label, value: k.peer.rate, side: 'baseline' as const, samples: k.peer.samples },
        { label: k.graphserve.label, value: k.graphserve.rate, side: 'engine' as const, samples: k.graphserve.samples },
      ]),
    },
    {
      heading: 'Throughput by concurrency, req/s (JSON bodies)',
      bars: points.flatMap((p) => [
        { label: `peer c=${p.concurrency}`, value: p.peer.rate, side: 'baseline' as const },
        { label: `graphserve c=${p.concurrency}`, value: p.graphserve.rate, side: 'engine' as const },
      ]),
    },
    {
      heading: 'p99 latency by concurrency, ms (lower is better; JSON bodies)',
      bars: points.flatMap((p) => [
        { label: `peer c=${p.concurrency}`, value: p.peer.p99Ms, side: 'baseline' as const },
        { label: `graphserve c=${p.concurrency}`, value: p.graphserve.p99Ms, side: 'engine' as const },
      ]),
    },
  ];
}

export const httpVsPeer: Scenario = {
  name: 'http-vs-peer',
  description: 'graphserve serve ÷ fastify+onnxruntime-node req/s over HTTP, c=64 batch-1, JSON and binary; p99',
  byDefault: true,
  run,
};
