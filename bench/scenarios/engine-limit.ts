/**
 * engine-limit: the native engine's throughput at saturation against the physical limit of the machine
 * for this model, i.e. the best single-thread-of-control loop over ORT (onnxruntime-node `session.run`
 * awaited in a tight loop) at its best batch size and thread spinning setting.
 *
 * Screening: every baseline (batch 1..32, spinning on/off) and every engine configuration (max batch,
 * delay, instances; 64 callers sending batch-1 requests) runs once, briefly. Comparison: the best
 * baseline batch size for each spinning setting and the best engine configuration, alternating, `reps`
 * times; ratio = median engine images/s ÷ the better median baseline images/s.
 */
import type * as ort from 'onnxruntime-node';
import type { InferenceSession } from '../../bindings/session';
import {
  type SideSummary,
  alternate,
  engineActivity,
  interleave,
  pairedRatios,
  settingsOf,
  summarise,
} from '../lib/compare';
import {
  type EngineConfig,
  type EnginePhase,
  createEngine,
  engineCall,
  engineLabel,
  engineTensors,
  measureEngine,
} from '../lib/engine';
import { IMAGE_SHAPE, batchPool, elementsPerImage, imagePool } from '../lib/inputs';
import { type LoopOptions, type LoopResult, runLoop } from '../lib/loop';
import { type PeerSettings, createPeer, peerCall, peerLabel, peerTensors } from '../lib/peer';
import { median, round } from '../lib/stats';
import type { Bar, BenchContext, ChartSection, Scenario, ScenarioResult } from '../lib/types';
import { type Verification, verifyEngine } from '../lib/verify';

const TARGET = 0.9;
const BATCH_SIZES = [1, 2, 4, 8, 16, 32];
const POOL_IMAGES = 256;
const MAX_BATCH_SIZES = [16, 32];
/** The "small value" of batching delay tried besides 0, microseconds. */
const DELAYS_MICROS = [0, 1000];
const INSTANCES = [1, 2];

interface Baseline {
  settings: PeerSettings;
  batch: number;
  label: string;
  rate: number;
}

interface EngineCandidate {
  config: EngineConfig;
  label: string;
  rate: number;
  meanBatchSize: number;
}

/**
 * The best screened batch size for each spinning setting, best first. Both go on to the comparison:
 * a spinning pool can collapse when other work shares the cores, and one short screening cannot
 * tell which setting the rest of the run will favour.
 */
function bestPerSpinning(sorted: readonly Baseline[]): Baseline[] {
  return [true, false]
    .map((spinning) => sorted.find((b) => b.settings.spinning === spinning) as Baseline)
    .sort((a, b) => b.rate - a.rate);
}

function loopOptions(ctx: BenchContext, seconds: number, concurrency: number): LoopOptions {
  return { concurrency, seconds, warmupSeconds: ctx.warmupSeconds };
}

function baselineLabel(settings: PeerSettings, batch: number): string {
  return `ORT loop, batch ${batch}, ${peerLabel(settings)}`;
}

/** Every engine configuration screened. */
function engineConfigs(threads: number): EngineConfig[] {
  return MAX_BATCH_SIZES.flatMap((maxBatchSize) =>
    DELAYS_MICROS.flatMap((maxQueueDelayMicros) =>
      INSTANCES.map((instances) => ({ threads, maxBatchSize, maxQueueDelayMicros, instances })),
    ),
  );
}

class EngineLimit {
  readonly images = imagePool(POOL_IMAGES, elementsPerImage());
  readonly requests = engineTensors(this.images, 1, IMAGE_SHAPE);
  readonly peers = new Map<boolean, ort.InferenceSession>();

  constructor(readonly ctx: BenchContext) {}

  async peer(spinning: boolean): Promise<ort.InferenceSession> {
    let session = this.peers.get(spinning);
    if (session === undefined) {
      session = await createPeer(this.ctx.modelPath, { threads: this.ctx.threads, spinning });
      this.peers.set(spinning, session);
    }
    return session;
  }

  async measureBaseline(settings: PeerSettings, batch: number, seconds: number): Promise<LoopResult> {
    const tensors = peerTensors(batchPool(this.images, batch), batch, IMAGE_SHAPE);
    const session = await this.peer(settings.spinning);
    return runLoop(peerCall(session, tensors), loopOptions(this.ctx, seconds, 1));
  }

  async measureEngine(engine: InferenceSession, seconds: number): Promise<EnginePhase> {
    return measureEngine(
      engine,
      engineCall(engine, this.requests),
      loopOptions(this.ctx, seconds, this.ctx.concurrency),
    );
  }

  async screen(): Promise<{ baselines: Baseline[]; engines: EngineCandidate[] }> {
    const baselines: Baseline[] = [];
    const engines: EngineCandidate[] = [];
    const s = this.ctx.screenSeconds;
    const baselineTasks = [true, false].flatMap((spinning) =>
      BATCH_SIZES.map((batch) => async () => {
        const settings = { threads: this.ctx.threads, spinning };
        const label = baselineLabel(settings, batch);
        const rate = (await this.measureBaseline(settings, batch, s)).imagesPerSecond;
        this.ctx.log(`  screen ${label}: ${rate.toFixed(0)} images/s`);
        baselines.push({ settings, batch, label, rate });
      }),
    );
    const engineTasks = engineConfigs(this.ctx.threads).map((config) => async () => {
      const engine = await createEngine(this.ctx.modelPath, config);
      const phase = await this.measureEngine(engine, s);
      await engine.dispose();
      const meanBatch = engineActivity([phase], config.instances)['meanBatchSize'] as number;
      this.ctx.log(`  screen engine ${engineLabel(config)}: ${phase.imagesPerSecond.toFixed(0)} images/s`);
      engines.push({ config, label: engineLabel(config), rate: phase.imagesPerSecond, meanBatchSize: meanBatch });
    });
    await interleave([baselineTasks, engineTasks]);
    return { baselines: baselines.sort((a, b) => b.rate - a.rate), engines: engines.sort((a, b) => b.rate - a.rate) };
  }

