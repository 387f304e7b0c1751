import { FAST_JSON_MIN_BYTES, parseLargeInferJson } from '../../src/protocol/fast-json';
import { decodeBody, decodeInferRequest } from '../../src/protocol';
import { BadRequestError, InvalidTensorError } from '../../src/errors';
import { loadAddon } from '../../bindings/loader';
import { BODY_DECODERS } from './decoders';

const N = 8192; // elements: bodies well over FAST_JSON_MIN_BYTES

function values(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => ((((i + seed) * 7919) % 2000) - 1000) / 37);
}

function body(obj: unknown): Buffer {
  const buf = Buffer.from(JSON.stringify(obj));
  expect(buf.length).toBeGreaterThan(FAST_JSON_MIN_BYTES);
  return buf;
}

/** `flat` nested as `shape` (row-major). */
function nest(flat: number[], shape: number[]): unknown[] {
  let level: unknown[] = flat;
  for (let d = shape.length - 1; d > 0; d--) {
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i += shape[d]!) next.push(level.slice(i, i + shape[d]!));
    level = next;
  }
  return level;
}

/** The request the usual path (JSON.parse, then decodeInferRequest) gives. */
function slow(buf: Buffer) {
  return decodeInferRequest(JSON.parse(buf.toString('utf8')));
}

describe.each(BODY_DECODERS)('the fast path for large OIP JSON bodies, $label', (d) => {
  it('gives the same request as JSON.parse for FP32 and FP64 inputs, flat and nested', async () => {
    const buf = body({
      id: 'r1',
      parameters: { binary_data_output: false },
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2, N / 2], data: [values(N / 2), values(N / 2, 9)] },
        { name: 'b', datatype: 'FP64', shape: [N], data: values(N, 3) },
      ],
      outputs: [{ name: 'y' }],
    });
    const fast = parseLargeInferJson(buf) as { inputs: Array<{ data: unknown }> };
    expect(fast).toBeDefined();
    expect(Object.prototype.toString.call(fast.inputs[0]!.data)).toBe('[object Float32Array]');
    expect(Object.prototype.toString.call(fast.inputs[1]!.data)).toBe('[object Float64Array]');
    const before = d.offThread();
    const decoded = (await d.decode(buf)) as { inputs: Array<{ data: unknown }> };
    expect(d.offThread() - before).toBe(d.offLoop ? 1 : 0);
    expect(Object.prototype.toString.call(decoded.inputs[0]!.data)).toBe('[object Float32Array]');
    expect(decodeInferRequest(decoded)).toEqual(slow(buf));
  });

  it('reads the data right whichever of its keys comes first', async () => {
    // b's "datatype" comes after its data; c's object names FP64 before its data and FP32 after (JSON.parse
    // keeps the last): the reader's guesses of their widths (FP32 for b, FP64 for c) are both wrong.
    const json = (v: number[]) => JSON.stringify(v);
    const buf = Buffer.from(
      `{"inputs": [{"name": "b", "shape": [${N}], "data": ${json(values(N, 5))}, "datatype": "FP64"},` +
        ` {"name": "c", "datatype": "FP64", "shape": [${N}], "data": ${json(values(N, 7))}, "datatype": "FP32"}]}`,
    );
    const decoded = (await d.decode(buf)) as { inputs: Array<{ data: unknown }> };
    expect(Object.prototype.toString.call(decoded.inputs[0]!.data)).toBe('[object Float64Array]');
    expect(Object.prototype.toString.call(decoded.inputs[1]!.data)).toBe('[object Float32Array]');
    expect(decodeInferRequest(decoded)).toEqual(slow(buf));
    expect(Array.from(decoded.inputs[0]!.data as Float64Array)).toEqual(values(N, 5));
  });

  it('reads every JSON number form exactly as JSON.parse does', async () => {
    const text = `[-0, 0.5, 1e-7, -2.5E+3, 123456789.123456789, 1.7976931348623157e308, 5e-324, ${values(N).join(' ,\n ')}]`;
    const buf = Buffer.from(
      `{"inputs": [ {"name": "x", "datatype": "FP64", "shape": [${N + 7}], "data" : ${text} } ]}`,
    );
    const before = d.offThread();
    const fast = (await d.decode(buf)) as { inputs: Array<{ data: Float64Array }> };
    expect(d.offThread() - before).toBe(d.offLoop ? 1 : 0);
    expect(Object.prototype.toString.call(fast.inputs[0]!.data)).toBe('[object Float64Array]');
    expect(Array.from(fast.inputs[0]!.data)).toEqual(JSON.parse(text));
    expect(Object.is(fast.inputs[0]!.data[0], -0)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['an INT64 input', { inputs: [{ name: 'x', datatype: 'INT64', shape: [N], data: values(N).map(Math.round) }] }],
    [
      'a "data" key outside the inputs',
      { parameters: { data: values(N) }, inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] },
    ],
    ['an input without a datatype (MLRun dialect)', { inputs: [{ data: values(N) }] }],
    ['BOOL data', { inputs: [{ name: 'x', datatype: 'BOOL', shape: [N], data: values(N).map((v) => v > 0) }] }],
    ['a body with no data arrays', { inputs: [values(N)] }],
  ])('leaves %s to the usual parser, with the same result', async (_what, obj) => {
    const buf = body(obj);
    expect(parseLargeInferJson(buf)).toBeUndefined();
    const before = d.offThread();
    expect(await d.decode(buf)).toEqual(JSON.parse(buf.toString('utf8')));
    expect(d.offThread()).toBe(before);
  });

  it('keeps data nested exactly as its shape on the fast path', async () => {
    const buf = body({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [4, 2, N / 8], data: nest(values(N), [4, 2, N / 8]) }],
    });
    const fast = (await d.decode(buf)) as { inputs: Array<{ data: unknown }> };
    expect(Object.prototype.toString.call(fast.inputs[0]!.data)).toBe('[object Float32Array]');
    expect(decodeInferRequest(fast).inputs[0]!.data).toEqual(Float32Array.from(values(N)));
  });

  it.each<[string, number[], unknown]>([
    ['ragged rows whose count matches the shape', [2, N / 2], [values(N / 2 - 1), values(N / 2 + 1)]],
    ['nesting of another shape with the same count', [4, N / 4], nest(values(N), [2, 2, N / 4])],
    ['numbers beside lists', [N / 2, 2], [...values(N - 2), [1, 2]]],
  ])('sends %s the usual way, which rejects it with 400', async (_what, shape, data) => {
    const buf = body({ inputs: [{ name: 'x', datatype: 'FP32', shape, data }] });
    expect(parseLargeInferJson(buf)).toBeUndefined();
    const decoded = await d.decode(buf);
    expect(() => decodeInferRequest(decoded)).toThrow(InvalidTensorError);
    expect(() => decodeInferRequest(decoded)).toThrow(
      `input 'x': data is neither flat nor nested as the shape [${shape.join(', ')}]`,
    );
  });

  it('leaves a key that merely contains "data" to the usual parser', async () => {
    const buf = body({ 'foo"data': values(N), inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] });
    expect(parseLargeInferJson(buf)).toBeUndefined();
    expect(await d.decode(buf)).toEqual(JSON.parse(buf.toString('utf8')));
  });

  it('answers malformed JSON with the usual BadRequestError', async () => {
    const good = body({ inputs: [{ name: 'x', datatype: 'FP32', shape: [N], data: values(N) }] }).toString();
    const bad = Buffer.from(good.replace('"shape"', 'shape'));
    expect(parseLargeInferJson(bad)).toBeUndefined();
    await expect(d.decode(bad)).rejects.toThrow(BadRequestError);
    await expect(d.decode(bad)).rejects.toThrow(/malformed JSON in the request body \(line 1, column/);
    expect(() => decodeBody(bad, {})).toThrow(/malformed JSON in the request body \(line 1, column/);
  });

  it('leaves small bodies to JSON.parse', () => {
    expect(parseLargeInferJson(Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}'))).toBe(
      undefined,
    );
  });
});

