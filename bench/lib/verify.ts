/**
 * Guards against a broken engine looking fast: before anything is timed, a few requests go through the
 * engine concurrently (so that they share batches) and each output must match onnxruntime-node's output
 * for the same image run alone.
 */
import type * as ort from 'onnxruntime-node';
import type { InferenceSession } from '../../bindings/session';
import { engineOutput, engineTensors } from './engine';
import { maxAbsDiff } from './inputs';
import { peerOutput, peerTensors } from './peer';
import { diffHistograms } from './stats';

export const TOLERANCE = 1e-4;

export interface Verification {
  /** Requests compared. */
  checked: number;
  maxAbsDiff: number;
  tolerance: number;
  /** Batches the checked requests formed in the engine, rows → runs. */
  batchSizes: Record<string, number>;
}

/** Compares the engine with ORT on `count` pool images; throws when any output differs by more than 1e-4. */
export async function verifyEngine(
  engine: InferenceSession,
  peer: ort.InferenceSession,
  images: readonly Float32Array[],
  imageShape: readonly number[],
  count = 16,
): Promise<Verification> {
  const picked = images.slice(0, count);
  const before = engine.stats().batchSizes;
  const got = await Promise.all(engineTensors(picked, 1, imageShape).map((t) => engineOutput(engine, t)));
  const batchSizes = diffHistograms(engine.stats().batchSizes, before);
  let worst = 0;
  const tensors = peerTensors(picked, 1, imageShape);
  for (let i = 0; i < tensors.length; i++) {
    const want = await peerOutput(peer, tensors[i] as ort.Tensor);
    const diff = maxAbsDiff(got[i] as Float32Array, want);
    if (!(diff <= TOLERANCE)) {
      throw new Error(`engine output ${i} differs from onnxruntime-node's by ${diff} (tolerance ${TOLERANCE})`);
    }
    worst = Math.max(worst, diff);
  }
  return { checked: picked.length, maxAbsDiff: worst, tolerance: TOLERANCE, batchSizes };
}
