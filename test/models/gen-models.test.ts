import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { EXAMPLES_DIR, FIXTURES_DIR, generateAll, ppocrClassifierPath } from '../../scripts/gen-models';

// Values from a native addon may come from another realm, so tensors are compared through Array.from.

const fixture = (name: string): string => path.join(FIXTURES_DIR, name);
const example = (name: string): string => path.join(EXAMPLES_DIR, name, 'model.onnx');

function f32(data: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(data), dims);
}

function tensorMeta(meta: ort.InferenceSession.ValueMetadata | undefined): { type: string; shape: unknown[] } {
  if (!meta?.isTensor) throw new Error('expected tensor metadata');
  return { type: meta.type, shape: [...meta.shape] };
}

async function run(file: string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(file);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function output(result: ort.InferenceSession.ReturnType, name: string): ort.Tensor {
  const t = result[name];
  if (!t) throw new Error(`missing output ${name}`);
  return t;
}

function argmaxRows(values: number[], cols: number): number[] {
  const labels: number[] = [];
  for (let r = 0; r < values.length / cols; r++) {
    const row = values.slice(r * cols, (r + 1) * cols);
    labels.push(row.indexOf(Math.max(...row)));
  }
  return labels;
}

beforeAll(() => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    generateAll();
  } finally {
    log.mockRestore();
  }
});

describe('gen-models script', () => {
  it('writes nothing on a second run when the outputs are up to date', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(generateAll()).toEqual([]);
    } finally {
      log.mockRestore();
    }
  });
});

// OIP datatype -> a 2x3 input in the onnxruntime-node representation. BF16 is absent: see its own test.
const IDENTITY_INPUTS: Record<string, () => ort.Tensor> = {
  BOOL: () => new ort.Tensor('bool', Uint8Array.from([1, 0, 1, 1, 0, 0]), [2, 3]),
  UINT8: () => new ort.Tensor('uint8', Uint8Array.from([0, 1, 2, 127, 128, 255]), [2, 3]),
  UINT16: () => new ort.Tensor('uint16', Uint16Array.from([0, 1, 2, 300, 40000, 65535]), [2, 3]),
  UINT32: () => new ort.Tensor('uint32', Uint32Array.from([0, 1, 2, 70000, 2 ** 31, 2 ** 32 - 1]), [2, 3]),
  UINT64: () =>
    new ort.Tensor('uint64', BigUint64Array.from([0n, 1n, 2n, 2n ** 40n, 2n ** 63n, 2n ** 64n - 1n]), [2, 3]),
  INT8: () => new ort.Tensor('int8', Int8Array.from([-128, -1, 0, 1, 2, 127]), [2, 3]),
  INT16: () => new ort.Tensor('int16', Int16Array.from([-32768, -1, 0, 1, 300, 32767]), [2, 3]),
  INT32: () => new ort.Tensor('int32', Int32Array.from([-(2 ** 31), -1, 0, 1, 70000, 2 ** 31 - 1]), [2, 3]),
  INT64: () =>
    new ort.Tensor('int64', BigInt64Array.from([-(2n ** 63n), -1n, 0n, 1n, 2n ** 40n, 2n ** 63n - 1n]), [2, 3]),
  // FP16 travels as raw IEEE half bits (Uint16Array) in onnxruntime-node on Node 20: 1.0, -2.0, 0, tiny, inf, 65504.
  FP16: () => new ort.Tensor('float16', Uint16Array.from([0x3c00, 0xc000, 0, 1, 0x7c00, 0x7bff]), [2, 3]),
  FP32: () => f32([-1.5, 0, 1e-30, 3.25, 1e30, -0], [2, 3]),
  FP64: () => new ort.Tensor('float64', Float64Array.from([-1.5, 0, 1e-300, Math.PI, 1e300, 2 ** 53]), [2, 3]),
  // onnxruntime-node passes strings as C strings: an embedded NUL truncates the element, so none is used here.
  BYTES: () => new ort.Tensor('string', ['a', '', 'héllo', 'x y', '✓ü', 'last'], [2, 3]),
};