/** A deterministic generator of uniform numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` JSON number literals of every form: signs, 1 to 25 digits, fractions, exponents, edge values. */
function numberLiterals(count: number): string[] {
  const next = random(7);
  const int = (n: number) => Math.floor(next() * n);
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
  const forms: Array<() => string> = [
    () => String((next() - 0.5) * 10 ** (int(40) - 20)), // shortest round-trip text of a double
    () => ((next() - 0.5) * 4).toFixed(int(5)), // tensor data: -0.366, 0.03, 2
    () => `${int(2) ? '-' : ''}0.${digits(1 + int(24))}`, // up to 24 fraction digits, leading zeros
    () => `${int(2) ? '-' : ''}${1 + int(9)}${digits(int(25))}`, // integers of 1 to 25 digits, beyond 2^53
    () => `${1 + int(9)}${digits(int(12))}.${digits(1 + int(12))}`,
    () => `${int(2) ? '-' : ''}${1 + int(9)}.${digits(1 + int(16))}e${['', '+', '-'][int(3)]}${int(300)}`,
    () => `${int(10)}E${int(2) ? '-' : ''}${int(25)}`,
  ];
  const edges = [
    '0',
    '-0',
    '-0.0',
    '0e5',
    '1e22',
    '1e23',
    '9007199254740993',
    '9007199254740992.5',
    '5e-324',
    '2.2250738585072014e-308',
    '1.7976931348623157e308',
    '0.1',
    '12345678',
    '123456789',
    '1234567890123456',
    '12345678901234567',
    '1234567890123456789',
    '12345678901234567890',
    '0.30000000000000004',
    '1e-22',
    '1e-23',
  ];
  return [...edges, ...Array.from({ length: count }, () => forms[int(forms.length)]!())];
}

