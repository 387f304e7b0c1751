import { elementsToBinary } from '../../src/protocol/binary';
import { decodeBody, decodeInferRequest, encodeInferResponse, HEADER_LENGTH } from '../../src/protocol';
import { binaryBody, DATATYPES, splitResponse, tensorOf, typedOf } from './helpers';

describe('Triton binary tensor extension', () => {
  it.each(DATATYPES)('decodes a binary %s input into its in-memory form', (datatype) => {
    const bytes = elementsToBinary(datatype, typedOf(datatype));
    const header = {
      inputs: [{ name: 'x', datatype, shape: [2, 3], parameters: { binary_data_size: bytes.length } }],
    };
    const { body, headerLength } = binaryBody(header, [bytes]);
    const decoded = decodeBody(body, { [HEADER_LENGTH]: String(headerLength) });
    const req = decodeInferRequest(decoded);
    expect(req.inputs[0]!.data).toEqual(typedOf(datatype));
  });

  it.each(DATATYPES)('encodes a %s output in binary when binary_data_output is set', (datatype) => {
    const res = encodeInferResponse(
      { model_name: 'm', id: '1', outputs: [tensorOf(datatype, 'y')] },
      { inputs: [], parameters: { binary_data_output: true } },
    );
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const { header, rest } = splitResponse(res.body as Buffer, Number(res.headers[HEADER_LENGTH]));
    const out = (header['outputs'] as Array<Record<string, unknown>>)[0]!;
    expect(out['data']).toBeUndefined();
    expect(out['parameters']).toEqual({ binary_data_size: rest.length });
    const back = decodeInferRequest({ inputs: [{ ...out, binary: rest }] });
    expect(back.inputs[0]!.data).toEqual(typedOf(datatype));
  });

  it('mixes JSON and binary inputs, in header order', () => {
    const a = Buffer.from(Float32Array.from([1, 2]).buffer);
    const c = Buffer.from(Int8Array.from([-1, 5, 7]).buffer);
    const { body, headerLength } = binaryBody(
      {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
          { name: 'b', datatype: 'INT32', shape: [1], data: [9] },
          { name: 'c', datatype: 'INT8', shape: [3], parameters: { binary_data_size: 3 } },
        ],
      },
      [a, c],
    );
    const req = decodeInferRequest(decodeBody(body, { [HEADER_LENGTH]: String(headerLength) }));
    expect(req.inputs.map((t) => Array.from(t.data as Int8Array))).toEqual([[1, 2], [9], [-1, 5, 7]]);
  });

  it('reads misaligned binary data correctly', () => {
    const header = { inputs: [{ name: 'x', datatype: 'FP64', shape: [2], parameters: { binary_data_size: 16 } }] };
    const json = Buffer.from(JSON.stringify(header) + ' '); // odd length: data starts misaligned
    const body = Buffer.concat([Buffer.alloc(1), json, Buffer.from(Float64Array.from([1.5, -2]).buffer)]).subarray(1);
    const req = decodeInferRequest(decodeBody(body, { [HEADER_LENGTH]: String(json.length) }));
    expect(Array.from(req.inputs[0]!.data as Float64Array)).toEqual([1.5, -2]);
  });

  it('makes only the outputs asked for binary when set per output', () => {
    const res = encodeInferResponse(
      { model_name: 'm', id: '1', outputs: [tensorOf('FP32', 'a'), tensorOf('INT64', 'b')] },
      {
        inputs: [],
        parameters: { binary_data_output: true },
        outputs: [{ name: 'a', parameters: { binary_data: false } }, { name: 'b' }],
      },
    );
    const { header, rest } = splitResponse(res.body as Buffer, Number(res.headers[HEADER_LENGTH]));
    const [a, b] = header['outputs'] as Array<Record<string, unknown>>;
    expect(a!['data']).toEqual([0, 1.5, -2.25, 3.125, 1e10, -0.5]);
    expect(b!['parameters']).toEqual({ binary_data_size: 48 });
    expect(rest.length).toBe(48);
  });
});