describe('identity fixtures', () => {
  it.each(Object.keys(IDENTITY_INPUTS))('identity_%s returns its 2x3 input exactly', async (dt) => {
    const make = IDENTITY_INPUTS[dt];
    if (!make) throw new Error(dt);
    const x = make();
    const file = fixture(`identity_${dt.toLowerCase()}.onnx`);
    const session = await ort.InferenceSession.create(file);
    try {
      expect(tensorMeta(session.inputMetadata[0])).toEqual({ type: x.type, shape: ['batch', 3] });
      const y = output(await session.run({ x }), 'y');
      expect(y.type).toBe(x.type);
      expect(y.dims).toEqual([2, 3]);
      expect(Array.from(y.data as ArrayLike<unknown>)).toEqual(Array.from(x.data as ArrayLike<unknown>));
    } finally {
      await session.release();
    }
  });

  // onnxruntime-node 1.30 has no bfloat16 tensor type: InferenceSession.create itself rejects the model
  // ("Unsupported data type: 16") while listing its inputs. So the file is checked by decoding its ModelProto.
  it('identity_bf16 declares BFLOAT16 x [batch, 3] -> y (checked by decoding; not loadable in onnxruntime-node)', () => {
    const model = onnx.ModelProto.decode(fs.readFileSync(fixture('identity_bf16.onnx')));
    const graph = model.graph;
    expect(graph?.node?.map((n) => n.opType)).toEqual(['Identity']);
    for (const [value, name] of [
      [graph?.input?.[0], 'x'],
      [graph?.output?.[0], 'y'],
    ] as const) {
      expect(value?.name).toBe(name);
      expect(value?.type?.tensorType?.elemType).toBe(onnx.TensorProto.DataType.BFLOAT16);
      const dims = value?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
      expect(dims).toEqual(['batch', 3]);
    }
  });

  it('identity_dyn has two symbolic dims and returns a 2x5 input', async () => {
    const x = f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, 5]);
    const session = await ort.InferenceSession.create(fixture('identity_dyn.onnx'));
    try {
      expect(tensorMeta(session.inputMetadata[0])).toEqual({ type: 'float32', shape: ['batch', 'n'] });
      const y = output(await session.run({ x }), 'y');
      expect(y.dims).toEqual([2, 5]);
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(x.data as Float32Array));
    } finally {
      await session.release();
    }
  });
});

describe('small fixtures', () => {
  it('add sums a and b', async () => {
    const result = await run(fixture('add.onnx'), {
      a: f32([1, 2, 3, 4, 5, 6], [2, 3]),
      b: f32([10, 20, 30, -4, -5, 0.5], [2, 3]),
    });
    expect(Array.from(output(result, 'sum').data as Float32Array)).toEqual([11, 22, 33, 0, 0, 6.5]);
  });

  it('mlp gives probability rows summing to 1 and label = argmax', async () => {
    const x = f32([5.1, 3.5, 1.4, 0.2, -1, 2, -3, 4, 0, 0, 0, 0, 10, -10, 3, 0.5], [4, 4]);
    const result = await run(fixture('mlp.onnx'), { x });
    const probs = output(result, 'probabilities');
    const label = output(result, 'label');
    expect(probs.dims).toEqual([4, 3]);
    expect(label.type).toBe('int64');
    expect(label.dims).toEqual([4]);
    const p = Array.from(probs.data as Float32Array);
    for (let r = 0; r < 4; r++) expect(p[r * 3]! + p[r * 3 + 1]! + p[r * 3 + 2]!).toBeCloseTo(1, 5);
    expect(Array.from(label.data as BigInt64Array, Number)).toEqual(argmaxRows(p, 3));
  });

  it('fixed_batch has the fixed shape [2, 3] and doubles its input', async () => {
    const session = await ort.InferenceSession.create(fixture('fixed_batch.onnx'));
    try {
      expect(tensorMeta(session.inputMetadata[0])).toEqual({ type: 'float32', shape: [2, 3] });
      const y = output(await session.run({ x: f32([1, -2, 0.5, 0, 100, -0.25], [2, 3]) }), 'y');
      expect(Array.from(y.data as Float32Array)).toEqual([2, -4, 1, 0, 200, -0.5]);
    } finally {
      await session.release();
    }
  });

  it('constant has no inputs and returns its [2, 3] values', async () => {
    const session = await ort.InferenceSession.create(fixture('constant.onnx'));
    try {
      expect(session.inputNames).toEqual([]);
      const y = output(await session.run({}), 'y');
      expect(y.dims).toEqual([2, 3]);
      expect(Array.from(y.data as Float32Array)).toEqual([1, -2, 3.5, 0, 0.25, 1e6]);
    } finally {
      await session.release();
    }
  });

  it('slow returns finite values of shape [batch, 256], each row depending only on its own input row', async () => {
    const rows = Array.from({ length: 3 * 256 }, (_, i) => Math.sin(i));
    const session = await ort.InferenceSession.create(fixture('slow.onnx'), { intraOpNumThreads: 1 });
    try {
      expect(tensorMeta(session.inputMetadata[0])).toEqual({ type: 'float32', shape: ['batch', 256] });
      const y = output(await session.run({ x: f32(rows, [3, 256]) }), 'y');
      expect(y.dims).toEqual([3, 256]);
      const values = Array.from(y.data as Float32Array);
      expect(values.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
      expect(values.some((v) => v !== 0)).toBe(true);
      const alone = output(await session.run({ x: f32(rows.slice(256, 512), [1, 256]) }), 'y');
      const middle = values.slice(256, 512);
      Array.from(alone.data as Float32Array).forEach((v, i) => expect(Math.abs(v - middle[i]!)).toBeLessThan(1e-5));
    } finally {
      await session.release();
    }
  });
});

function readIrisCsv(): { features: number[]; label: number }[] {
  const species = ['setosa', 'versicolor', 'virginica'];
  const text = fs.readFileSync(path.join(__dirname, '..', '..', 'scripts', 'data', 'iris.csv'), 'utf8');
  return text
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const cells = line.split(',');
      return { features: cells.slice(0, 4).map(Number), label: species.indexOf(cells[4] ?? '') };
    });
}

