/**
 * Triton's classification extension (src/protocol/classification.ts), alone and through the response
 * encoder in JSON and binary.
 */
import { BadRequestError, ModelError } from '../../src/errors';
import { classCount, classify } from '../../src/protocol/classification';
import { encodeInferResponse } from '../../src/protocol/response';
import type { NamedTensor } from '../../src/protocol/types';

const text = (t: NamedTensor) => (t.data as Buffer[]).map((b) => b.toString());
const probabilities: NamedTensor = {
  name: 'p',
  datatype: 'FP32',
  shape: [2, 3],
  data: new Float32Array([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]),
};

describe('classify', () => {
  it('answers the top N of each row as "value:index", largest first, equal values in index order', () => {
    const top = classify(probabilities, 2);
    expect(top).toMatchObject({ name: 'p', datatype: 'BYTES', shape: [2, 2] });
    expect(text(top)).toEqual(['0.700000:1', '0.200000:2', '0.500000:0', '0.250000:1']);
  });

  it('names the classes that have a label', () => {
    expect(text(classify(probabilities, 2, ['a', 'b']))).toEqual([
      '0.700000:1:b',
      '0.200000:2',
      '0.500000:0:a',
      '0.250000:1:b',
    ]);
  });

  it('takes a rank-1 output as one row, and at most the elements there are', () => {
    const scores: NamedTensor = { name: 's', datatype: 'INT64', shape: [3], data: new BigInt64Array([5n, -2n, 9n]) };
    expect(classify(scores, 10)).toMatchObject({ shape: [3] });
    expect(text(classify(scores, 10))).toEqual(['9:2', '5:0', '-2:1']);
  });

  it('writes floats as printf("%f") does', () => {
    const odd: NamedTensor = {
      name: 'o',
      datatype: 'FP64',
      shape: [4],
      data: new Float64Array([NaN, -Infinity, 1e-9, 2.5]),
    };
    expect(text(classify(odd, 4))).toEqual(['2.500000:3', '0.000000:2', '-inf:1', 'nan:0']);
  });

  it.each(['FP16', 'BF16', 'BOOL', 'BYTES'] as const)('refuses a %s output', (datatype) => {
    const t = { name: 'x', datatype, shape: [1], data: datatype === 'BYTES' ? [Buffer.from('a')] : new Uint16Array(1) };
    expect(() => classify(t as NamedTensor, 1)).toThrow(BadRequestError);
    expect(() => classify(t as NamedTensor, 1)).toThrow(
      `classification needs an integer, FP32 or FP64 output, not ${datatype}`,
    );
  });
});

describe('classCount', () => {
  it('reads a whole number (text too), 0 and absent as none, anything else as a 400', () => {
    expect(classCount({ classification: 3 }, 'p')).toBe(3);
    expect(classCount({ classification: '2' }, 'p')).toBe(2);
    expect(classCount({ classification: 0 }, 'p')).toBeUndefined();
    expect(classCount({}, 'p')).toBeUndefined();
    for (const bad of [-1, 1.5, 'two', true]) {
      expect(() => classCount({ classification: bad }, 'p')).toThrow(
        /output 'p': classification must be a whole number/,
      );
    }
  });
});

describe('encodeInferResponse with classification', () => {
  const response = { model_name: 'm', id: '1', outputs: [probabilities] };

  it("answers the classes in JSON, named by the model's labels", () => {
    const request = { inputs: [], outputs: [{ name: 'p', parameters: { classification: 1 } }] };
    const { body } = encodeInferResponse(response, request, { classLabels: () => ['x', 'y', 'z'] });
    expect((body as { outputs: unknown[] }).outputs).toEqual([
      { name: 'p', datatype: 'BYTES', shape: [2, 1], data: ['0.700000:1:y', '0.500000:0:x'] },
    ]);
  });

  it('checks the model output before classifying it: a broken one is a ModelError, not classes', () => {
    const broken = { ...probabilities, data: new Float32Array(5) }; // shape [2, 3] holds 6
    const request = { inputs: [], outputs: [{ name: 'p', parameters: { classification: 1 } }] };
    expect(() => encodeInferResponse({ ...response, outputs: [broken] }, request)).toThrow(ModelError);
    expect(() => encodeInferResponse({ ...response, outputs: [broken] }, request)).toThrow(/holds 6 elements/);
  });

  it('answers the classes in binary, as length-prefixed BYTES', () => {
    const request = { inputs: [], outputs: [{ name: 'p', parameters: { classification: 1, binary_data: true } }] };
    const { body, headers } = encodeInferResponse(response, request);
    const buffer = body as Buffer;
    const jsonLength = Number(headers['inference-header-content-length']);
    const header = JSON.parse(buffer.subarray(0, jsonLength).toString());
    expect(header.outputs[0]).toMatchObject({ name: 'p', datatype: 'BYTES', shape: [2, 1] });
    const raw = buffer.subarray(jsonLength);
    expect(raw.readUInt32LE(0)).toBe(10);
    expect(raw.subarray(4, 14).toString()).toBe('0.700000:1');
    expect(raw.subarray(18).toString()).toBe('0.500000:0');
  });
});
