/**
 * engine-vs-peer: the native engine against onnxruntime-node under the same load: `concurrency` callers
 * (64 by default), each awaiting one batch-1 request at a time on a distinct image. The peer's
 * `session.run` runs on the JS thread one call at a time; the engine batches what queues up.
 *
 * The engine runs with batching on without delay, at max 16 or 32 rows and 1 or 2 instances,
 * whichever a brief screening finds fastest. The peer runs both with ORT's default spinning and with
 * spinning off (the engine's setting): a spinning pool can collapse when other work shares the cores,
 * so both are measured in full and the faster is the peer. Peer (both) and engine alternate `reps`
 * times; ratio = median engine req/s ÷ the better median peer req/s. p50/p99 latencies are the medians
 * of the per-repetition percentiles.
 */
import type * as ort from 'onnxruntime-node';
import type { InferenceSession } from '../../bindings/session';
import { type SideSummary, alternate, engineActivity, pairedRatios, settingsOf, summarise } from '../lib/compare';
import {
  type EngineConfig,
  type EnginePhase,
  createEngine,
  engineCall,
  engineLabel,
  engineTensors,
  measureEngine,
} from '../lib/engine';
import { IMAGE_SHAPE, elementsPerImage, imagePool } from '../lib/inputs';
import { type LoopOptions, type LoopResult, runLoop } from '../lib/loop';
import { createPeer, peerCall, peerLabel, peerTensors } from '../lib/peer';
import { median, round } from '../lib/stats';
import type { BenchContext, ChartSection, Scenario, ScenarioResult } from '../lib/types';
import { type Verification, verifyEngine } from '../lib/verify';

const TARGET = 1.5;
const POOL_IMAGES = 256;
/** Engine configurations screened: max batch rows × instances (no batching delay). */
const MAX_BATCH_SIZES = [16, 32];
const INSTANCES = [1, 2];

interface Candidate<S> {
  label: string;
  session: S;
  rate: number;
}

/** The sessions of both sides, their screening, and the measured phases. */
class EngineVsPeer {
  readonly images = imagePool(POOL_IMAGES, elementsPerImage());
  readonly tensors = peerTensors(this.images, 1, IMAGE_SHAPE);
  readonly requests = engineTensors(this.images, 1, IMAGE_SHAPE);
  peers: Array<{ label: string; session: ort.InferenceSession; spinning: boolean }> = [];
  engines: Array<Candidate<InferenceSession> & { config: EngineConfig }> = [];

  constructor(readonly ctx: BenchContext) {}

  options(seconds: number): LoopOptions {
    return { concurrency: this.ctx.concurrency, seconds, warmupSeconds: this.ctx.warmupSeconds };
  }

  async open(): Promise<void> {
    for (const spinning of [true, false]) {
      const session = await createPeer(this.ctx.modelPath, { threads: this.ctx.threads, spinning });
      this.peers.push({
        label: `onnxruntime-node, ${peerLabel({ threads: this.ctx.threads, spinning })}`,
        session,
        spinning,
      });
    }
    const threads = this.ctx.threads;
    const configs = MAX_BATCH_SIZES.flatMap((maxBatchSize) =>
      INSTANCES.map((instances) => ({ threads, maxBatchSize, maxQueueDelayMicros: 0, instances })),
    );
    for (const config of configs) {
      const session = await createEngine(this.ctx.modelPath, config);
      this.engines.push({ label: `engine ${engineLabel(config)}`, session, config, rate: 0 });
    }
  }

  peerPhase(session: ort.InferenceSession, seconds: number): Promise<LoopResult> {
    return runLoop(peerCall(session, this.tensors), this.options(seconds));
  }

  enginePhase(session: InferenceSession, seconds: number): Promise<EnginePhase> {
    return measureEngine(session, engineCall(session, this.requests), this.options(seconds));
  }

  /** Screens the engine configurations briefly and sorts them best first. */
  async screen(): Promise<void> {
    for (const e of this.engines) {
      e.rate = (await this.enginePhase(e.session, this.ctx.screenSeconds)).requestsPerSecond;
      this.ctx.log(`  screen ${e.label}: ${e.rate.toFixed(0)} req/s`);
    }
    this.engines.sort((x, y) => y.rate - x.rate);
  }

