/**
 * json-decode: decoding one PP-OCR-sized OIP JSON request (FP32 [1,3,48,192], ~0.55 MB) on the JS
 * thread, as GraphServer does (decodeBody, whose fast path reads the number arrays in the addon) against
 * the plain path (JSON.parse, then decodeInferRequest). Both decode the same bytes in the same process,
 * alternating; ratio = fast decodes/s ÷ plain decodes/s. No target in benchmarks.md: it explains the
 * JSON side of http-vs-peer, where this decode is most of the JS thread's time per request.
 */
import { decodeBody, decodeInferRequest } from '../../src/protocol';
import { median, round } from '../lib/stats';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

function requestBody(): Buffer {
  const n = 3 * 48 * 192;
  let x = 12345;
  const data = Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return (x / 2 ** 31) * 2 - 1;
  });
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data }] }));
}

/** Decodes per second over `seconds`. */
function rate(decode: () => unknown, seconds: number): number {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const start = performance.now();
  while (performance.now() < end) {
    decode();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const body = requestBody();
  const plain = () => decodeInferRequest(JSON.parse(body.toString('utf8')));
  const fast = () => decodeInferRequest(decodeBody(body, {}));
  const a = plain().inputs[0]!.data as Float32Array;
  const b = fast().inputs[0]!.data as Float32Array;
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error('fast and plain decodes differ');
  rate(plain, ctx.warmupSeconds);
  rate(fast, ctx.warmupSeconds);
  const plainRates: number[] = [];
  const fastRates: number[] = [];
  for (let r = 0; r < ctx.reps; r++) {
    ctx.log(`json-decode rep ${r + 1}/${ctx.reps}`);
    plainRates.push(rate(plain, Math.min(ctx.seconds, 2)));
    fastRates.push(rate(fast, Math.min(ctx.seconds, 2)));
  }
  const [p, f] = [round(median(plainRates)), round(median(fastRates))];
  return {
    scenario: 'json-decode',
    ratio: round(f / p, 3),
    target: 1,
    unit: 'decodes/s',
    summary: `${(body.length / 1e6).toFixed(2)} MB FP32 request: fast path ${f}/s (${Math.round(1e6 / f)} µs) vs JSON.parse ${p}/s (${Math.round(1e6 / p)} µs)`,
    figures: {
      plain: { rate: p, samples: plainRates.map((v) => round(v)) },
      fast: { rate: f, samples: fastRates.map((v) => round(v)) },
      bodyBytes: body.length,
    },
    chart: [
      {
        heading: 'Decoding a 0.55 MB OIP JSON request on the JS thread (decodes/s)',
        bars: [
          { label: 'JSON.parse + decode', value: p, side: 'baseline', samples: plainRates },
          { label: 'graphserve decodeBody', value: f, side: 'engine', samples: fastRates },
        ],
      },
    ],
  };
}

export const jsonDecode: Scenario = {
  name: 'json-decode',
  description: 'decoding a 0.55 MB OIP JSON request: graphserve decodeBody vs JSON.parse, same bytes',
  byDefault: true,
  run,
};
