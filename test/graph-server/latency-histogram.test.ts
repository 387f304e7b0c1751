/**
 * LatencyHistogram scrapes exactly as a prom-client Histogram given the same observations does: the same
 * text exposition (both registries' metrics() compared line by line) and the same JSON, merged or not.
 */
import { Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from '../../src/graph-server/latency-histogram';
import { LATENCY_BUCKETS } from '../../src/graph-server/metrics';

const NAME = 'graphserve_request_duration_seconds';
const HELP = 'Time from receiving an event to its answer, seconds.';

function pair(): { ours: LatencyHistogram; theirs: Histogram<'model'>; mine: Registry; reference: Registry } {
  const mine = new Registry();
  const reference = new Registry();
  const ours = new LatencyHistogram({ name: NAME, help: HELP, buckets: LATENCY_BUCKETS, registers: [mine] });
  const theirs = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['model'],
    buckets: [...LATENCY_BUCKETS],
    registers: [reference],
  });
  return { ours, theirs, mine, reference };
}

describe('LatencyHistogram', () => {
  it('scrapes as prom-client Histogram does for the same observations (text and JSON)', async () => {
    const { ours, theirs, mine, reference } = pair();
    expect(await mine.metrics()).toBe(await reference.metrics()); // nothing observed yet
    // Values on every bound, between bounds, below the first and past the last; three models.
    const values = [0, 0.0001, ...LATENCY_BUCKETS, 0.0007, 0.003, 0.3, 7, 11, 1e6];
    let i = 0;
    for (const v of values) {
      for (const model of ['iris', '', 'ppocr-cls']) {
        if (i++ % 4 === 3) continue; // not every model sees every value
        ours.observe(model, v);
        theirs.observe({ model }, v);
      }
    }
    const text = await mine.metrics();
    expect(text).toBe(await reference.metrics());
    expect(text).toContain(`${NAME}_bucket{le="0.001",model="iris"}`);
    expect(await mine.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
    const merged = await Registry.merge([mine, new Registry()]).metrics();
    expect(merged).toBe(await Registry.merge([reference, new Registry()]).metrics());
  });

  it('ignores a value that is not a finite number, and reset() empties it', async () => {
    const { ours, mine } = pair();
    ours.observe('iris', NaN);
    ours.observe('iris', Infinity);
    expect(await mine.metrics()).not.toContain('model="iris"');
    ours.observe('iris', 0.002);
    expect(await mine.metrics()).toContain(`${NAME}_count{model="iris"} 1`);
    mine.resetMetrics();
    expect(await mine.metrics()).not.toContain('model="iris"');
  });

  it('refuses buckets that are not ascending', () => {
    expect(() => new LatencyHistogram({ name: 'x', help: 'x', buckets: [1, 0.5], registers: [] })).toThrow(TypeError);
  });
});
