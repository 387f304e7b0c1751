/**
 * Guards for the HTTP scenarios: before anything is timed, a few requests go to each server and their
 * outputs must agree (within 1e-4) with a reference, so a server answering fast and wrong cannot win.
 * Requests to graphserve go concurrently, so that they share batches.
 */
import { maxAbsDiff } from './inputs';
import { type HttpBody, postInfer } from './oip-bodies';
import { TOLERANCE } from './verify';

export interface HttpVerification {
  /** Responses compared with the reference, over all servers and body kinds. */
  checked: number;
  maxAbsDiff: number;
  tolerance: number;
}

export interface VerifyCase {
  label: string;
  url: string;
  bodies: readonly HttpBody[];
  /** Send all at once (graphserve: they batch) or one after another. */
  concurrent: boolean;
}

async function outputsOf(c: VerifyCase): Promise<Float32Array[]> {
  if (c.concurrent) return Promise.all(c.bodies.map((b) => postInfer(c.url, b)));
  const out: Float32Array[] = [];
  for (const b of c.bodies) out.push(await postInfer(c.url, b));
  return out;
}

/**
 * Every case's i-th output must match `reference[i]`; throws naming the first that does not. The
 * reference is usually the peer's JSON outputs (onnxruntime-node), or the input itself for identity.
 */
export async function verifyHttp(
  reference: readonly Float32Array[],
  cases: readonly VerifyCase[],
): Promise<HttpVerification> {
  let worst = 0;
  let checked = 0;
  for (const c of cases) {
    const got = await outputsOf(c);
    for (const [i, want] of reference.entries()) {
      const diff = maxAbsDiff(got[i] ?? new Float32Array(0), want);
      if (!(diff <= TOLERANCE)) throw new Error(`${c.label}: output ${i} differs from the reference by ${diff}`);
      worst = Math.max(worst, diff);
      checked++;
    }
  }
  return { checked, maxAbsDiff: worst, tolerance: TOLERANCE };
}

/** The outputs of `bodies` sent one at a time to `url` (e.g. the peer's, as the reference). */
export function referenceOutputs(url: string, bodies: readonly HttpBody[]): Promise<Float32Array[]> {
  return outputsOf({ label: 'reference', url, bodies, concurrent: false });
}
