'use strict';
/**
 * Makes a checkout ready to run (used by `npm start` and `npm run bench`): compiles the TypeScript,
 * builds the addon if it is missing, and generates the example and test models (fast when current).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const addonPresent = [
  `prebuilds/${process.platform}-${process.arch}/graphserve.node`,
  'build/Release/graphserve.node',
].some((p) => fs.existsSync(path.join(root, p)));
if (!addonPresent) run([path.join(__dirname, 'build-native.js')]);
run([require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', 'tsconfig.build.json']);
run([path.join(__dirname, 'gen-models.js')]);
