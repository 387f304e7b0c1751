'use strict';
// Small helpers over onnx-proto for hand-built ONNX graphs. Every model is ir_version 8, opset 17 (default
// domain). A dimension given as a string is symbolic (dim_param), a number is fixed (dim_value).

const { onnx } = require('onnx-proto');

const IR_VERSION = 8;
const OPSET = 17;
const DataType = onnx.TensorProto.DataType;

/** A graph input or output: name, ONNX element type (DataType value) and dims (string = symbolic). */
function valueInfo(name, elemType, dims) {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function attribute(name, value) {
  const T = onnx.AttributeProto.AttributeType;
  if (Number.isInteger(value)) return { name, type: T.INT, i: value };
  if (typeof value === 'number') return { name, type: T.FLOAT, f: value };
  throw new Error(`unsupported attribute ${name}: ${String(value)}`);
}

/** One graph node; attrs maps attribute names to numbers (integers become INT, others FLOAT). */
function node(opType, inputs, outputs, attrs = {}) {
  const attrList = Object.entries(attrs).map(([k, v]) => attribute(k, v));
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute: attrList };
}

/** A FLOAT initializer; values are stored little-endian in raw_data, dims must match values.length. */
function floatTensor(name, dims, values) {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`${name}: ${values.length} values for dims [${dims}]`);
  const buf = Buffer.alloc(count * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return { name, dims, dataType: DataType.FLOAT, rawData: buf };
}

/**
 * Encodes a single-graph model. spec: { name, nodes, inputs, outputs, initializers? } where inputs/outputs
 * are valueInfo() results. Returns the serialized ModelProto bytes.
 */
function encodeModel(spec) {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'graphserve gen-models',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: spec.name,
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
    },
  });
  const problem = onnx.ModelProto.verify(model);
  if (problem) throw new Error(`${spec.name}: ${problem}`);
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** Deterministic PRNG (mulberry32): same seed, same sequence of floats in [0, 1). */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** count values uniform in [-scale, scale) drawn from rand. */
function randomValues(rand, count, scale) {
  return Array.from({ length: count }, () => (rand() * 2 - 1) * scale);
}

module.exports = {
  DataType,
  valueInfo,
  node,
  floatTensor,
  encodeModel,
  seededRandom,
  randomValues,
};
