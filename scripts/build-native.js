'use strict';
/**
 * Builds the addon with cmake-js, offline: Node-API headers come from node-api-headers (package.json
 * "binary.napi_versions"), ONNX Runtime from scripts/find-ort.js. Output: build/Release/graphserve.node
 * with libonnxruntime.so.1 beside it. `--asan` builds a Debug+AddressSanitizer addon into build-asan/.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { findOrt } = require('./find-ort');

function build({ asan = false } = {}) {
  const root = path.resolve(__dirname, '..');
  const ort = findOrt(root);
  console.log(`graphserve: ONNX Runtime from ${ort.source}: ${ort.library}`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  const args = [
    cmakeJs,
    'compile',
    '--CDORT_INCLUDE_DIR=' + ort.includeDir,
    '--CDORT_LIBRARY=' + ort.library,
    '--parallel',
    '2',
  ];
  if (asan) args.push('--debug', '--out', 'build-asan', '--CDGRAPHSERVE_ASAN=ON');
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`cmake-js failed with exit code ${result.status}`);
}

module.exports = { build };

if (require.main === module) {
  try {
    build({ asan: process.argv.includes('--asan') });
  } catch (err) {
    console.error(`graphserve: native build failed: ${err.message}`);
    process.exit(1);
  }
}
