import { InferenceSession } from '../../bindings/session';
import type { Tensor } from '../../bindings/datatypes';
import { BadRequestError, InvalidTensorError } from '../../src/errors';
import { fp32, model } from './helpers';

let add: InferenceSession;
let fixed: InferenceSession;
let bytes: InferenceSession;

beforeAll(async () => {
  add = await InferenceSession.create(model('add'));
  fixed = await InferenceSession.create(model('fixed_batch'));
  bytes = await InferenceSession.create(model('identity_bytes'));
});
afterAll(async () => {
  await Promise.all([add.dispose(), fixed.dispose(), bytes.dispose()]);
});

const b = fp32([1, 3], [1, 2, 3]);

describe('input validation before the engine', () => {
  it.each<[string, Record<string, Tensor>, RegExp]>([
    ['an unknown input name', { a: b, b, c: b }, /unknown input 'c'; the model's inputs are: a, b/],
    ['a missing input', { a: b }, /missing input 'b'/],
    [
      'a wrong datatype',
      { a: { datatype: 'FP64', shape: [1, 3], data: new Float64Array(3) }, b },
      /input 'a' must be FP32, got FP64/,
    ],
    [
      'data of the wrong array type',
      { a: { datatype: 'FP32', shape: [1, 3], data: new Float64Array(3) } as never, b },
      /FP32 data must be Float32Array/,
    ],
    [
      'a shape that does not match the data length',
      { a: fp32([2, 3], [1, 2, 3]), b },
      /shape holds 6 elements but the data has 3/,
    ],
    ['a wrong rank', { a: fp32([3], [1, 2, 3]), b }, /must have rank 2/],
    ['a fixed dimension that differs', { a: fp32([1, 4], [1, 2, 3, 4]), b }, /dimension 1 must be 3/],
    [
      'a negative dimension',
      { a: { datatype: 'FP32', shape: [-1, 3], data: new Float32Array(3) }, b },
      /dimension 0 must be an integer from 0/,
    ],
    [
      'an absurd dimension',
      { a: { datatype: 'FP32', shape: [2 ** 40, 3], data: new Float32Array(3) }, b },
      /dimension 0 must be an integer from 0 to 2\^31/,
    ],
    [
      'a fractional dimension',
      { a: { datatype: 'FP32', shape: [1.5, 3], data: new Float32Array(3) }, b },
      /dimension 0 must be an integer/,
    ],
    [
      'an empty batch',
      { a: fp32([0, 3], []), b: fp32([0, 3], []) },
      /input 'a': dimension 0 is 0 \(shape \[0, 3\]\); empty tensors are not accepted/,
    ],
    [
      'an input named __proto__ beside the real ones',
      Object.defineProperty({ a: b, b }, '__proto__', { value: b, enumerable: true }) as Record<string, Tensor>,
      /unknown input '__proto__'/,
    ],
    [
      'inputs that disagree on the batch dimension',
      { a: fp32([2, 3], [1, 2, 3, 4, 5, 6]), b },
      /disagree on the batch dimension/,
    ],
  ])('rejects %s', async (_what, inputs, message) => {
    const err = await add.run(inputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTensorError);
    expect((err as InvalidTensorError).status).toBe(400);
    expect((err as Error).message).toMatch(message);
  });

  it('never takes an inherited member for an input', async () => {
    const inputs = Object.create({ b }) as Record<string, Tensor>;
    inputs['a'] = b;
    await expect(add.run(inputs)).rejects.toThrow(/missing input 'b'/);
  });

  it('rejects a shape that differs from a fixed-batch model', async () => {
    await expect(fixed.run({ x: fp32([1, 3], [1, 2, 3]) })).rejects.toThrow(/dimension 0 must be 2/);
  });

  it('rejects BYTES data that is not an array of Buffers', async () => {
    const err = await bytes
      .run({ x: { datatype: 'BYTES', shape: [1, 3], data: ['a', 'b', 'c'] as never } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTensorError);
    expect((err as Error).message).toMatch(/BYTES data must be an array of Buffers/);
  });

  it('rejects a negative timeout', async () => {
    await expect(add.run({ a: b, b }, { timeoutMs: -5 })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('keeps serving after bad requests', async () => {
    await add.run({ a: b }).catch(() => undefined);
    const out = await add.run({ a: b, b });
    expect(Array.from(out['sum']!.data as Float32Array)).toEqual([2, 4, 6]);
  });
});
