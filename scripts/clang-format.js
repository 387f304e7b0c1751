'use strict';
/**
 * clang-format over native/ with the repo's .clang-format, using the binary shipped in the npm package
 * `clang-format`. `--check` fails on any difference (part of `npm run lint`); `--fix` rewrites in place.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'native');
const files = fs
  .readdirSync(dir)
  .filter((f) => /\.(cc|h)$/.test(f))
  .map((f) => path.join(dir, f));
const fix = process.argv.includes('--fix');
const bin = path.join(root, 'node_modules', '.bin', 'clang-format');
const args = fix ? ['-i', ...files] : ['--dry-run', '--Werror', ...files];
const result = spawnSync(bin, ['--style=file', ...args], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  if (!fix) console.error("clang-format: native/ is not formatted; run 'npm run format'");
  process.exit(result.status ?? 1);
}
