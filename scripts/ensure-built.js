'use strict';
/**
 * Makes a checkout ready to run (used by `npm start` and `npm run bench`): compiles the TypeScript when a
 * source is newer than dist/, builds the addon if it is missing, and generates the example and test
 * models (fast when current).
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
/** Newest modification time (ms) of the files under `dir` whose names match `pattern`; 0 when none. */
function newest(dir, pattern) {
  if (!fs.existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(file, pattern));
    else if (pattern.test(entry.name)) latest = Math.max(latest, fs.statSync(file).mtimeMs);
  }
  return latest;
}

// Compiled output is rewritten only when a source is newer: other processes may be reading dist/.
const sources = Math.max(
  ...['src', 'bindings', 'bench'].map((d) => newest(path.join(root, d), /\.ts$/)),
  ...['tsconfig.json', 'tsconfig.build.json'].map((f) => fs.statSync(path.join(root, f)).mtimeMs),
);
const compiled = newest(path.join(root, 'dist'), /\.js$/);
if (compiled === 0 || sources > compiled) {
  run([path.join(__dirname, 'build-ts.js')]);
}
run([path.join(__dirname, 'gen-models.js')]);
