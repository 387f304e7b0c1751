/**
 * A TypeScript loader for worker threads in tests: jest compiles .ts in its own VM, but piscina's
 * workers are plain Node threads. Passed as `workerExecArgv: ['--require', <this file>]`; it compiles
 * each required .ts file with the TypeScript compiler (transpile only, no type check).
 */
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};
