/**
 * The CUDA execution provider on a real NVIDIA GPU (issue 15). Run on the GPU machine by
 * scripts/gpu/device-run.sh, with the node binary, the addon and ONNX Runtime's GPU build carried there
 * (scripts/gpu/prepare.sh):
 *
 *   node dist/bench/gpu/gpu-bench.js --model ppocr-cls.onnx --input-shape 3,48,192 \
 *        [--extra-model det.onnx --extra-shape 3,640,640] --out gpu.json [--seconds 2]
 *
 * For the model it measures, in one run: the outputs of `['cuda', 'cpu']` against the CPU provider's on
 * the same batch (max abs difference), images/s of plain runs at batch 1 and larger batches on both
 * providers (one request at a time: the batch is the request), and the engine's dynamic batcher at c=64
 * (batch-1 requests from 64 concurrent callers: req/s, p50, p99, batch sizes). Progress goes to stderr;
 * the figures are written as one JSON object (bench/results/gpu.json).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { InferenceSession, type SessionStats } from '../../bindings/session';
import { loadAddon } from '../../bindings/loader';
import type { Tensor } from '../../bindings/datatypes';
import { batchPool, elementsPerImage, imagePool, maxAbsDiff } from '../lib/inputs';
import { quantile } from '../lib/stats';

/** `value` with `decimals` decimals. */
function fixed(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

const TOLERANCE = 1e-3; // max abs difference accepted between the CUDA and CPU outputs (softmax scores)
const BATCHES = [1, 8, 32, 64, 128, 256];
const CONCURRENCY = 64;
/**
 * Dynamic batcher configurations compared (maxBatchSize 64 = the callers): the defaults (batches padded
 * to one size on CUDA), without padding (batch sizes vary, and cuDNN sets up again for each change), and
 * with padding and cuDNN's heuristic algorithm choice instead of the exhaustive search.
 */
const BATCHERS = {
  default: {},
  'no padding': { padBatches: false },
  'padding, HEURISTIC': { cudnnConvAlgoSearch: 'HEURISTIC' },
} as const;

interface Args {
  model: string;
  shape: number[];
  extraModel?: string;
  extraShape?: number[];
  out: string;
  seconds: number;
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const shape = (text: string | undefined, flag: string): number[] => {
    if (!text) throw new Error(`${flag} is required`);
    return text.split(',').map(Number);
  };
  const args: Args = {
    model: get('--model') ?? '',
    shape: shape(get('--input-shape'), '--input-shape'),
    out: get('--out') ?? 'gpu.json',
    seconds: Number(get('--seconds') ?? 2),
  };
  const extra = get('--extra-model');
  if (extra) {
    args.extraModel = extra;
    args.extraShape = shape(get('--extra-shape'), '--extra-shape');
  }
  return args;
}

const log = (line: string): void => {
  process.stderr.write(`gpu-bench: ${line}\n`);
};

/** `rows` deterministic images in [-1, 1) (bench/lib/inputs.ts), as one tensor. */
function input(rows: number, shape: number[], seed: number): Tensor {
  const [data] = batchPool(imagePool(rows, elementsPerImage(shape), seed), rows);
  return { datatype: 'FP32', shape: [rows, ...shape], data: data! };
}

/** Runs `rows`-row requests back to back for `seconds` (after 3 warm-up runs); images/s. */
async function imagesPerSecond(s: InferenceSession, name: string, rows: number, shape: number[], seconds: number) {
  const feeds = { [name]: input(rows, shape, rows) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  let runs = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < until) {
    await s.run(feeds);
    runs++;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return fixed((runs * rows) / elapsed, 1);
}

/** 64 callers looping batch-1 requests through the dynamic batcher for `seconds`. */
async function batcher(s: InferenceSession, name: string, shape: number[], seconds: number) {
  const feeds = Array.from({ length: 16 }, (_, i) => ({ [name]: input(1, shape, 100 + i) }));
  const before: SessionStats = s.stats();
  const latencies: number[] = [];
  const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, c) => {
      for (let i = c; process.hrtime.bigint() < until; i++) {
        const t0 = process.hrtime.bigint();
        await s.run(feeds[i % feeds.length]!);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const after = s.stats();
  const batchSizes: Record<string, number> = {};
  for (const [size, runs] of Object.entries(after.batchSizes)) {
    const d = runs - (before.batchSizes[size] ?? 0);
    if (d > 0) batchSizes[size] = d;
  }
  latencies.sort((a, b) => a - b);
  return {
    concurrency: CONCURRENCY,
    requestsPerSecond: fixed(latencies.length / elapsed, 1),
    p50Ms: fixed(quantile(latencies, 0.5), 3),
    p99Ms: fixed(quantile(latencies, 0.99), 3),
    batches: after.batches - before.batches,
    batchSizes,
    /** Mean time one batch spent in ORT's run, and one request in the queue, ms. */
    paddedRows: after.paddedRows - before.paddedRows,
    computeMsPerBatch: fixed((after.computeMicros - before.computeMicros) / 1000 / (after.batches - before.batches), 3),
    queueMsPerRequest: fixed((after.queueMicros - before.queueMicros) / 1000 / (after.requests - before.requests), 3),
  };
}

function command(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 30_000 }).trim();
  } catch (err) {
    return `unavailable (${(err as Error).message.split('\n')[0]})`;
  }
}

