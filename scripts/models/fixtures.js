'use strict';
// The tiny test models under test/fixtures/models. Each builder returns serialized ModelProto bytes; the
// names, dtypes and shapes here are what the tests in test/ rely on.

const { onnx } = require('onnx-proto');
const { DataType, valueInfo, node, floatTensor, encodeModel, seededRandom, randomValues } = require('./onnx-builder');

/** OIP datatype -> ONNX element type, for the identity_<dt>.onnx family. */
const IDENTITY_TYPES = {
  BOOL: DataType.BOOL,
  UINT8: DataType.UINT8,
  UINT16: DataType.UINT16,
  UINT32: DataType.UINT32,
  UINT64: DataType.UINT64,
  INT8: DataType.INT8,
  INT16: DataType.INT16,
  INT32: DataType.INT32,
  INT64: DataType.INT64,
  FP16: DataType.FLOAT16,
  BF16: DataType.BFLOAT16,
  FP32: DataType.FLOAT,
  FP64: DataType.DOUBLE,
  BYTES: DataType.STRING,
};

const F32 = DataType.FLOAT;

/** y = Identity(x), x: [dims...] of elemType. */
function identity(name, elemType, dims) {
  return encodeModel({
    name,
    nodes: [node('Identity', ['x'], ['y'])],
    inputs: [valueInfo('x', elemType, dims)],
    outputs: [valueInfo('y', elemType, dims)],
  });
}

/** sum = a + b, all FP32 [batch, 3]. */
function add() {
  return encodeModel({
    name: 'add',
    nodes: [node('Add', ['a', 'b'], ['sum'])],
    inputs: [valueInfo('a', F32, ['batch', 3]), valueInfo('b', F32, ['batch', 3])],
    outputs: [valueInfo('sum', F32, ['batch', 3])],
  });
}

/** x [batch,4] -> Gemm(4->8) -> Relu -> Gemm(8->3) -> Softmax = probabilities; label = ArgMax (INT64 [batch]). */
function mlp() {
  const rand = seededRandom(42);
  return encodeModel({
    name: 'mlp',
    nodes: [
      node('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 1 }),
      node('Relu', ['h'], ['h_relu']),
      node('Gemm', ['h_relu', 'w2', 'b2'], ['logits'], { transB: 1 }),
      node('Softmax', ['logits'], ['probabilities'], { axis: 1 }),
      node('ArgMax', ['probabilities'], ['label'], { axis: 1, keepdims: 0 }),
    ],
    inputs: [valueInfo('x', F32, ['batch', 4])],
    outputs: [valueInfo('probabilities', F32, ['batch', 3]), valueInfo('label', DataType.INT64, ['batch'])],
    initializers: [
      floatTensor('w1', [8, 4], randomValues(rand, 32, 1)),
      floatTensor('b1', [8], randomValues(rand, 8, 0.1)),
      floatTensor('w2', [3, 8], randomValues(rand, 24, 1)),
      floatTensor('b2', [3], randomValues(rand, 3, 0.1)),
    ],
  });
}

/** y = x * 2 with x fixed at [2, 3] (no dynamic batch axis). */
function fixedBatch() {
  return encodeModel({
    name: 'fixed_batch',
    nodes: [node('Mul', ['x', 'two'], ['y'])],
    inputs: [valueInfo('x', F32, [2, 3])],
    outputs: [valueInfo('y', F32, [2, 3])],
    initializers: [floatTensor('two', [], [2])],
  });
}

/**
 * x [batch,256] -> y [batch,256], deliberately slow so tests can keep requests in flight: with one intra-op
 * thread a batch of 1 takes about 8 ms and a batch of 8 about 60 ms on the 2-core dev machine (cost is linear in
 * batch x copies). Each row is fanned out to `copies` variants, x + offset[c] (Add against
 * offsets [copies,1,width] broadcasts to [copies,batch,width]); the variants go through `layers` x (MatMul
 * width x width, Tanh) and ReduceMean over the copies brings them back to [batch,width]. The work is
 * copies x layers GEMM rows per input row while the file holds only the shared weights. Every output row depends
 * only on its own input row. Weights are small so activations stay finite and non-degenerate.
 */
function slow(layers = 24, width = 256, copies = 256) {
  const rand = seededRandom(7);
  const initializers = [floatTensor('offsets', [copies, 1, width], randomValues(rand, copies * width, 0.5))];
  const nodes = [node('Add', ['x', 'offsets'], ['fanned'])];
  let prev = 'fanned';
  for (let i = 0; i < layers; i++) {
    initializers.push(floatTensor(`w${i}`, [width, width], randomValues(rand, width * width, 0.1)));
    nodes.push(node('MatMul', [prev, `w${i}`], [`m${i}`]), node('Tanh', [`m${i}`], [`t${i}`]));
    prev = `t${i}`;
  }
  // Opset 17 ReduceMean still takes `axes` as an INTS attribute, which node() does not build.
  const mean = node('ReduceMean', [prev], ['y'], { keepdims: 0 });
  mean.attribute.push({ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [0] });
  nodes.push(mean);
  return encodeModel({
    name: 'slow',
    nodes,
    inputs: [valueInfo('x', F32, ['batch', width])],
    outputs: [valueInfo('y', F32, ['batch', width])],
    initializers,
  });
}

/** The values of constant.onnx's output, row-major [2, 3]. */
const CONSTANT_VALUES = [1, -2, 3.5, 0, 0.25, 1e6];

/** No inputs; y = Constant FP32 [2, 3] holding CONSTANT_VALUES (a model that runs with no feeds). */
function constant() {
  const value = node('Constant', [], ['y']);
  value.attribute.push({
    name: 'value',
    type: onnx.AttributeProto.AttributeType.TENSOR,
    t: floatTensor('value', [2, 3], CONSTANT_VALUES),
  });
  return encodeModel({ name: 'constant', nodes: [value], inputs: [], outputs: [valueInfo('y', F32, [2, 3])] });
}

/** File name (within test/fixtures/models) -> function returning the model bytes. */
function fixtureModels() {
  const models = {};
  for (const [dt, elemType] of Object.entries(IDENTITY_TYPES)) {
    const name = `identity_${dt.toLowerCase()}`;
    models[`${name}.onnx`] = () => identity(name, elemType, ['batch', 3]);
  }
  models['identity_dyn.onnx'] = () => identity('identity_dyn', F32, ['batch', 'n']);
  models['add.onnx'] = add;
  models['mlp.onnx'] = mlp;
  models['fixed_batch.onnx'] = fixedBatch;
  models['slow.onnx'] = () => slow();
  models['constant.onnx'] = constant;
  return models;
}

module.exports = { IDENTITY_TYPES, CONSTANT_VALUES, fixtureModels };