describe('example models', () => {
  it('iris predicts classic rows and is at least 95% accurate on iris.csv', async () => {
    const session = await ort.InferenceSession.create(example('iris'));
    try {
      expect(tensorMeta(session.inputMetadata[0])).toEqual({ type: 'float32', shape: ['batch', 4] });
      const classic = [5.1, 3.5, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4, 6.3, 3.3, 6.0, 2.5];
      const first = await session.run({ input: f32(classic, [3, 4]) });
      expect(Array.from(output(first, 'label').data as BigInt64Array, Number)).toEqual([0, 1, 2]);
      expect(output(first, 'probabilities').dims).toEqual([3, 3]);

      const rows = readIrisCsv();
      expect(rows).toHaveLength(150);
      const all = await session.run({
        input: f32(
          rows.flatMap((r) => r.features),
          [rows.length, 4],
        ),
      });
      const labels = Array.from(output(all, 'label').data as BigInt64Array, Number);
      const correct = labels.filter((l, i) => l === rows[i]?.label).length;
      expect(correct / rows.length).toBeGreaterThanOrEqual(0.95);
    } finally {
      await session.release();
    }
  });

  it('iris and ppocr-cls have their model-settings.json', () => {
    const read = (name: string): unknown =>
      JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, name, 'model-settings.json'), 'utf8'));
    expect(read('iris')).toMatchObject({ name: 'iris', batching: { maxBatchSize: 32 } });
    expect(read('ppocr-cls')).toMatchObject({ name: 'ppocr-cls', batching: { maxBatchSize: 16 } });
  });

  // The PP-OCR export declares x as [N, 3, H, W] with all but the channel dim symbolic; it expects 48x192 crops.
  it('ppocr-cls is a byte copy of the package asset and classifies a [2,3,48,192] batch', async () => {
    const copy = example('ppocr-cls');
    expect(fs.readFileSync(copy).equals(fs.readFileSync(ppocrClassifierPath))).toBe(true);
    const session = await ort.InferenceSession.create(copy);
    try {
      expect(session.inputNames).toEqual(['x']);
      const meta = tensorMeta(session.inputMetadata[0]);
      expect(meta.type).toBe('float32');
      expect(meta.shape).toHaveLength(4);
      expect(meta.shape[1]).toBe(3);
      const x = f32(
        Array.from({ length: 2 * 3 * 48 * 192 }, (_, i) => (i % 97) / 97 - 0.5),
        [2, 3, 48, 192],
      );
      const out = output(await session.run({ x }), session.outputNames[0] ?? '');
      expect(out.dims).toEqual([2, 2]);
      const p = Array.from(out.data as Float32Array);
      expect(p[0]! + p[1]!).toBeCloseTo(1, 5);
    } finally {
      await session.release();
    }
  });
});
