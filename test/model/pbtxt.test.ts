/**
 * parseTextFormat: protobuf text format as Triton's config.pbtxt files write it, read without a schema
 * (src/model/pbtxt.ts).
 */
import { InvalidOptionError } from '../../src/errors';
import { parseTextFormat } from '../../src/model/pbtxt';

const SCHEMA = {
  repeated: new Set(['input', 'output', 'dims', 'instance_group', 'preferred_batch_size']),
  maps: new Set(['parameters']),
};
const parse = (text: string) => parseTextFormat(text, 'config.pbtxt', SCHEMA);

describe('parseTextFormat', () => {
  it("reads a Triton configuration's fields, messages, lists, maps and comments", () => {
    const text = `
      name: "iris"  # the model
      platform: "onnxruntime_onnx"
      max_batch_size : 8
      input [
        { name: "input" data_type: TYPE_FP32 dims: [ 4 ] },
        { name: 'x' "y" data_type: TYPE_FP32, dims: [ -1, 0x10 ] }
      ]
      output { name: "label" data_type: TYPE_INT64 dims: 1 }
      dynamic_batching {
        preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 100
        default_queue_policy < max_queue_size: 5 >
      }
      instance_group [ { count: 2 kind: KIND_CPU } ]
      parameters { key: "intra_op_thread_count" value: { string_value: "2" } }
      parameters { key: "escaped" value: { string_value: "\\x41\\101\\n\\"" } };
      optimization { execution_accelerators { cpu_execution_accelerator: [ { name: "openvino" } ] } }
      ratio: 1.5e-3 low: -inf flag: true small: 12f
      tag: "a" tag: "b"
    `;
    expect(parse(text)).toEqual({
      name: 'iris',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [
        { name: 'input', data_type: 'TYPE_FP32', dims: [4] },
        { name: 'xy', data_type: 'TYPE_FP32', dims: [-1, 16] },
      ],
      output: [{ name: 'label', data_type: 'TYPE_INT64', dims: [1] }],
      dynamic_batching: {
        preferred_batch_size: [4, 8],
        max_queue_delay_microseconds: 100,
        default_queue_policy: { max_queue_size: 5 },
      },
      instance_group: [{ count: 2, kind: 'KIND_CPU' }],
      parameters: { intra_op_thread_count: { string_value: '2' }, escaped: { string_value: 'AA\n"' } },
      optimization: { execution_accelerators: { cpu_execution_accelerator: [{ name: 'openvino' }] } },
      ratio: 0.0015,
      low: '-inf',
      flag: true,
      small: 12,
      tag: ['a', 'b'],
    });
  });

  it('reads an empty text as an empty message', () => {
    expect(parse('  # nothing\n')).toEqual({});
  });

  it.each([
    ['name "x"', /\(line 1, column 6\): expected ':' or '\{' after name/],
    ['a {\n  b: 1\n', /\(line 3, column 1\): unexpected end/],
    ['a: [1 2]', /expected ',' or '\]', found '2'/],
    ['a: ]', /expected a value, found '\]'/],
    ['"x": 1', /expected a field name, found '"x"'/],
    ['a: @', /\(line 1, column 4\): unexpected "@"/],
    ['__proto__ { x: 1 }', /expected a field name, found '__proto__'/],
    ['parameters { key: "__proto__" value { string_value: "1" } }', /parameters entries must be/],
    ['parameters { key: 1 }', /parameters entries must be \{ key: "…" value: … \}/],
  ])('refuses %j, saying where', (text, message) => {
    expect(() => parse(text)).toThrow(InvalidOptionError);
    expect(() => parse(text)).toThrow(message);
  });
});
