/**
 * Parts of the large-body scenario: a model repository with iris and a `sum` model (ReduceSum over an FP32
 * [1, n] input: a large request whose answer is one number, so that only the request's decoding costs the
 * server's JS thread), the 50 MB JSON body, and a client that keeps sending it, one request at a time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './http-child';

export const SUM_MODEL = 'sum';

interface OnnxBuilder {
  DataType: Record<string, number>;
  valueInfo(name: string, elemType: number, dims: Array<string | number>): unknown;
  node(opType: string, inputs: string[], outputs: string[], attrs?: Record<string, number>): unknown;
  encodeModel(spec: { name: string; nodes: unknown[]; inputs: unknown[]; outputs: unknown[] }): Buffer;
}

/** y [1, 1] = ReduceSum(x [1, n]) over every axis (opset 17 without axes: all of them, kept). */
function sumModel(): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const b = require(path.join(repoRoot(), 'scripts', 'models', 'onnx-builder.js')) as OnnxBuilder;
  return b.encodeModel({
    name: SUM_MODEL,
    nodes: [b.node('ReduceSum', ['x'], ['y'], { keepdims: 1 })],
    inputs: [b.valueInfo('x', b.DataType['FLOAT']!, [1, 'n'])],
    outputs: [b.valueInfo('y', b.DataType['FLOAT']!, [1, 1])],
  });
}

/** A temporary model repository: examples/models/iris as it is, and `sum` (no batching). Returns its folder. */
export function writeLargeBodyRepository(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'graphserve-bench-large-'));
  fs.cpSync(path.join(repoRoot(), 'examples', 'models', 'iris'), path.join(root, 'iris'), { recursive: true });
  const sum = path.join(root, SUM_MODEL);
  fs.mkdirSync(sum);
  fs.writeFileSync(path.join(sum, 'model.onnx'), sumModel());
  const settings = {
    name: SUM_MODEL,
    batching: { maxBatchSize: 1, maxQueueDelayMicros: 0 },
    executionProviders: ['cpu'],
    intraOpThreads: 1,
  };
  fs.writeFileSync(path.join(sum, 'model-settings.json'), JSON.stringify(settings, null, 2) + '\n');
  return root;
}

/** An OIP JSON body of about `bytes` bytes for `sum`: one FP32 [1, n] input of 7-digit numbers; and their sum. */
export function largeJsonBody(bytes: number): { body: Buffer; elements: number; sum: number } {
  const elements = Math.floor(bytes / 10); // "-0.123456," is 10 bytes at most
  const parts: string[] = [];
  let sum = 0;
  for (let i = 0; i < elements; i++) {
    const v = Math.fround(((((i * 7919) % 200_003) - 100_000) / 100_000) * 0.9);
    sum += v;
    parts.push(v.toFixed(6));
  }
  const text = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,${elements}],"data":[${parts.join(',')}]}]}`;
  return { body: Buffer.from(text), elements, sum };
}

/** Sends `body` to `url` again and again, one request at a time, until stop(). */
export class LargeBodySender {
  sent = 0;
  failed = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly body: Buffer,
  ) {}

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: this.body,
        });
        await res.arrayBuffer();
        if (res.status === 200) this.sent++;
        else this.failed++;
      } catch {
        this.failed++;
      }
    }
  }
}

/** POSTs `body` once; the answer's status and text. */
export async function postOnce(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}
