/**
 * The onnxruntime-node side of the comparisons: the peer a user would otherwise reach for, and the
 * baseline loop over ORT. Its `session.run` runs synchronously on the JS thread (inside setImmediate)
 * and copies its outputs.
 */
import * as ort from 'onnxruntime-node';
import type { Call } from './loop';

export interface PeerSettings {
  /** ORT intra-op threads. */
  threads: number;
  /**
   * Whether idle ORT pool threads spin. ORT's default is to spin; the engine turns it off (the event loop
   * shares its cores). Both are tried and the faster one is kept, so the baseline is the strongest.
   */
  spinning: boolean;
}

export function peerLabel(settings: PeerSettings): string {
  return `spinning ${settings.spinning ? 'on' : 'off'}`;
}

export async function createPeer(modelPath: string, settings: PeerSettings): Promise<ort.InferenceSession> {
  const spin = settings.spinning ? '1' : '0';
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: settings.threads,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  });
}

/** Tensors of shape [batch, ...imageShape] over each data array (made once, outside the timed loop). */
export function peerTensors(data: readonly Float32Array[], batch: number, imageShape: readonly number[]): ort.Tensor[] {
  return data.map((d) => new ort.Tensor('float32', d, [batch, ...imageShape]));
}

/** A loop call that runs tensor `seq mod n` and counts its rows as images. */
export function peerCall(session: ort.InferenceSession, tensors: readonly ort.Tensor[]): Call {
  const input = session.inputNames[0] as string;
  return async (seq) => {
    const tensor = tensors[seq % tensors.length] as ort.Tensor;
    await session.run({ [input]: tensor });
    return tensor.dims[0] as number;
  };
}

/** The first output of one run, as a Float32Array (for checking the engine against ORT). */
export async function peerOutput(session: ort.InferenceSession, tensor: ort.Tensor): Promise<Float32Array> {
  const input = session.inputNames[0] as string;
  const output = session.outputNames[0] as string;
  const result = await session.run({ [input]: tensor });
  return result[output]?.data as Float32Array;
}

/** onnxruntime-node's first output for each image run alone, batch 1 (the reference outputs are checked against). */
export async function peerOutputs(
  modelPath: string,
  images: readonly Float32Array[],
  imageShape: readonly number[],
  threads: number,
): Promise<Float32Array[]> {
  const peer = await createPeer(modelPath, { threads, spinning: false });
  try {
    const out: Float32Array[] = [];
    for (const tensor of peerTensors(images, 1, imageShape)) out.push(await peerOutput(peer, tensor));
    return out;
  } finally {
    await peer.release();
  }
}

export function peerVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}
