'use strict';
/**
 * Locates ONNX Runtime's C/C++ headers and shared library for the addon build, in this order:
 *   1. ONNXRUNTIME_DIR: an official release folder (include/ + lib/), e.g. the GPU tarball;
 *   2. a system install (headers under /usr[/local]/include[/onnxruntime], libonnxruntime.so in a lib dir);
 *   3. the npm packages: the runtime from onnxruntime-node, headers from com.github.asus4.onnxruntime.
 * Headers may be older than the runtime, never newer (the runtime serves API versions up to its own).
 * Prints the result as JSON when run directly.
 */
const fs = require('node:fs');
const path = require('node:path');

const HEADER = 'onnxruntime_cxx_api.h';
const LIBS = ['libonnxruntime.so.1', 'libonnxruntime.so'];

function firstExisting(candidates) {
  return candidates.find((p) => fs.existsSync(p));
}

function includeIn(dir) {
  const inc = firstExisting(
    [
      path.join(dir, 'include'),
      path.join(dir, 'include', 'onnxruntime'),
      path.join(dir, 'include', 'onnxruntime', 'core', 'session'),
    ].filter((d) => fs.existsSync(path.join(d, HEADER))),
  );
  return inc;
}

function libIn(dirs) {
  for (const d of dirs) {
    const lib = firstExisting(LIBS.map((l) => path.join(d, l)));
    if (lib) return lib;
  }
  return undefined;
}

function fromDir(dir, tried) {
  const includeDir = includeIn(dir);
  const library = libIn([path.join(dir, 'lib'), path.join(dir, 'lib64'), dir]);
  tried.push(`ONNXRUNTIME_DIR=${dir}: headers ${includeDir ?? 'missing'}, library ${library ?? 'missing'}`);
  return includeDir && library ? { source: 'ONNXRUNTIME_DIR', includeDir, library } : undefined;
}

function fromSystem(tried) {
  const prefixes = ['/usr/local', '/usr'];
  for (const prefix of prefixes) {
    const includeDir = includeIn(prefix);
    const library = libIn([
      path.join(prefix, 'lib'),
      path.join(prefix, 'lib', 'x86_64-linux-gnu'),
      path.join(prefix, 'lib64'),
    ]);
    tried.push(`system ${prefix}: headers ${includeDir ?? 'missing'}, library ${library ?? 'missing'}`);
    if (includeDir && library) return { source: 'system', includeDir, library };
  }
  return undefined;
}

function packageDir(name, root) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [root] }));
  } catch {
    return undefined;
  }
}

function fromNpm(root, tried) {
  const ortNode = packageDir('onnxruntime-node', root);
  const library = ortNode && libIn([path.join(ortNode, 'bin', 'napi-v6', process.platform, process.arch)]);
  const headersPkg = packageDir('com.github.asus4.onnxruntime', root);
  const frameworks = headersPkg && path.join(headersPkg, 'Plugins', 'iOS~', 'onnxruntime.xcframework');
  let includeDir;
  if (frameworks && fs.existsSync(frameworks)) {
    for (const slice of fs.readdirSync(frameworks).sort()) {
      const dir = path.join(frameworks, slice, 'onnxruntime.framework', 'Headers');
      if (fs.existsSync(path.join(dir, HEADER))) {
        includeDir = dir;
        break;
      }
    }
  }
  tried.push(
    `npm packages: headers ${includeDir ?? 'missing (com.github.asus4.onnxruntime)'}, library ${library ?? 'missing (onnxruntime-node)'}`,
  );
  return includeDir && library ? { source: 'npm', includeDir, library } : undefined;
}

/** Returns { source, includeDir, library } or throws an Error listing what was tried. */
function findOrt(root = path.resolve(__dirname, '..')) {
  const tried = [];
  const dir = process.env.ONNXRUNTIME_DIR;
  const found =
    (dir ? fromDir(path.resolve(dir), tried) : undefined) ??
    (process.env.GRAPHSERVE_ORT_SKIP_SYSTEM ? undefined : fromSystem(tried)) ??
    fromNpm(root, tried);
  if (!found) throw new Error(`ONNX Runtime headers and library not found. Tried:\n  ${tried.join('\n  ')}`);
  return found;
}

module.exports = { findOrt };

if (require.main === module) {
  console.log(JSON.stringify(findOrt(), null, 2));
}
