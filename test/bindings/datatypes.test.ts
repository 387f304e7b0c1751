import * as ort from 'onnxruntime-node';
import { InferenceSession } from '../../bindings/session';
import { DATATYPES, type Datatype, type Tensor, toBFloat16Bits, toFloat16Bits } from '../../bindings/datatypes';
import { EXAMPLES, model, randomFloats, maxAbsDiff } from './helpers';

/** Six distinct values of each datatype, shape [2, 3]. */
function sample(datatype: Datatype): Tensor {
  const shape = [2, 3];
  const nums = [0, 1, 2, 3, 100, 7];
  switch (datatype) {
    case 'BYTES':
      return { datatype, shape, data: ['a', 'bc', '', 'ünï', 'x y', '42'].map((s) => Buffer.from(s)) };
    case 'BOOL':
      return { datatype, shape, data: Uint8Array.from([1, 0, 1, 1, 0, 0]) };
    case 'INT64':
      return { datatype, shape, data: BigInt64Array.from([-(2n ** 62n), -1n, 0n, 1n, 2n ** 40n, 7n]) };
    case 'UINT64':
      return { datatype, shape, data: BigUint64Array.from([0n, 1n, 2n ** 63n, 3n, 2n ** 40n, 7n]) };
    case 'FP16':
      return { datatype, shape, data: Uint16Array.from([0.5, -2, 1024, 0.099975586, 65504, -0.25].map(toFloat16Bits)) };
    case 'BF16':
      return { datatype, shape, data: Uint16Array.from([0.5, -2, 1024, 3.140625, 1e30, -0.25].map(toBFloat16Bits)) };
    case 'FP32':
      return { datatype, shape, data: Float32Array.from([0.5, -1.25, 3.4e38, 1e-40, NaN, -0]) };
    case 'FP64':
      return { datatype, shape, data: Float64Array.from([0.1, -1e300, Math.PI, 5e-324, Infinity, -0]) };
    case 'INT8':
      return { datatype, shape, data: Int8Array.from([-128, -1, 0, 1, 127, 7]) };
    case 'INT16':
      return { datatype, shape, data: Int16Array.from([-32768, -1, 0, 1, 32767, 7]) };
    case 'INT32':
      return { datatype, shape, data: Int32Array.from([-(2 ** 31), -1, 0, 1, 2 ** 31 - 1, 7]) };
    case 'UINT8':
      return { datatype, shape, data: Uint8Array.from([0, 1, 128, 255, 100, 7]) };
    case 'UINT16':
      return { datatype, shape, data: Uint16Array.from([0, 1, 40000, 65535, ...nums.slice(4)]) };
    case 'UINT32':
      return { datatype, shape, data: Uint32Array.from([0, 1, 2 ** 31, 2 ** 32 - 1, ...nums.slice(4)]) };
  }
}

function plain(t: Tensor): unknown[] {
  return Array.from(t.data as ArrayLike<unknown>, (v) => (Buffer.isBuffer(v) ? v.toString() : v));
}

describe('every OIP datatype through the engine', () => {
  it.each(DATATYPES.map((d) => [d]))('%s round-trips through an identity model, alone and batched', async (dt) => {
    const alone1 = await InferenceSession.create(model(`identity_${dt.toLowerCase()}`), { batching: false });
    // Only a full batch (40 rows = 20 requests of 2) can be sent before the 60 s delay.
    const s = await InferenceSession.create(model(`identity_${dt.toLowerCase()}`), {
      batching: { maxBatchSize: 40, maxQueueDelayMicros: 60_000_000 },
    });
    expect(s.inputs[0]!.datatype).toBe(dt);
    expect(s.outputs[0]!.datatype).toBe(dt);
    const input = sample(dt);
    const alone = await alone1.run({ x: input });
    await alone1.dispose();
    expect(alone['y']!.datatype).toBe(dt);
    expect(alone['y']!.shape).toEqual([2, 3]);
    expect(plain(alone['y']!)).toEqual(plain(input));
    // 20 concurrent copies run as one batch; each must get its own rows back.
    const results = await Promise.all(Array.from({ length: 20 }, () => s.run({ x: sample(dt) })));
    for (const r of results) {
      expect(r['y']!.shape).toEqual([2, 3]);
      expect(plain(r['y']!)).toEqual(plain(input));
    }
    expect(s.stats().batchSizes).toEqual({ '40': 1 });
    await s.dispose();
  });
});

/** Any of the typed arrays of sample() (typed as one of them: they share what the test uses). */
type TypedArrayCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Uint8Array;

describe('inputs that view part of a larger buffer', () => {
  it.each(DATATYPES.filter((d) => d !== 'BYTES').map((d) => [d]))(
    "%s: exactly the view's elements are read",
    async (dt) => {
      const s = await InferenceSession.create(model(`identity_${dt.toLowerCase()}`), { batching: false });
      const input = sample(dt);
      const values = input.data as Uint8Array;
      const Ctor = values.constructor as TypedArrayCtor;
      const pad = 3; // elements of other bytes on each side of the view
      const buffer = new ArrayBuffer((values.length + 2 * pad) * values.BYTES_PER_ELEMENT);
      new Uint8Array(buffer).fill(0x5a);
      const view = new Ctor(buffer, pad * values.BYTES_PER_ELEMENT, values.length);
      view.set(values);
      const out = await s.run({ x: { datatype: dt, shape: input.shape, data: view } });
      expect(plain(out['y']!)).toEqual(plain(input));
      await s.dispose();
    },
  );
});

describe('outputs match onnxruntime-node on the same inputs', () => {
  it('the MLP classifier', async () => {
    const x = randomFloats(5 * 4, 11);
    const peer = await ort.InferenceSession.create(model('mlp'));
    const expected = await peer.run({ x: new ort.Tensor('float32', x, [5, 4]) });
    const s = await InferenceSession.create(model('mlp'));
    const out = await s.run({ x: { datatype: 'FP32', shape: [5, 4], data: x } });
    expect(
      maxAbsDiff(out['probabilities']!.data as Float32Array, expected['probabilities']!.data as Float32Array),
    ).toBeLessThan(1e-6);
    expect(Array.from(out['label']!.data as BigInt64Array)).toEqual(
      Array.from(expected['label']!.data as BigInt64Array),
    );
    await s.dispose();
  });

  it('the PP-OCR direction classifier, with concurrent batch-1 requests batched together', async () => {
    const file = `${EXAMPLES}/ppocr-cls/model.onnx`;
    const peer = await ort.InferenceSession.create(file);
    const s = await InferenceSession.create(file, { batching: { maxBatchSize: 4, maxQueueDelayMicros: 60_000_000 } });
    expect(s.inputs[0]!.name).toBe('x');
    const inputs = Array.from({ length: 12 }, (_, i) => randomFloats(3 * 48 * 192, i + 1));
    const ours = await Promise.all(
      inputs.map((data) => s.run({ x: { datatype: 'FP32', shape: [1, 3, 48, 192], data } })),
    );
    for (let i = 0; i < inputs.length; i++) {
      const ref = await peer.run({ x: new ort.Tensor('float32', inputs[i]!, [1, 3, 48, 192]) });
      const refOut = Object.values(ref)[0]!;
      const out = Object.values(ours[i]!)[0]!;
      expect(out.shape).toEqual([1, 2]);
      expect(maxAbsDiff(out.data as Float32Array, refOut.data as Float32Array)).toBeLessThan(1e-4);
    }
    expect(s.stats().batchSizes).toEqual({ '4': 3 });
    await s.dispose();
  });
});
