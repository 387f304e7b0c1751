import { BadRequestError, ModelError } from '../../src/errors';
import { decodeInferRequest, elementsFromJson, elementsToJson } from '../../src/protocol';
import { FAST_JSON_MIN_BYTES } from '../../src/protocol/fast-json';
import { MAX_JSON_DEPTH, parseJson, stringifyJson } from '../../src/protocol/json-text';
import { BODY_DECODERS } from './decoders';

const BIG = ['4611686018427387904', '-4611686018427387904', '9007199254740993', '18446744073709551615'];

describe('parseJson keeps integers exact', () => {
  it('reads integer literals of 2^53 or more as bigint, with every digit', () => {
    const value = parseJson(`{"a": [${BIG.join(', ')}], "b": 9007199254740992}`, 'the body') as {
      a: bigint[];
      b: bigint;
    };
    expect(value.a).toEqual([2n ** 62n, -(2n ** 62n), 2n ** 53n + 1n, 2n ** 64n - 1n]);
    expect(value.b).toBe(2n ** 53n);
  });

  it('reads a top-level integer literal exactly', () => {
    expect(parseJson('12345678901234567890', 'the body')).toBe(12345678901234567890n);
  });

  it('keeps safe integers and every float as numbers when a big integer is present', () => {
    const value = parseJson(
      '[4611686018427387904, 9007199254740991, -0, 0.30000001192092896, 1e20, 12345678901234567.5, 3.4028234663852886e38]',
      'the body',
    ) as unknown[];
    expect(value).toEqual([
      2n ** 62n,
      9007199254740991,
      -0,
      0.30000001192092896,
      1e20,
      Number('12345678901234567.5'),
      3.4028234663852886e38,
    ]);
    expect(Object.is(value[2], -0)).toBe(true);
  });

  it('leaves floats of 2^53 or more and long digit runs in strings as they are', () => {
    expect(parseJson('[1e20, 0.30000001192092896, 1.5e300]', 'the body')).toEqual([1e20, 0.30000001192092896, 1.5e300]);
    expect(parseJson('{"id": "12345678901234567890", "x": 2}', 'the body')).toEqual({
      id: '12345678901234567890',
      x: 2,
    });
  });

  it('keeps the last of duplicate keys and __proto__ as an own key on the exact path too', () => {
    const value = parseJson('{"a": 1, "a": 4611686018427387904, "__proto__": {"polluted": 1}}', 'the body') as Record<
      string,
      unknown
    >;
    expect(value['a']).toBe(2n ** 62n);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('answers malformed JSON holding a big integer with the position, line and column', () => {
    const run = (): unknown => parseJson('{"a":\n [4611686018427387904 1]}', 'the request body');
    expect(run).toThrow(BadRequestError);
    expect(run).toThrow(/malformed JSON in the request body \(line 2, column 23\)/);
  });

  it(`rejects a text nested more than ${MAX_JSON_DEPTH} levels deep with 400, and accepts ${MAX_JSON_DEPTH}`, () => {
    const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    expect(() => parseJson(nested(MAX_JSON_DEPTH)!, 'the body')).not.toThrow();
    const deep = (): unknown => parseJson(`{"inputs": ${nested(5000)}}`, 'the request body');
    expect(deep).toThrow(BadRequestError);
    expect(deep).toThrow(`the request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  });
});

describe('stringifyJson', () => {
  it('writes what JSON.stringify writes when there is no bigint', () => {
    const value = { a: [1, 0.1, 'x', null, true], b: { c: undefined, d: new Date(0) }, e: Buffer.from('hi') };
    expect(stringifyJson(value)).toBe(JSON.stringify(value));
  });

  it('writes bigint values as exact integer literals', () => {
    const text = stringifyJson({ outputs: [2n ** 62n, -(2n ** 62n), 2n ** 64n - 1n, 1], s: 'x' });
    expect(text).toBe('{"outputs":[4611686018427387904,-4611686018427387904,18446744073709551615,1],"s":"x"}');
  });

  it('answers a value too deeply nested to write with a ModelError, not a RangeError', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100000; i++) deep = [deep];
    expect(() => stringifyJson({ outputs: deep })).toThrow(ModelError);
    expect(() => stringifyJson({ outputs: deep, big: 1n })).toThrow(ModelError);
  });
});

describe('bigint tensor elements', () => {
  it('takes bigint values exactly for INT64 and UINT64', () => {
    expect(elementsFromJson('INT64', [2n ** 62n, -(2n ** 62n), 2n ** 53n + 1n, 7], 'x')).toEqual(
      BigInt64Array.from([2n ** 62n, -(2n ** 62n), 2n ** 53n + 1n, 7n]),
    );
    expect(elementsFromJson('UINT64', [2n ** 64n - 1n], 'x')).toEqual(BigUint64Array.from([2n ** 64n - 1n]));
  });

  it('converts bigint values of float tensors with Number', () => {
    expect(Array.from(elementsFromJson('FP64', [2n ** 62n + 1n], 'x') as Float64Array)).toEqual([2 ** 62]);
  });

  it('rejects bigint values out of range or for small datatypes, naming the value', () => {
    expect(() => elementsFromJson('UINT64', [2n ** 64n], "input 'x'")).toThrow(
      "input 'x': element 0 is 18446744073709551616, which is not a valid UINT64",
    );
    expect(() => elementsFromJson('INT32', [1, 2n ** 62n], "input 'x'")).toThrow(
      "input 'x': element 1 is 4611686018427387904, which is not a valid INT32",
    );
    expect(() => elementsFromJson('BYTES', [2n ** 62n], "input 'x'")).toThrow(/element 0 is 4611686018427387904/);
  });

  it('writes INT64 outputs as numbers when every value is safe, as bigint otherwise', () => {
    expect(elementsToJson('INT64', BigInt64Array.from([1n, -2n])).data).toEqual([1, -2]);
    expect(elementsToJson('INT64', BigInt64Array.from([1n, 2n ** 62n])).data).toEqual([1n, 2n ** 62n]);
    expect(elementsToJson('UINT64', BigUint64Array.from([2n ** 64n - 1n])).data).toEqual([2n ** 64n - 1n]);
  });
});

describe.each(BODY_DECODERS)('large bodies with INT64 inputs, decoded $label', (d) => {
  it('decodes INT64 data beside FP32 data exactly in a body large enough for the fast path', async () => {
    const n = 4096;
    const floats = Array.from({ length: n }, (_, i) => i / 7);
    const ints = Array.from({ length: n }, (_, i) => (2n ** 62n + BigInt(i)).toString());
    const text = `{"inputs": [{"name": "f", "datatype": "FP32", "shape": [${n}], "data": [${floats.join(',')}]},
      {"name": "i", "datatype": "INT64", "shape": [${n}], "data": [${ints.join(',')}]}]}`;
    expect(text.length).toBeGreaterThan(FAST_JSON_MIN_BYTES);
    const req = decodeInferRequest(await d.decode(Buffer.from(text)));
    expect(Array.from(req.inputs[1]!.data as BigInt64Array, String)).toEqual(ints);
    expect(req.inputs[0]!.data).toEqual(Float32Array.from(floats));
  });

  it(`rejects data nested more than ${MAX_JSON_DEPTH} levels deep with 400`, async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const text = `{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": ${deep}}]}`;
    await expect(d.decode(Buffer.from(text))).rejects.toThrow(
      expect.objectContaining({
        status: 400,
        message: `the request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
      }),
    );
  });
});
