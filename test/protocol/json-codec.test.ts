import { elementsToBinary } from '../../src/protocol/binary';
import { decodeBody, decodeInferRequest, encodeInferResponse, isTensorList, isTensorRequest } from '../../src/protocol';
import { BODY_DECODERS } from './decoders';
import { DATATYPES, JSON_VALUES, tensorOf, typedOf } from './helpers';

const H = { 'content-type': 'application/json' };

describe('OIP JSON codec', () => {
  describe.each(BODY_DECODERS)('$label', (d) => {
    it.each(DATATYPES)('decodes %s from flat JSON data into its in-memory form', async (datatype) => {
      const text = JSON.stringify({ inputs: [{ name: 'x', datatype, shape: [2, 3], data: JSON_VALUES[datatype] }] });
      const before = d.offThread();
      const body = await d.decode(Buffer.from(text), H);
      // FP32 and FP64 data are read by the addon (off the loop when the decoder does that); the rest by JSON.parse.
      const fast = d.offLoop && (datatype === 'FP32' || datatype === 'FP64');
      expect(d.offThread() - before).toBe(fast ? 1 : 0);
      expect(isTensorRequest(body)).toBe(true);
      const req = decodeInferRequest(body);
      expect(req.inputs[0]).toEqual({ name: 'x', datatype, shape: [2, 3], data: typedOf(datatype) });
    });
  });

  it.each(DATATYPES)('encodes %s outputs as flat JSON lists that decode back to the same tensor', (datatype) => {
    const res = encodeInferResponse({ model_name: 'm', id: '1', outputs: [tensorOf(datatype, 'y')] }, undefined);
    expect(res.headers['content-type']).toBe('application/json');
    const wire = JSON.parse(JSON.stringify(res.body)) as { outputs: Array<Record<string, unknown>> };
    expect(wire.outputs[0]).toEqual({ name: 'y', datatype, shape: [2, 3], data: JSON_VALUES[datatype] });
    const back = decodeInferRequest({ inputs: wire.outputs });
    expect(back.inputs[0]!.data).toEqual(typedOf(datatype));
  });

  it('accepts data nested in its natural shape as well as flat', () => {
    const req = decodeInferRequest({
      inputs: [
        {
          name: 'x',
          datatype: 'INT32',
          shape: [2, 2],
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    });
    expect(req.inputs[0]!.data).toEqual(Int32Array.from([1, 2, 3, 4]));
  });

  it('accepts INT64 values given as decimal strings beyond 2^53', () => {
    const req = decodeInferRequest({
      inputs: [{ name: 'x', datatype: 'INT64', shape: [2], data: ['9223372036854775807', '-9223372036854775808'] }],
    });
    expect(req.inputs[0]!.data).toEqual(BigInt64Array.from([2n ** 63n - 1n, -(2n ** 63n)]));
  });

  it('accepts "NaN" and "Infinity" strings in float tensors', () => {
    const req = decodeInferRequest({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: ['NaN', 'Infinity', '-Infinity'] }],
    });
    expect(Array.from(req.inputs[0]!.data as Float32Array)).toEqual([NaN, Infinity, -Infinity]);
  });

  it('writes BYTES that are not UTF-8 as base64 with content_type base64, and reads them back', () => {
    const raw = [Buffer.from([0xff, 0x00, 0xfe]), Buffer.from('ok')];
    const res = encodeInferResponse(
      { model_name: 'm', id: '1', outputs: [{ name: 'b', datatype: 'BYTES', shape: [2], data: raw }] },
      undefined,
    );
    const out = (res.body as { outputs: Array<Record<string, unknown>> }).outputs[0]!;
    expect(out['parameters']).toEqual({ content_type: 'base64' });
    expect(decodeInferRequest({ inputs: [out] }).inputs[0]!.data).toEqual(raw);
  });

  it('keeps request id, parameters and requested outputs', () => {
    const req = decodeInferRequest({
      id: 'r1',
      parameters: { binary_data_output: false },
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    });
    expect(req.id).toBe('r1');
    expect(req.parameters).toEqual({ binary_data_output: false });
    expect(req.outputs).toEqual([{ name: 'y', parameters: { binary_data: true } }]);
  });

  it('takes TypedArray data from in-process callers as is', () => {
    const data = Float32Array.from([1, 2]);
    const req = decodeInferRequest({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data }] });
    expect(req.inputs[0]!.data).toBe(data);
  });

  it('returns only the requested outputs, in the requested order', () => {
    const outputs = [tensorOf('FP32', 'a'), tensorOf('INT32', 'b'), tensorOf('BOOL', 'c')];
    const res = encodeInferResponse(
      { model_name: 'm', model_version: '2', id: '1', outputs },
      { inputs: [], outputs: [{ name: 'c' }, { name: 'a' }] },
    );
    const body = res.body as { model_version: string; outputs: Array<{ name: string }> };
    expect(body.model_version).toBe('2');
    expect(body.outputs.map((o) => o.name)).toEqual(['c', 'a']);
  });

  it('recognises tensor requests and tensor lists, and not plain lists', () => {
    expect(isTensorRequest({ inputs: [[1, 2, 3]] })).toBe(false);
    expect(isTensorRequest({ inputs: [] })).toBe(true); // how a model with no inputs is called
    expect(isTensorRequest([1, 2])).toBe(false);
    expect(isTensorList([tensorOf('FP32')])).toBe(true);
    expect(isTensorList([{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }])).toBe(false);
    expect(isTensorList([])).toBe(false);
  });

  it('passes objects through and decodes JSON strings', () => {
    const obj = { inputs: [1] };
    expect(decodeBody(obj, {})).toBe(obj);
    expect(decodeBody('{"inputs":[1]}', {})).toEqual(obj);
    expect(decodeBody(Buffer.alloc(0), {})).toBeUndefined();
  });

  it('passes raw media bodies through as Buffers', () => {
    const img = Buffer.from([1, 2, 3]);
    expect(decodeBody(img, { 'content-type': 'image/png' })).toBe(img);
  });

  it('lays out BYTES binary elements as u32 little-endian length then bytes', () => {
    expect(elementsToBinary('BYTES', [Buffer.from('ab'), Buffer.alloc(0)])).toEqual(
      Buffer.from([2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0]),
    );
  });
});
