import { BadRequestError, InvalidTensorError, ModelError } from '../../src/errors';
import {
  decodeBody,
  decodeInferRequest,
  encodeInferResponse,
  HEADER_LENGTH,
  tensorFromNested,
} from '../../src/protocol';
import { BODY_DECODERS } from './decoders';
import { binaryBody, tensorOf } from './helpers';

function input(over: Record<string, unknown>): unknown {
  return { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1, 2], ...over }] };
}

function expectError(fn: () => unknown, cls: new (...a: never[]) => Error, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(message);
}

describe('protocol errors say what is wrong', () => {
  it('rejects malformed JSON with a 400 that says where it broke', () => {
    expectError(() => decodeBody(Buffer.from('{"inputs": [1,\n 2,]}'), {}), BadRequestError, /malformed JSON/);
    expectError(() => decodeBody('{"a":1', {}), BadRequestError, /line 1, column 7/);
    expect(() => decodeBody('{', {})).toThrow(expect.objectContaining({ status: 400, code: 'GS_BAD_REQUEST' }));
  });

  it.each(BODY_DECODERS)('rejects malformed JSON Buffers $label with the same 400 and message', async (d) => {
    const bodies = [
      '{"inputs": [1,\n 2,]}',
      '{"a":1',
      '{',
      // The number array is well-formed, the rest of the body is not: the position is the whole text's.
      '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}],\n "id": }',
      '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}]} trailing',
    ];
    for (const text of bodies) {
      const expected = (() => {
        try {
          decodeBody(Buffer.from(text), {});
        } catch (err) {
          return err as BadRequestError;
        }
        throw new Error(`decodeBody accepted ${text}`);
      })();
      expect(expected).toBeInstanceOf(BadRequestError);
      await expect(d.decode(Buffer.from(text))).rejects.toThrow(
        expect.objectContaining({ status: 400, code: 'GS_BAD_REQUEST', message: expected.message }),
      );
    }
  });

  it('rejects an unknown datatype and lists the known ones', () => {
    expectError(
      () => decodeInferRequest(input({ datatype: 'FLOAT' })),
      InvalidTensorError,
      /unknown datatype "FLOAT".*FP32/,
    );
  });

  it('rejects a shape that does not match the data length', () => {
    expectError(
      () => decodeInferRequest(input({ shape: [3] })),
      InvalidTensorError,
      /shape holds 3 elements but the data has 2/,
    );
  });

  it('rejects data that does not match the datatype, naming the element', () => {
    expectError(() => decodeInferRequest(input({ data: [1, 'a'] })), InvalidTensorError, /element 1 is "a".*FP32/);
    expectError(
      () => decodeInferRequest(input({ datatype: 'UINT8', data: [1, 256] })),
      InvalidTensorError,
      /element 1 is 256.*from 0 to 255/,
    );
    expectError(
      () => decodeInferRequest(input({ datatype: 'INT32', data: [1, 1.5] })),
      InvalidTensorError,
      /element 1 is 1.5/,
    );
    expectError(() => decodeInferRequest(input({ datatype: 'BOOL', data: [true, 2] })), InvalidTensorError, /BOOL/);
    expectError(() => decodeInferRequest(input({ datatype: 'BYTES', data: ['a', 3] })), InvalidTensorError, /BYTES/);
    expectError(
      () => decodeInferRequest(input({ datatype: 'UINT64', data: [1, -1] })),
      InvalidTensorError,
      /element 1 is -1/,
    );
  });

  it('rejects negative, fractional and absurd dimensions', () => {
    expectError(() => decodeInferRequest(input({ shape: [-1, 2] })), InvalidTensorError, /shape\[0\].*got -1/);
    expectError(() => decodeInferRequest(input({ shape: [1.5] })), InvalidTensorError, /shape\[0\]/);
    expectError(() => decodeInferRequest(input({ shape: [65536, 65536, 2] })), InvalidTensorError, /more than 2\^31/);
    expectError(() => decodeInferRequest(input({ shape: 'x' })), InvalidTensorError, /shape must be a list/);
  });

  it('rejects a request without inputs, a nameless input and a duplicated input', () => {
    expectError(() => decodeInferRequest({}), BadRequestError, /"inputs" list/);
    expectError(() => decodeInferRequest([1]), BadRequestError, /JSON object/);
    expectError(() => decodeInferRequest(input({ name: '' })), BadRequestError, /inputs\[0\]: name/);
    const t = { name: 'x', datatype: 'FP32', shape: [1], data: [1] };
    expectError(() => decodeInferRequest({ inputs: [t, t] }), BadRequestError, /more than once/);
    expectError(() => decodeInferRequest(input({ data: undefined })), InvalidTensorError, /data is missing/);
  });

  it('rejects binary_data_size that does not match shape times element size', () => {
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 8 } }] },
      [Buffer.alloc(8)],
    );
    const decoded = decodeBody(body, { [HEADER_LENGTH]: String(headerLength) });
    expectError(
      () => decodeInferRequest(decoded),
      InvalidTensorError,
      /binary_data_size is 8 bytes but 3 FP32 elements need 12/,
    );
  });

  it('rejects binary bodies whose sizes do not add up', () => {
    const header = { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } }] };
    const short = binaryBody(header, [Buffer.alloc(4)]);
    expectError(
      () => decodeBody(short.body, { [HEADER_LENGTH]: String(short.headerLength) }),
      BadRequestError,
      /runs past the end of the body/,
    );
    const long = binaryBody(header, [Buffer.alloc(12)]);
    expectError(
      () => decodeBody(long.body, { [HEADER_LENGTH]: String(long.headerLength) }),
      BadRequestError,
      /12 bytes after the JSON header but the inputs' binary_data_size total 8/,
    );
    expectError(() => decodeBody(long.body, { [HEADER_LENGTH]: '99999' }), BadRequestError, /only \d+ bytes/);
    expectError(() => decodeBody(long.body, { [HEADER_LENGTH]: 'abc' }), BadRequestError, /non-negative integer/);
    expectError(
      () => decodeBody(long.body, { [HEADER_LENGTH]: '3' }),
      BadRequestError,
      /malformed JSON in binary request header/,
    );
  });

  it('rejects malformed binary BYTES elements and BOOL bytes other than 0 and 1', () => {
    const bytes = Buffer.from([5, 0, 0, 0, 0x61]);
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: bytes.length } }] },
      [bytes],
    );
    const decoded = decodeBody(body, { [HEADER_LENGTH]: String(headerLength) });
    expectError(() => decodeInferRequest(decoded), InvalidTensorError, /declares 5 bytes but only 1 remain/);
    expectError(
      () => decodeInferRequest({ inputs: [{ name: 'b', datatype: 'BOOL', shape: [2], binary: Buffer.from([1, 7]) }] }),
      InvalidTensorError,
      /BOOL element 1 is byte 7/,
    );
  });

  it('rejects a requested output the model does not have', () => {
    expectError(
      () =>
        encodeInferResponse(
          { model_name: 'm', id: '1', outputs: [tensorOf('FP32', 'y')] },
          { inputs: [], outputs: [{ name: 'z' }] },
        ),
      BadRequestError,
      /unknown output 'z' requested; the outputs are: y/,
    );
  });

  it('reports an output whose data does not match its shape as a model error', () => {
    const bad = { ...tensorOf('FP32', 'y'), shape: [4] };
    expectError(
      () => encodeInferResponse({ model_name: 'm', id: '1', outputs: [bad] }, undefined),
      ModelError,
      /holds 4/,
    );
  });

  it('rejects ragged plain lists', () => {
    expect(
      tensorFromNested(
        [
          [1, 2],
          [3, 4],
        ],
        'FP32',
        'x',
      ).shape,
    ).toEqual([2, 2]);
    expectError(
      () => tensorFromNested([[1, 2], [3]], 'FP32', 'input x'),
      InvalidTensorError,
      /ragged: \[1\] has 1 items, expected 2/,
    );
    expectError(() => tensorFromNested([[1, 2], 3], 'FP32', 'input x'), InvalidTensorError, /ragged/);
  });
});