  async close(): Promise<void> {
    for (const p of this.peers) await p.session.release();
    for (const e of this.engines) await e.session.dispose();
  }
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const bench = new EngineVsPeer(ctx);
  try {
    await bench.open();
    const verification = await verifyEngine(
      (bench.engines[0] as { session: InferenceSession }).session,
      (bench.peers[0] as { session: ort.InferenceSession }).session,
      bench.images,
      IMAGE_SHAPE,
    );
    ctx.log(
      `  verified ${verification.checked} engine outputs against onnxruntime-node (max diff ${verification.maxAbsDiff})`,
    );
    await bench.screen();
    const engine = bench.engines[0] as EngineVsPeer['engines'][number];
    const phases = await alternate<LoopResult>(ctx, [
      ...bench.peers.map((p) => ({ label: p.label, measure: () => bench.peerPhase(p.session, ctx.seconds) })),
      { label: engine.label, measure: () => bench.enginePhase(engine.session, ctx.seconds) },
    ]);
    const peers = bench.peers.map((p, i) => summarise(p.label, phases[i] as LoopResult[], 'requestsPerSecond'));
    const best = peers.reduce((x, y) => (y.rate > x.rate ? y : x));
    const bestIndex = peers.indexOf(best);
    const enginePhases = phases[peers.length] as EnginePhase[];
    return report(ctx, {
      config: engine.config,
      peer: best,
      peerCandidates: peers,
      engine: summarise(engine.label, enginePhases, 'requestsPerSecond'),
      activity: engineActivity(enginePhases, engine.config.instances),
      pairedRatios: pairedRatios(phases[bestIndex] as LoopResult[], enginePhases, 'requestsPerSecond'),
      spinning: (bench.peers[bestIndex] as { spinning: boolean }).spinning,
      screening: bench.engines.map((c) => ({ label: c.label, requestsPerSecond: round(c.rate) })),
      verification,
    });
  } finally {
    await bench.close();
  }
}

interface Measured {
  config: EngineConfig;
  peer: SideSummary;
  /** Both peer settings as measured; `peer` is the faster. */
  peerCandidates: SideSummary[];
  engine: SideSummary;
  activity: Record<string, unknown>;
  pairedRatios: number[];
  spinning: boolean;
  screening: Array<{ label: string; requestsPerSecond: number }>;
  verification: Verification;
}

function report(ctx: BenchContext, m: Measured): ScenarioResult {
  const summary =
    `c=${ctx.concurrency} batch-1: engine ${m.engine.rate.toFixed(0)} req/s (p50 ${m.engine.p50Ms} ms, ` +
    `p99 ${m.engine.p99Ms} ms, mean batch ${String(m.activity['meanBatchSize'])}) vs onnxruntime-node ` +
    `${m.peer.rate.toFixed(0)} req/s (p50 ${m.peer.p50Ms} ms, p99 ${m.peer.p99Ms} ms), ${ctx.threads} intra-op threads`;
  return {
    scenario: 'engine-vs-peer',
    ratio: round(m.engine.rate / m.peer.rate, 3),
    target: TARGET,
    unit: 'req/s',
    summary,
    figures: {
      peer: { ...m.peer, spinning: m.spinning },
      engine: { ...m.engine, config: m.config, ...m.activity },
      pairedRatios: m.pairedRatios,
      medianPairedRatio: round(median(m.pairedRatios), 3),
      peerCandidates: m.peerCandidates,
      p50Ratio: round(m.engine.p50Ms / m.peer.p50Ms, 3),
      p99Ratio: round(m.engine.p99Ms / m.peer.p99Ms, 3),
      screening: { engines: m.screening },
      verification: m.verification,
      settings: settingsOf(ctx, { requestBatch: 1, poolImages: POOL_IMAGES }),
    },
    chart: chart(ctx, m),
  };
}

function chart(ctx: BenchContext, m: Measured): ChartSection[] {
  return [
    {
      heading: `Throughput, req/s, c=${ctx.concurrency} batch-1 (${ctx.reps} alternating reps of ${ctx.seconds} s)`,
      bars: [
        ...m.peerCandidates.map((p) => ({
          label: p.label,
          value: p.rate,
          side: 'baseline' as const,
          samples: p.samples,
        })),
        { label: m.engine.label, value: m.engine.rate, side: 'engine', samples: m.engine.samples },
      ],
    },
    {
      heading: 'Latency, ms (lower is better; medians of the per-rep percentiles)',
      bars: [
        { label: 'onnxruntime-node p50', value: m.peer.p50Ms, side: 'baseline' },
        { label: 'engine p50', value: m.engine.p50Ms, side: 'engine' },
        { label: 'onnxruntime-node p99', value: m.peer.p99Ms, side: 'baseline' },
        { label: 'engine p99', value: m.engine.p99Ms, side: 'engine' },
      ],
    },
  ];
}

export const engineVsPeer: Scenario = {
  name: 'engine-vs-peer',
  description: 'engine req/s ÷ onnxruntime-node req/s, both with 64 concurrent batch-1 callers; p50/p99 latency',
  byDefault: true,
  run,
};
