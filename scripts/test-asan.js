'use strict';
/**
 * `npm run test:asan`: builds the addon with AddressSanitizer + UBSan (Debug, build-asan/) and runs
 * the engine tests against it in one process (jest -i), with the ASan runtime preloaded into node.
 * ORT's CPU arena is disabled for these runs (GRAPHSERVE_CPU_MEM_ARENA=0) so ORT allocations are
 * tracked one by one. LeakSanitizer suppressions: scripts/asan/lsan.supp.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');
const { build } = require('./build-native');

const root = path.resolve(__dirname, '..');
build({ asan: true });
const libasan = execFileSync('g++', ['-print-file-name=libasan.so']).toString().trim();
const env = {
  ...process.env,
  LD_PRELOAD: libasan,
  GRAPHSERVE_CPU_MEM_ARENA: '0',
  GRAPHSERVE_ADDON: path.join(root, 'build-asan', 'Debug', 'graphserve.node'),
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_odr_violation=0:new_delete_type_mismatch=0',
  LSAN_OPTIONS: `suppressions=${path.join(__dirname, 'asan', 'lsan.supp')}:print_suppressions=0`,
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};
const jest = require.resolve('jest/bin/jest', { paths: [root] });
const args = [jest, '-i', '--testTimeout=300000', 'test/bindings', 'test/protocol/fast-json', ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