/** Everything measured for one model. */
async function measure(model: string, shape: number[], seconds: number, batchSizes: number[]) {
  const cpu = await InferenceSession.create(model, { executionProviders: ['cpu'], batching: false });
  const gpu = await InferenceSession.create(model, { executionProviders: ['cuda', 'cpu'], batching: false });
  const name = gpu.inputs[0]!.name;
  log(`${model}: providers ${gpu.providers.join(',')}; warnings ${JSON.stringify(gpu.warnings)}`);
  const check = { [name]: input(8, shape, 7) };
  const [c, g] = await Promise.all([cpu.run(check), gpu.run(check)]);
  const diffs = Object.fromEntries(
    cpu.outputs.map((o) => [o.name, maxAbsDiff(c[o.name]!.data as Float32Array, g[o.name]!.data as Float32Array)]),
  );
  const maxDiff = Math.max(...Object.values(diffs));
  log(`${model}: max abs diff CUDA vs CPU ${maxDiff}`);
  const gpuImages: Record<string, number> = {};
  for (const rows of batchSizes) {
    gpuImages[rows] = await imagesPerSecond(gpu, name, rows, shape, seconds);
    log(`${model}: cuda batch ${rows}: ${gpuImages[rows]} images/s`);
  }
  const cpuImages: Record<string, number> = {};
  for (const rows of [1, 32]) {
    cpuImages[rows] = await imagesPerSecond(cpu, name, rows, shape, seconds);
    log(`${model}: cpu batch ${rows}: ${cpuImages[rows]} images/s`);
  }
  const best = Object.entries(gpuImages).reduce((a, b) => (b[1] > a[1] ? b : a));
  await Promise.all([cpu.dispose(), gpu.dispose()]);
  return {
    model,
    inputShape: [-1, ...shape],
    providers: gpu.providers,
    warnings: gpu.warnings,
    outputsMatchCpu: { ok: maxDiff <= TOLERANCE, maxAbsDiff: maxDiff, tolerance: TOLERANCE, byOutput: diffs },
    cudaImagesPerSecond: gpuImages,
    cpuImagesPerSecond: cpuImages,
    bestBatch: Number(best[0]),
    batchingSpeedup: fixed(best[1] / gpuImages[1]!, 2),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const smi = command('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
  const cudaVersion = /CUDA Version: ([\d.]+)/.exec(command('nvidia-smi', []))?.[1] ?? 'unknown';
  log(`device: ${smi}; CUDA ${cudaVersion}; ORT ${loadAddon().ortVersion}`);
  const main = await measure(args.model, args.shape, args.seconds, BATCHES);
  const byConfig: Record<string, Awaited<ReturnType<typeof batcher>>> = {};
  for (const [label, config] of Object.entries(BATCHERS)) {
    const search = 'cudnnConvAlgoSearch' in config ? config.cudnnConvAlgoSearch : undefined;
    const batched = await InferenceSession.create(args.model, {
      executionProviders: [search ? { name: 'cuda', cudnnConvAlgoSearch: search } : 'cuda', 'cpu'],
      batching: { maxBatchSize: CONCURRENCY, ...('padBatches' in config ? { padBatches: config.padBatches } : {}) },
    });
    const name = batched.inputs[0]!.name;
    await imagesPerSecond(batched, name, 1, args.shape, 0.5); // warm-up
    byConfig[label] = await batcher(batched, name, args.shape, args.seconds * 2);
    log(`dynamic batcher c=64, ${label}: ${JSON.stringify(byConfig[label])}`);
    await batched.dispose();
  }
  const dynamic = byConfig['default']!;
  const extra =
    args.extraModel && args.extraShape
      ? await measure(args.extraModel, args.extraShape, args.seconds, [1, 8, 32])
      : undefined;
  const result = {
    device: smi.split(',')[0]!.trim(),
    nvidiaSmi: smi,
    ort_version: loadAddon().ortVersion,
    cuda_version: cudaVersion,
    outputs_match_cpu: main.outputsMatchCpu,
    batching_speedup: main.batchingSpeedup,
    engine_images_per_s: dynamic.requestsPerSecond,
    measuredAt: new Date().toISOString(),
    seconds: args.seconds,
    main,
    dynamicBatcher: dynamic,
    dynamicBatcherByConfig: byConfig,
    ...(extra ? { extraModel: extra } : {}),
  };
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${args.out}`);
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
