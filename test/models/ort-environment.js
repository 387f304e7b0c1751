'use strict';
// Jest environment for tests that call onnxruntime-node directly. Its native code builds output typed arrays
// in Node's main realm, and onnxruntime-common's Tensor checks them with `instanceof` against the sandbox's
// own constructors, so every non-uint8 output is rejected. This environment makes the sandbox use the main
// realm's typed array and ArrayBuffer constructors, so both sides agree. Opt in per file with
// `@jest-environment ./test/models/ort-environment.js`.

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
