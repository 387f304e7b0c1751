'use strict';
// Runs in a worker_thread: loads the compiled bindings (npm test builds dist/ first), runs a model,
// and reports. With `hang: true` it leaves requests in flight and waits to be terminated.
const { parentPort, workerData } = require('node:worker_threads');
const { InferenceSession } = require('../../dist/bindings/session.js');

async function main() {
  const s = await InferenceSession.create(workerData.model, workerData.options ?? {});
  const runs = [];
  for (let i = 0; i < workerData.requests; i++) {
    const x = Float32Array.from({ length: workerData.width }, (_, k) => workerData.seed + i + k);
    runs.push(s.run({ x: { datatype: 'FP32', shape: [1, workerData.width], data: x } }));
  }
  if (workerData.hang) {
    parentPort.postMessage({ started: true });
    return;
  }
  const outs = await Promise.all(runs);
  const ok = outs.every((o, i) => o.y.data[0] === workerData.seed + i);
  await s.dispose();
  parentPort.postMessage({ ok, count: outs.length });
}

main().catch((err) => parentPort.postMessage({ error: `${err.name}: ${err.message}` }));