  async dispose(): Promise<void> {
    for (const session of this.peers.values()) await session.release();
  }
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const bench = new EngineLimit(ctx);
  try {
    const check = await createEngine(ctx.modelPath, {
      threads: ctx.threads,
      maxBatchSize: 32,
      maxQueueDelayMicros: 0,
      instances: 1,
    });
    const verification = await verifyEngine(check, await bench.peer(true), bench.images, IMAGE_SHAPE);
    await check.dispose();
    ctx.log(
      `  verified ${verification.checked} engine outputs against onnxruntime-node (max diff ${verification.maxAbsDiff})`,
    );
    const screening = await bench.screen();
    const top = bestPerSpinning(screening.baselines);
    const best = screening.engines[0] as EngineCandidate;
    const engine = await createEngine(ctx.modelPath, best.config);
    const phases = await alternate<LoopResult>(ctx, [
      ...top.map((b) => ({ label: b.label, measure: () => bench.measureBaseline(b.settings, b.batch, ctx.seconds) })),
      { label: `engine ${best.label}`, measure: () => bench.measureEngine(engine, ctx.seconds) },
    ]);
    await engine.dispose();
    return report(ctx, { top, best, phases, screening, verification });
  } finally {
    await bench.dispose();
  }
}

interface Measured {
  top: Baseline[];
  best: EngineCandidate;
  phases: LoopResult[][];
  screening: { baselines: Baseline[]; engines: EngineCandidate[] };
  verification: Verification;
}

/** The compared sides' summaries: every measured baseline candidate, the better one, and the engine. */
interface Compared {
  candidates: SideSummary[];
  baseline: SideSummary;
  chosen: Baseline;
  engine: SideSummary;
  activity: Record<string, unknown>;
  /** Engine ÷ chosen baseline, repetition by repetition. */
  pairedRatios: number[];
}

function compared(m: Measured): Compared {
  const candidates = m.top.map((b, i) => summarise(b.label, m.phases[i] as LoopResult[], 'imagesPerSecond'));
  const baseline = candidates.reduce((a, b) => (b.rate > a.rate ? b : a));
  const enginePhases = m.phases[m.top.length] as EnginePhase[];
  const chosenIndex = candidates.indexOf(baseline);
  return {
    candidates,
    baseline,
    chosen: m.top[chosenIndex] as Baseline,
    engine: summarise(`engine ${m.best.label}`, enginePhases, 'imagesPerSecond'),
    activity: engineActivity(enginePhases, m.best.config.instances),
    pairedRatios: pairedRatios(m.phases[chosenIndex] as LoopResult[], enginePhases, 'imagesPerSecond'),
  };
}

function report(ctx: BenchContext, m: Measured): ScenarioResult {
  const c = compared(m);
  const summary =
    `engine ${c.engine.rate.toFixed(0)} images/s (${m.best.label}, c=${ctx.concurrency} batch-1, ` +
    `mean batch ${String(c.activity['meanBatchSize'])}) vs ORT loop ${c.baseline.rate.toFixed(0)} images/s ` +
    `(batch ${c.chosen.batch}, ${peerLabel(c.chosen.settings)}), ${ctx.threads} intra-op threads`;
  return {
    scenario: 'engine-limit',
    ratio: round(c.engine.rate / c.baseline.rate, 3),
    target: TARGET,
    unit: 'images/s',
    summary,
    figures: {
      baseline: { ...c.baseline, batchSize: c.chosen.batch, spinning: c.chosen.settings.spinning },
      engine: { ...c.engine, config: m.best.config, ...c.activity },
      pairedRatios: c.pairedRatios,
      medianPairedRatio: round(median(c.pairedRatios), 3),
      baselineCandidates: c.candidates,
      screening: {
        baselines: m.screening.baselines.map((b) => ({ label: b.label, imagesPerSecond: round(b.rate) })),
        engines: m.screening.engines.map((e) => ({
          label: e.label,
          imagesPerSecond: round(e.rate),
          meanBatchSize: e.meanBatchSize,
        })),
      },
      verification: m.verification,
      settings: settingsOf(ctx, { requestBatch: 1, poolImages: POOL_IMAGES }),
    },
    chart: chart(ctx, m, c),
  };
}

function chart(ctx: BenchContext, m: Measured, c: Compared): ChartSection[] {
  const screened: Bar[] = [
    ...m.screening.baselines.map((b) => ({ label: b.label, value: round(b.rate), side: 'baseline' as const })),
    ...m.screening.engines.map((e) => ({ label: `engine ${e.label}`, value: round(e.rate), side: 'engine' as const })),
  ];
  return [
    {
      heading: `Compared, images/s (${ctx.reps} alternating reps of ${ctx.seconds} s)`,
      bars: [
        ...c.candidates.map((b) => ({ label: b.label, value: b.rate, side: 'baseline' as const, samples: b.samples })),
        { label: c.engine.label, value: c.engine.rate, side: 'engine', samples: c.engine.samples },
      ],
    },
    { heading: `Screening, images/s (${ctx.screenSeconds} s each)`, bars: screened },
  ];
}

export const engineLimit: Scenario = {
  name: 'engine-limit',
  description: 'engine images/s at saturation (64 callers, batch-1, batching on) ÷ best ORT session.run loop',
  byDefault: true,
  run,
};
