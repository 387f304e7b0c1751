'use strict';
/**
 * `npm run prebuild` (and `prepack`): puts this platform's prebuilt addon into the package, where
 * bindings/loader.ts and scripts/install.js look first:
 *   prebuilds/<platform>-<arch>/graphserve.node     stripped copy of build/Release/graphserve.node
 *   prebuilds/<platform>-<arch>/libonnxruntime.so.1 the ONNX Runtime it links (RUNPATH $ORIGIN finds it)
 *   prebuilds/<platform>-<arch>/libonnxruntime_providers_*.so  execution providers (CUDA), only when they
 *                                                   sit in build/Release too (Dockerfile.gpu puts them there)
 * Builds the addon first (scripts/build-native.js) when build/Release has none; `--rebuild` always does.
 * Files are written to a temporary name and renamed, so a process loading the addon meanwhile sees the
 * old file or the new one, never half of one. The copy is checked to load in a child process.
 *
 * `--clean` (`postpack`) removes the folder again, but only one this script made (it leaves a marker),
 * so that a developer's later `npm run build:native` is not shadowed by a stale prebuild (the loader
 * prefers prebuilds/ over build/Release).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = `${process.platform}-${process.arch}`;
const outDir = path.join(root, 'prebuilds', target);
const releaseDir = path.join(root, 'build', 'Release');
const ADDON = 'graphserve.node';
const ORT_LIB = 'libonnxruntime.so.1';
const MARKER = '.from-local-build';
/** ORT loads execution provider libraries from the folder of libonnxruntime.so.1. */
const PROVIDER_LIB = /^libonnxruntime_providers_\w+\.so$/;

/** Copies src to dest through a temporary file and rename; returns dest. */
function copyAtomically(src, dest) {
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.copyFileSync(fs.realpathSync(src), tmp);
  fs.renameSync(tmp, dest);
  return dest;
}

/** Strips symbols from a copied .node in place (binutils' strip); warns and keeps it when strip is missing. */
function strip(file) {
  const tmp = `${file}.${process.pid}.stripped`;
  const result = spawnSync('strip', ['--strip-unneeded', '-o', tmp, file], { stdio: 'inherit' });
  if (result.error || result.status !== 0) {
    console.warn(`graphserve: prebuild: strip failed (${result.error?.message ?? result.status}); kept unstripped`);
    fs.rmSync(tmp, { force: true });
    return;
  }
  fs.renameSync(tmp, file);
}

function ensureBuilt(rebuild) {
  if (!rebuild && fs.existsSync(path.join(releaseDir, ADDON))) return;
  require('./build-native').build();
}

/** Throws unless the prebuilt addon loads, with its library, in a fresh process. */
function checkLoads(file) {
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`the prebuilt addon ${file} does not load:\n${probe.stderr}`);
}

function prebuild({ rebuild = false } = {}) {
  ensureBuilt(rebuild);
  for (const name of [ADDON, ORT_LIB]) {
    if (!fs.existsSync(path.join(releaseDir, name))) throw new Error(`${path.join(releaseDir, name)} is missing`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, MARKER), 'made by scripts/prebuild.js from build/Release\n');
  const providers = fs.readdirSync(releaseDir).filter((f) => PROVIDER_LIB.test(f));
  for (const name of [ORT_LIB, ...providers]) copyAtomically(path.join(releaseDir, name), path.join(outDir, name));
  const tmpAddon = path.join(outDir, `${ADDON}.${process.pid}.new`);
  fs.copyFileSync(path.join(releaseDir, ADDON), tmpAddon);
  strip(tmpAddon);
  fs.renameSync(tmpAddon, path.join(outDir, ADDON));
  checkLoads(path.join(outDir, ADDON));
  const files = [ADDON, ORT_LIB, ...providers].join(', ');
  console.log(`graphserve: prebuild ready in ${path.relative(root, outDir)}/ (${files})`);
}

function clean() {
  if (!fs.existsSync(path.join(outDir, MARKER))) return;
  fs.rmSync(outDir, { recursive: true, force: true });
  const parent = path.dirname(outDir);
  if (fs.readdirSync(parent).length === 0) fs.rmdirSync(parent);
  console.log(`graphserve: removed ${path.relative(root, outDir)}/ (made by prebuild)`);
}

module.exports = { prebuild, clean };

if (require.main === module) {
  try {
    if (process.argv.includes('--clean')) clean();
    else prebuild({ rebuild: process.argv.includes('--rebuild') });
  } catch (err) {
    console.error(`graphserve: prebuild failed: ${err.message}`);
    process.exit(1);
  }
}