describe('the addon number reader', () => {
  const { parseJsonNumbers } = loadAddon();
  const read = (s: string) => parseJsonNumbers(Buffer.from(s), 0, 64);

  it('reads numbers of every length, sign and exponent to the same doubles as JSON.parse', () => {
    const literals = numberLiterals(20_000);
    for (const text of [`[${literals.join(',')}]`, `[ ${literals.join(' , ')} ]`]) {
      const want = JSON.parse(text) as number[];
      const r = read(text)!;
      expect(r.values32).toBeUndefined();
      const got = Array.from(r.values!);
      const wrong = got.flatMap((v, i) => (Object.is(v, want[i]) ? [] : [`${literals[i]} read as ${v}`]));
      expect(wrong).toEqual([]);
      expect(got).toHaveLength(literals.length);
      const r32 = parseJsonNumbers(Buffer.from(text), 0, 32)!;
      expect(r32.values).toBeUndefined();
      const want32 = Float32Array.from(want);
      expect(r32.values32).toHaveLength(literals.length);
      expect(r32.values32!.every((v, i) => Object.is(v, want32[i]))).toBe(true);
    }
    for (const literal of literals.slice(0, 200))
      expect(Object.is(read(`[${literal}]`)!.values![0], JSON.parse(literal))).toBe(true);
  });

  it('reads runs of numbers whatever spaces stand around their commas', () => {
    // Bare commas are read in a run; a space or a line break on either side of one ends the run.
    const literals = numberLiterals(2_000);
    const gaps = [',', ',', ',', ', ', ' ,', ' , ', ',\n', '\n,', '\t,\r\n'];
    const next = random(11);
    const text = `[${literals.map((l, i) => (i === 0 ? l : gaps[Math.floor(next() * gaps.length)]! + l)).join('')}]`;
    const r = read(text)!;
    expect(Array.from(r.values!)).toEqual(JSON.parse(text));
    expect(r.end).toBe(text.length);
    for (const bad of ['[1,,2]', '[1, ,2]', '[1,2,]', '[1,2 3]', '[1,-]', '[1,2,"3"]', '[1,2,[3]]'])
      expect(read(bad)).toBeNull();
  });

  it.each<[string, 'values' | 'values32']>([
    ['{"datatype": "FP64", "shape": [2], "data": [0.1, 0.2]}', 'values'],
    ['{"datatype":"FP32","data":[0.1, 0.2]}', 'values32'],
    ['{"shape": [2], "data": [0.1, 0.2], "datatype": "FP64"}', 'values32'],
    ['{"datatype": "FP64", "x": {"y": 1}, "data": [0.1, 0.2]}', 'values32'],
    ['[{"datatype": "FP64"}, {"data": [0.1, 0.2]}]', 'values32'],
  ])('guesses the width of the data in %s: %s', (text, field) => {
    const buf = Buffer.from(text);
    const r = parseJsonNumbers(buf, buf.indexOf('[0.1'))!;
    const other = field === 'values' ? 'values32' : 'values';
    expect(r[other]).toBeUndefined();
    expect(Array.from(r[field]!)).toEqual(field === 'values' ? [0.1, 0.2] : Array.from(Float32Array.of(0.1, 0.2)));
  });

  it('reads off the event loop in the guessed width, one typed array per array', async () => {
    const text = '{"inputs": [{"datatype": "FP32", "data": [0.1, 2]}, {"datatype": "FP64", "data": [0.1, 3]}]}';
    const found = (await loadAddon().extractJsonNumberArrays(Buffer.from(text)))!;
    expect(found.map((f) => [f.values32 && Array.from(f.values32), f.values && Array.from(f.values)])).toEqual([
      [Array.from(Float32Array.of(0.1, 2)), undefined],
      [undefined, [0.1, 3]],
    ]);
  });

  it('reads 32 or 64 bits, nothing else', () => {
    expect(() => parseJsonNumbers(Buffer.from('[1]'), 0, 16 as 32)).toThrow('bits must be 32 or 64');
  });

  it('flattens nested arrays, reports their nesting and where the array ends', () => {
    const text = '[[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]] , [0]';
    const r = read(text);
    expect(Array.from(r!.values!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(r!.dims).toEqual([2, 3, 2]);
    expect(r!.end).toBe(text.indexOf(' ,'));
  });

  it.each<[string, number[]]>([
    ['[1, 2, 3]', [3]],
    ['[]', [0]],
    ['[[], []]', [2, 0]],
    ['[[[1]]]', [1, 1, 1]],
  ])('reports the nesting of %s as %j', (text, dims) => {
    expect(read(text)!.dims).toEqual(dims);
  });

  it.each([
    '[[1, 2], [3]]',
    '[[1, 2], 3]',
    '[1, [2]]',
    '[[], [1]]',
    '[[1], []]',
    '[[[1]], [2]]',
    '[[1, 2], [3, [4]], []]',
    `${'['.repeat(65)}1${']'.repeat(65)}`,
  ])('refuses %s, which is not nested regularly (or too deep)', (text) => {
    expect(read(text)).toBeNull();
  });

  it.each([
    '[1,]',
    '[,1]',
    '[1 2]',
    '[01]',
    '[1.]',
    '[.5]',
    '[+1]',
    '["1"]',
    '[true]',
    '[null]',
    '[1e999]',
    '[NaN]',
    '[1',
    '1',
  ])('refuses %s, as JSON would (or leaves it to JSON.parse)', (text) => {
    expect(read(text)).toBeNull();
  });
});
