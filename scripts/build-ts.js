'use strict';
/**
 * Compiles the TypeScript into dist/ (`npm run build:ts`, and ensure-built.js when a source is newer) and
 * marks the package's bin files executable. tsc writes new files 0644; npx runs a checkout's own bin
 * through a link in its cache, and only chmods the target the first time it makes that link, so a rebuilt
 * checkout at a path npx has seen before would answer "Permission denied" without this.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);

const { bin } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
for (const file of Object.values(bin ?? {})) {
  const target = path.join(root, file);
  fs.chmodSync(target, fs.statSync(target).mode | 0o111);
}
