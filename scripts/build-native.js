'use strict';
/**
 * Builds the addon with cmake-js, offline: Node-API headers come from node-api-headers (package.json
 * "binary.napi_versions"), ONNX Runtime from scripts/find-ort.js. Output: build/Release/graphserve.node
 * with libonnxruntime.so.1 beside it. `--asan` builds a Debug+AddressSanitizer addon into build-asan/.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { findOrt } = require('./find-ort');

/** `out`: the build folder (default build/; the addon lands in <out>/Release or, with asan, build-asan/Debug). */
function build({ asan = false, out } = {}) {
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
  else if (out) args.push('--out', out);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`cmake-js failed with exit code ${result.status}`);
}

module.exports = { build };

if (require.main === module) {
  try {
    const at = process.argv.indexOf('--out');
    build({ asan: process.argv.includes('--asan'), out: at > 0 ? process.argv[at + 1] : undefined });
  } catch (err) {
    console.error(`graphserve: native build failed: ${err.message}`);
    process.exit(1);
  }
}
