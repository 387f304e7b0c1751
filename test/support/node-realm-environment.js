'use strict';
// The jest environment of every test (jest.config.js). Native code (onnxruntime-node, graphserve's addon)
// creates typed arrays and ArrayBuffers in Node's main realm, while each test file runs in its own realm;
// `instanceof` checks across the two fail (onnxruntime-common's Tensor rejects every non-uint8 output).
// This environment gives the test realm the main realm's typed array and ArrayBuffer constructors.

const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
