'use strict';
/**
 * npm's install step for graphserve. A prebuilt addon for this platform (prebuilds/<platform>-<arch>/)
 * that loads is used as it is; otherwise the addon is built from source (scripts/build-native.js),
 * which needs cmake, a C++17 compiler and the devDependencies cmake-js, node-addon-api and
 * node-api-headers. GRAPHSERVE_BUILD_FROM_SOURCE=1 forces the build.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Loads the .node in a child process, so a crash cannot take the install with it. */
function loads(file) {
  if (!fs.existsSync(file)) return false;
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
  return probe.status === 0;
}

function main() {
  const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'graphserve.node');
  if (!process.env.GRAPHSERVE_BUILD_FROM_SOURCE && loads(prebuilt)) {
    console.log(`graphserve: using the prebuilt addon ${path.relative(root, prebuilt)}`);
    return;
  }
  let build;
  try {
    build = require('./build-native').build;
    require.resolve('cmake-js/package.json', { paths: [root] });
  } catch {
    console.error(
      `graphserve: no prebuilt addon for ${process.platform}-${process.arch}, and the build tools ` +
        '(cmake-js, node-addon-api, node-api-headers) are not installed. Install them and run ' +
        "'npm run build:native' inside the package.",
    );
    process.exit(1);
  }
  build();
}

try {
  main();
} catch (err) {
  console.error(`graphserve: ${err.message}`);
  process.exit(1);
}
