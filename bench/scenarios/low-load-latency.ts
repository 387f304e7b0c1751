/**
 * low-load-latency: what graphserve's queueing, batching and protocol layers add to one request when
 * nothing else is in flight. One autocannon connection (c=1) sends batch-1 PP-OCR classifier requests
 * as OIP JSON to `graphserve serve` and to the fastify + onnxruntime-node peer (the better of ORT
 * spinning on/off at c=1), alternating `reps` times.
 *
 * ratio = graphserve median p50 ÷ peer median p50 (lower is better; target ≤ 1.1). The binary-body p50s
 * are measured beside it for reference.
 */
import { settingsOf } from '../lib/compare';
import { measurePair, pairChart } from '../lib/http-pair';
import { MAX_BATCH_SIZE, openPpocrServers } from '../lib/http-ppocr';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 1.1;
const CONNECTIONS = 1;

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const s = await openPpocrServers(ctx, CONNECTIONS);
  try {
    const json = await measurePair(
      ctx,
      { label: `${s.peer.label} JSON`, target: s.target(s.peer, s.json) },
      { label: 'graphserve JSON', target: s.target(s.graphserve, s.json) },
      CONNECTIONS,
    );
    const binary = await measurePair(
      ctx,
      { label: `${s.peer.label} binary`, target: s.target(s.peer, s.binary) },
      { label: 'graphserve binary', target: s.target(s.graphserve, s.binary) },
      CONNECTIONS,
    );
    const ratio = json.p50Ratio;
    return {
      scenario: 'low-load-latency',
      ratio,
      target: TARGET,
      unit: 'ms (p50)',
      summary:
        `c=1 batch-1 PP-OCR cls, JSON: graphserve p50 ${json.ours.p50Ms} ms vs peer ${json.baseline.p50Ms} ms ` +
        `(p99 ${json.ours.p99Ms} vs ${json.baseline.p99Ms}); binary: ${binary.ours.p50Ms} vs ` +
        `${binary.baseline.p50Ms} ms (${binary.p50Ratio}×); ratio = ours/peer, lower is better`,
      figures: {
        met: ratio <= TARGET,
        lowerIsBetter: true,
        json,
        binary,
        peerScreening: s.peerScreening,
        verification: s.verification,
        settings: settingsOf(ctx, {
          connections: CONNECTIONS,
          maxBatchSize: MAX_BATCH_SIZE,
          maxQueueDelayMicros: 0,
          client: 'autocannon',
        }),
      },
      chart: [...pairChart(ctx, json), ...pairChart(ctx, binary).slice(1)],
    };
  } finally {
    await s.close();
  }
}

export const lowLoadLatency: Scenario = {
  name: 'low-load-latency',
  description: 'graphserve p50 ÷ fastify+onnxruntime-node p50 at c=1 (PP-OCR cls, JSON; binary beside it)',
  byDefault: true,
  run,
};
