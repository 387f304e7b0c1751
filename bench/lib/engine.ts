/** The graphserve side of the comparisons: engine sessions, their loop calls and their stats windows. */
import type { Tensor } from '../../bindings/datatypes';
import { loadAddon } from '../../bindings/loader';
import { InferenceSession, type SessionStats } from '../../bindings/session';
import { type Call, type LoopOptions, type LoopResult, runLoop } from './loop';
import { diffHistograms } from './stats';

export interface EngineConfig {
  threads: number;
  maxBatchSize: number;
  /** Batching delay, microseconds (0 = opportunistic). */
  maxQueueDelayMicros: number;
  instances: number;
}

export function engineLabel(c: EngineConfig): string {
  return `max ${c.maxBatchSize}, delay ${c.maxQueueDelayMicros} µs, ${c.instances} inst`;
}

export async function createEngine(modelPath: string, c: EngineConfig): Promise<InferenceSession> {
  return InferenceSession.create(modelPath, {
    intraOpThreads: c.threads,
    executionProviders: ['cpu'],
    instances: c.instances,
    batching: { maxBatchSize: c.maxBatchSize, maxQueueDelayMicros: c.maxQueueDelayMicros },
  });
}

/** FP32 tensors of shape [batch, ...imageShape] over each data array (made once, outside the timed loop). */
export function engineTensors(data: readonly Float32Array[], batch: number, imageShape: readonly number[]): Tensor[] {
  return data.map((d) => ({ datatype: 'FP32', shape: [batch, ...imageShape], data: d }));
}

/** A loop call that runs tensor `seq mod n` and counts its rows as images. */
export function engineCall(session: InferenceSession, tensors: readonly Tensor[]): Call {
  const input = (session.inputs[0] as { name: string }).name;
  return async (seq) => {
    const tensor = tensors[seq % tensors.length] as Tensor;
    await session.run({ [input]: tensor });
    return tensor.shape[0] as number;
  };
}

/** The first output of one request, as a Float32Array. */
export async function engineOutput(session: InferenceSession, tensor: Tensor): Promise<Float32Array> {
  const input = (session.inputs[0] as { name: string }).name;
  const output = (session.outputs[0] as { name: string }).name;
  const result = await session.run({ [input]: tensor });
  return result[output]?.data as Float32Array;
}

/** A loop result with what the engine did inside the same window. */
export interface EnginePhase extends LoopResult {
  /** Rows per run → runs, inside the window. */
  batchSizes: Record<string, number>;
  batches: number;
  /** Microseconds the runs computed (summed over instances) and requests queued, inside the window. */
  computeMicros: number;
  queueMicros: number;
  failed: number;
}

/** Runs the loop and takes the engine's stats at the window's edges. */
export async function measureEngine(session: InferenceSession, call: Call, options: LoopOptions): Promise<EnginePhase> {
  let before: SessionStats = session.stats();
  let after: SessionStats = before;
  const loop = await runLoop(call, {
    ...options,
    onWindowStart: () => (before = session.stats()),
    onWindowEnd: () => (after = session.stats()),
  });
  return {
    ...loop,
    batchSizes: diffHistograms(after.batchSizes, before.batchSizes),
    batches: after.batches - before.batches,
    computeMicros: after.computeMicros - before.computeMicros,
    queueMicros: after.queueMicros - before.queueMicros,
    failed: after.failed - before.failed,
  };
}

export function engineVersion(): string {
  return loadAddon().ortVersion;
}
