'use strict';
// The iris example model: multinomial logistic regression trained here, deterministically, on the 150-row
// Fisher iris data (scripts/data/iris.csv). Feature standardisation is folded into the exported weights, so
// the graph takes raw centimetres: input [batch,4] -> Gemm -> Softmax = probabilities, ArgMax = label.

const fs = require('fs');
const path = require('path');
const { DataType, valueInfo, node, floatTensor, encodeModel } = require('./onnx-builder');

const SPECIES = ['setosa', 'versicolor', 'virginica'];
const IRIS_CSV = path.join(__dirname, '..', 'data', 'iris.csv');
const EPOCHS = 500;
const LEARNING_RATE = 0.5;
const L2 = 1e-4;

/** Rows of iris.csv as { features: number[4], label: 0|1|2 }. */
function loadIris(file = IRIS_CSV) {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1);
  return lines.map((line) => {
    const cells = line.split(',');
    const label = SPECIES.indexOf(cells[4]);
    if (label < 0) throw new Error(`iris.csv: unknown species in "${line}"`);
    return { features: cells.slice(0, 4).map(Number), label };
  });
}

/** Per-feature mean and (population) standard deviation. */
function featureStats(rows) {
  const mean = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + r.features[j], 0) / rows.length);
  const sd = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r.features[j] - m) ** 2, 0) / rows.length));
  return { mean, sd };
}

function softmax(logits) {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** Full-batch gradient descent from zero weights on standardised features. Returns W [3][4], b [3]. */
function trainStandardised(xs, labels) {
  const k = SPECIES.length;
  const W = Array.from({ length: k }, () => [0, 0, 0, 0]);
  const b = [0, 0, 0];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gW = Array.from({ length: k }, () => [0, 0, 0, 0]);
    const gb = [0, 0, 0];
    xs.forEach((x, n) => {
      const p = softmax(W.map((w, c) => b[c] + w.reduce((s, wj, j) => s + wj * x[j], 0)));
      p.forEach((pc, c) => {
        const err = pc - (labels[n] === c ? 1 : 0);
        gb[c] += err;
        x.forEach((xj, j) => (gW[c][j] += err * xj));
      });
    });
    for (let c = 0; c < k; c++) {
      b[c] -= (LEARNING_RATE * gb[c]) / xs.length;
      for (let j = 0; j < 4; j++) W[c][j] -= LEARNING_RATE * (gW[c][j] / xs.length + L2 * W[c][j]);
    }
  }
  return { W, b };
}

/** Trains on rows and returns weights for raw features: logits = W x + b, W [3][4], b [3]. */
function trainIris(rows) {
  const { mean, sd } = featureStats(rows);
  const xs = rows.map((r) => r.features.map((v, j) => (v - mean[j]) / sd[j]));
  const { W, b } = trainStandardised(
    xs,
    rows.map((r) => r.label),
  );
  // Fold (x - mean) / sd into the affine map so the model takes centimetres directly.
  const rawW = W.map((w) => w.map((wj, j) => wj / sd[j]));
  const rawB = b.map((bc, c) => bc - W[c].reduce((s, wj, j) => s + (wj * mean[j]) / sd[j], 0));
  return { W: rawW, b: rawB };
}

/** Fraction of rows whose argmax logit (raw-feature weights) equals the label. */
function accuracy(weights, rows) {
  const hits = rows.filter((r) => {
    const logits = weights.W.map((w, c) => weights.b[c] + w.reduce((s, wj, j) => s + wj * r.features[j], 0));
    return logits.indexOf(Math.max(...logits)) === r.label;
  });
  return hits.length / rows.length;
}

/** Trains and encodes the iris model; returns { bytes, accuracy } (accuracy on the training rows). */
function irisModel() {
  const rows = loadIris();
  const weights = trainIris(rows);
  const bytes = encodeModel({
    name: 'iris',
    nodes: [
      node('Gemm', ['input', 'weight', 'bias'], ['logits'], { transB: 1 }),
      node('Softmax', ['logits'], ['probabilities'], { axis: 1 }),
      node('ArgMax', ['probabilities'], ['label'], { axis: 1, keepdims: 0 }),
    ],
    inputs: [valueInfo('input', DataType.FLOAT, ['batch', 4])],
    outputs: [valueInfo('label', DataType.INT64, ['batch']), valueInfo('probabilities', DataType.FLOAT, ['batch', 3])],
    initializers: [floatTensor('weight', [3, 4], weights.W.flat()), floatTensor('bias', [3], weights.b)],
  });
  return { bytes, accuracy: accuracy(weights, rows) };
}

module.exports = { SPECIES, IRIS_CSV, loadIris, trainIris, irisModel };
