/**
 * GET /metrics: Prometheus text from GraphServer, the same through the mock server and HTTP; request
 * counts by model and outcome, latency histograms, model gauges, the engine's batching stats for ONNX
 * models, and the process metrics; one registry per server.
 */
jest.mock('cookie', () => ({ stringifySetCookie: (): string => '' })); // see http-app.test.ts
import { join } from 'node:path';
import { eventLoopSpinStats } from '../../bindings/event-loop-spin';
import { V2ModelServer, newFunction, silentLogger, type ModelRequest } from '../../src';
import '../../src/model/onnx-model-server';
import type { MockServer } from '../../src/server/mock-server';
import { buildApp } from '../../src/server/http/http';

const IRIS = join(__dirname, '..', '..', 'examples', 'models', 'iris', 'model.onnx');

class Doubler extends V2ModelServer {
  override load(): void {
    this.model = {};
  }

  override predict(request: ModelRequest<number>): unknown {
    if (request.inputs[0] === -1) throw new Error('simulated failure');
    return request.inputs.map((x) => x * 2);
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample with this name whose labels include `labels`; undefined if none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function scrape(server: MockServer): Promise<Sample[]> {
  return parse((await server.test('/metrics')) as string);
}

async function doublerServer(): Promise<MockServer> {
  const fn = newFunction('metrics');
  fn.setTopology('router');
  fn.addModel('doubler', { className: Doubler });
  fn.addModel('other', { className: Doubler });
  return fn.toMockServer({ logger: silentLogger });
}

describe('GET /metrics', () => {
  it('counts requests by model, status class and error code', async () => {
    const server = await doublerServer();
    await server.test('/v2/models/doubler/infer', { inputs: [1] });
    await server.test('/v2/models/doubler/infer', { inputs: [2] });
    await server.test('/v2/models/doubler/infer', { inputs: [-1] }, { silent: true });
    await server.test('/v2/models/other/infer', { inputs: [3] });
    await server.test('/v2/models/nope/infer', { inputs: [3] }, { silent: true });
    const s = await scrape(server);
    const requests = 'graphserve_requests_total';
    expect(value(s, requests, { model: 'doubler', status_class: '2xx', code: '' })).toBe(2);
    expect(value(s, requests, { model: 'doubler', status_class: '5xx', code: 'GS_MODEL_ERROR' })).toBe(1);
    expect(value(s, requests, { model: 'other', status_class: '2xx' })).toBe(1);
    expect(value(s, requests, { model: '', status_class: '4xx', code: 'GS_MODEL_NOT_FOUND' })).toBe(1);
    // Each scrape reports the totals so far: counted once, never added again.
    await server.test('/v2/models/doubler/infer', { inputs: [4] });
    const again = await scrape(server);
    expect(value(again, requests, { model: 'doubler', status_class: '2xx', code: '' })).toBe(3);
    expect(value(again, requests, { model: 'other', status_class: '2xx' })).toBe(1);
  });

  it('does not use an unknown model name from the URL as a label', async () => {
    const server = await doublerServer();
    await server.test('/v2/models/made-up-by-a-client/infer', { inputs: [1] }, { silent: true });
    const s = await scrape(server);
    expect(s.some((x) => x.labels['model'] === 'made-up-by-a-client')).toBe(false);
  });

  it('keeps a latency histogram per model', async () => {
    const server = await doublerServer();
    await server.test('/v2/models/doubler/infer', { inputs: [1] });
    await server.test('/v2/models/doubler/infer', { inputs: [1] });
    const s = await scrape(server);
    expect(value(s, 'graphserve_request_duration_seconds_count', { model: 'doubler' })).toBe(2);
    expect(value(s, 'graphserve_request_duration_seconds_bucket', { model: 'doubler', le: '+Inf' })).toBe(2);
    expect(value(s, 'graphserve_request_duration_seconds_sum', { model: 'doubler' })).toBeGreaterThan(0);
  });

  it('reports the models loaded and ready', async () => {
    const s = await scrape(await doublerServer());
    expect(value(s, 'graphserve_models_loaded')).toBe(2);
    expect(value(s, 'graphserve_models_ready')).toBe(2);
    expect(value(s, 'graphserve_model_ready', { model: 'doubler' })).toBe(1);
  });

  it('includes the process metrics', async () => {
    const s = await scrape(await doublerServer());
    expect(value(s, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(s, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('keeps one registry per server, so servers do not see each other', async () => {
    const a = await doublerServer();
    const b = await doublerServer();
    await a.test('/v2/models/doubler/infer', { inputs: [1] });
    expect(value(await scrape(a), 'graphserve_requests_total', { model: 'doubler' })).toBe(1);
    expect(value(await scrape(b), 'graphserve_requests_total', { model: 'doubler' })).toBeUndefined();
  });

  it('answers over HTTP with the Prometheus text content type', async () => {
    const fn = newFunction('metrics-http');
    fn.setTopology('router');
    fn.addModel('doubler', { className: Doubler });
    const app = buildApp(await fn.toGraphServer({ logger: silentLogger }));
    await app.inject({ method: 'POST', url: '/v2/models/doubler/infer', payload: { inputs: [4] } });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parse(res.body);
    expect(value(s, 'graphserve_requests_total', { model: 'doubler', status_class: '2xx' })).toBe(1);
    await app.close();
  });
});

describe('engine metrics of an ONNX model', () => {
  let server: MockServer;

  beforeAll(async () => {
    const fn = newFunction('metrics-onnx');
    fn.setTopology('router');
    fn.addModel('iris', {
      className: 'OnnxModelServer',
      modelPath: IRIS,
      batching: { maxBatchSize: 8, maxQueueDelayMicros: 2000 },
      intraOpThreads: 1,
    });
    server = await fn.toMockServer({ logger: silentLogger });
  });

  afterAll(async () => {
    await server.waitForCompletion();
  });

  it('exports batch sizes, rows, queue and compute time from the engine stats', async () => {
    const row = [5.1, 3.5, 1.4, 0.2];
    await Promise.all(Array.from({ length: 6 }, () => server.test('/v2/models/iris/infer', { inputs: [row] })));
    await server.test('/v2/models/iris/infer', { inputs: [row, row] });
    const s = await scrape(server);
    expect(value(s, 'graphserve_engine_requests_total', { model: 'iris' })).toBe(7);
    expect(value(s, 'graphserve_engine_rows_total', { model: 'iris' })).toBe(8);
    const runs = s.filter((x) => x.name === 'graphserve_engine_batch_runs_total' && x.labels['model'] === 'iris');
    expect(runs.length).toBeGreaterThan(0);
    const rowsFromRuns = runs.reduce((sum, x) => sum + Number(x.labels['batch_size']) * x.value, 0);
    expect(rowsFromRuns).toBe(8);
    const batches = value(s, 'graphserve_engine_batches_total', { model: 'iris' })!;
    expect(batches).toBe(runs.reduce((sum, x) => sum + x.value, 0));
    expect(value(s, 'graphserve_engine_queue_seconds_total', { model: 'iris' })).toBeGreaterThanOrEqual(0);
    expect(value(s, 'graphserve_engine_compute_seconds_total', { model: 'iris' })).toBeGreaterThan(0);
    expect(value(s, 'graphserve_engine_queued', { model: 'iris' })).toBe(0);
    expect(value(s, 'graphserve_engine_batch_cap', { model: 'iris' })).toBe(8); // a queue delay: no tuning
    expect(value(s, 'graphserve_engine_errors_total', { model: 'iris', kind: 'failed' })).toBe(0);
    expect(value(s, 'graphserve_requests_total', { model: 'iris', status_class: '2xx' })).toBe(7);
  });
});

describe('inline runs of an ONNX model in the metrics', () => {
  it('counts the batches run on the event loop (inlineRunMicros) apart from all batches', async () => {
    const fn = newFunction('metrics-inline');
    fn.setTopology('router');
    const settings = { className: 'OnnxModelServer', modelPath: IRIS, intraOpThreads: 1 };
    fn.addModel('iris', { ...settings, inlineRunMicros: 1_000_000 });
    fn.addModel('iris-threads', { ...settings, inlineRunMicros: 0 });
    const server = await fn.toMockServer({ logger: silentLogger });
    const row = [5.1, 3.5, 1.4, 0.2];
    const spinsBefore = eventLoopSpinStats().spins;
    for (let i = 0; i < 10; i++) {
      // One after the other: each its own batch; the first 8 measure the model, the last 2 run inline.
      await server.test('/v2/models/iris/infer', { inputs: [row] });
      await server.test('/v2/models/iris-threads/infer', { inputs: [row] });
    }
    const s = await scrape(server);
    expect(value(s, 'graphserve_engine_batches_total', { model: 'iris' })).toBe(10);
    expect(value(s, 'graphserve_engine_inline_batches_total', { model: 'iris' })).toBe(2);
    expect(value(s, 'graphserve_engine_batches_total', { model: 'iris-threads' })).toBe(10);
    expect(value(s, 'graphserve_engine_inline_batches_total', { model: 'iris-threads' })).toBe(0);
    // The event loop spun after each inline batch (process-wide counts: bindings/event-loop-spin.ts).
    const spins = value(s, 'graphserve_event_loop_spins_total')!;
    expect(spins).toBeGreaterThanOrEqual(spinsBefore + 2);
    expect(spins).toBeLessThanOrEqual(eventLoopSpinStats().spins);
    expect(value(s, 'graphserve_event_loop_spin_turns_total')).toBeGreaterThan(0);
    await server.waitForCompletion();
  });
});
