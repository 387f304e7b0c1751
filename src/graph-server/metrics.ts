/**
 * Prometheus metrics of one GraphServer, answered at `GET /metrics` (text exposition format 0.0.4).
 *
 * Each GraphServer owns its own prom-client Registry (never prom-client's global one), so several
 * servers in one process, and tests, never see each other's counts. Process metrics (CPU, memory,
 * event loop, GC: prom-client's defaults) describe the whole process, so they live in one registry
 * shared by every server of the process, created on the first scrape, and are merged into each answer.
 *
 * Request metrics are recorded as requests complete; model and engine metrics are read from the graph
 * on every scrape (the engine keeps cumulative counts, see SessionStats in bindings/session.ts).
 *
 * Metrics (all prefixed `graphserve_`):
 *   requests_total{model, status_class, code}   answered requests; code = the error's stable code, '' on success
 *   request_duration_seconds{model}            histogram of time from event to answer
 *   models_loaded, models_ready                models the graph holds / of those, ready
 *   model_ready{model}                         1 when the model serves, else 0
 *   engine_requests_total{model}, engine_errors_total{model, kind}, engine_batches_total{model},
 *   engine_rows_total{model}, engine_batch_runs_total{model, batch_size}, engine_queue_seconds_total{model},
 *   engine_compute_seconds_total{model}, engine_queued{model}, engine_in_flight{model}, engine_batch_cap{model}
 *                                              the native engine's stats for ONNX models (OnnxModelServer)
 *   uncaught_errors_total{kind}                errors no request owned, survived (process-wide; see process-guard.ts)
 *   event_loop_spins_total, event_loop_spin_turns_total
 *                                              the engine going idle after a run on the event loop with spinning on,
 *                                              and the turns of the event loop spent spinning (bindings/event-loop-spin.ts)
 * `model` is the route key for requests under a router's model prefix, '' for other paths (health,
 * metadata, flows, unknown models, so that clients cannot grow the label set).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { type EventLoopSpinStats, eventLoopSpinStats } from '../../bindings/event-loop-spin';
import type { SessionStats } from '../../bindings/session';
import { BaseRouter } from '../graph/router';
import type { GraphStep } from '../step/step';
import type { EventResponse } from '../event';
import { SLASH } from '../url-path';
import { LatencyHistogram } from './latency-histogram';

export const METRICS_PATH = '/metrics';

/** Request latency buckets, seconds: from sub-millisecond CPU models to slow remote graphs. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const PREFIX = 'graphserve_';
const VERSIONS = 'versions/';

/** A step that may carry an engine session (OnnxModelServer does); read by duck typing. */
interface EngineStep extends GraphStep {
  session?: { stats?: () => SessionStats };
}

let processRegistry: Registry | undefined;

/** The event-loop spin's counters, read from the bindings on each scrape. */
function registerEventLoopSpin(registry: Registry): void {
  const counter = (name: string, help: string, key: keyof EventLoopSpinStats): void => {
    new Counter({
      name: `${PREFIX}${name}`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(eventLoopSpinStats()[key]);
      },
    });
  };
  counter(
    'event_loop_spins_total',
    'Times the engine went idle after a run on the event loop, with event-loop spinning on.',
    'spins',
  );
  counter('event_loop_spin_turns_total', 'Turns of the event loop spent spinning while the engine was idle.', 'turns');
}

/**
 * The process-wide registry (created once, on first use): prom-client's default metrics, and process
 * metrics registered by others (src/server/process-guard.ts). Merged into every server's answer.
 */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    registerEventLoopSpin(processRegistry);
  }
  return processRegistry;
}

/**
 * The models of a graph by route key: a router's routes, with nested routers' routes flattened. A step
 * routed under several keys (a model's newest version, by name and as 'name:version') counts once, under
 * its first key.
 */
export function modelSteps(graph: GraphStep): Map<string, GraphStep> {
  const out = new Map<string, GraphStep>();
  if (!(graph instanceof BaseRouter)) return out;
  const seen = new Set<GraphStep>();
  for (const [key, step] of graph.routes) {
    if (seen.has(step)) continue;
    seen.add(step);
    if (step instanceof BaseRouter) for (const [inner, s] of modelSteps(step)) out.set(`${key}/${inner}`, s);
    else out.set(key, step);
  }
  return out;
}

/**
 * The `model` label of a request: the route key named by a path under the router's model prefix
 * (`<prefix>/<name>[/versions/<v>]/…`) when the graph has that route, else ''.
 */
export function modelLabel(graph: GraphStep, path: string): string {
  if (!(graph instanceof BaseRouter)) return '';
  // Runs for every answered request: no prefix string is built and nothing is split, only the name sliced.
  const start = graph.urlPrefix.length + 1;
  if (!path.startsWith(graph.urlPrefix) || path.charCodeAt(start - 1) !== SLASH) return '';
  const end = path.indexOf('/', start);
  const name = end === -1 ? path.slice(start) : path.slice(start, end);
  if (end !== -1 && path.startsWith(VERSIONS, end + 1)) {
    const from = end + 1 + VERSIONS.length;
    const to = path.indexOf('/', from);
    const versioned = `${name}:${to === -1 ? path.slice(from) : path.slice(from, to)}`;
    if (versioned.length > name.length + 1 && graph.routes.has(versioned)) return versioned;
  }
  return graph.routes.has(name) ? name : '';
}

/**
 * Answered requests by model, status class and error code, counted here and copied into prom-client's counter
 * when it is scraped (its `collect` hook): prom-client's inc() builds and hashes a label set on every call
 * (about half a microsecond), this is three Map lookups. Bounded as the counter's label sets are.
 */
class RequestCounts {
  /** model → status class (the status's hundreds) → error code → answers. */
  readonly #counts = new Map<string, Map<number, Map<string, number>>>();

  add(model: string, status: number, code: string): void {
    let byClass = this.#counts.get(model);
    if (byClass === undefined) this.#counts.set(model, (byClass = new Map()));
    const cls = Math.floor(status / 100);
    let byCode = byClass.get(cls);
    if (byCode === undefined) byClass.set(cls, (byCode = new Map()));
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }

  /** Sets `counter` to the counts so far. */
  copyTo(counter: Counter<'model' | 'status_class' | 'code'>): void {
    counter.reset();
    for (const [model, byClass] of this.#counts) {
      for (const [cls, byCode] of byClass) {
        for (const [code, n] of byCode) counter.inc({ model, status_class: `${cls}xx`, code }, n);
      }
    }
  }
}

function errorCode(response: EventResponse): string {
  if (response.status < 400) return '';
  const body = response.body as { code?: unknown } | null;
  return typeof body?.code === 'string' ? body.code : '';
}

export class ServerMetrics {
  /** This server's own metrics (requests, models, engine); the process metrics are merged on scrape. */
  readonly registry = new Registry();
  private readonly requests = new RequestCounts();
  private readonly latency: LatencyHistogram;
  private readonly engine: EngineMetrics;
  private readonly models: ModelGauges;

  constructor(private readonly graph: GraphStep) {
    const registers = [this.registry];
    const requests = this.requests;
    // Registered in `registry`; its values are copied from `requests` on each scrape.
    new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Requests answered, by model, HTTP status class and error code (empty on success).',
      labelNames: ['model', 'status_class', 'code'],
      registers,
      collect() {
        requests.copyTo(this);
      },
    });
    this.latency = new LatencyHistogram({
      name: `${PREFIX}request_duration_seconds`,
      help: 'Time from receiving an event to its answer, seconds.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.models = new ModelGauges(this.registry);
    this.engine = new EngineMetrics(this.registry);
  }

  /** Records one answered request; `seconds` is the time from event to answer. */
  observe(path: string, response: EventResponse, seconds: number): void {
    const model = modelLabel(this.graph, path);
    this.requests.add(model, response.status, errorCode(response));
    this.latency.observe(model, seconds);
  }

  /** The `GET /metrics` answer: this server's metrics, then the process metrics. */
  async scrape(): Promise<EventResponse> {
    const steps = modelSteps(this.graph);
    this.models.update(steps);
    this.engine.update(steps);
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { status: 200, headers: { 'content-type': merged.contentType }, body: await merged.metrics() };
  }
}

/** A gauge labelled by model, `graphserve_<name>`, in `registry`. */
function modelGauge(registry: Registry, name: string, help: string): Gauge<'model'> {
  return new Gauge({ name: `${PREFIX}${name}`, help, labelNames: ['model'], registers: [registry] });
}

/** Model counts and readiness, set from the graph on each scrape. */
class ModelGauges {
  private readonly loaded: Gauge;
  private readonly ready: Gauge;
  private readonly perModel: Gauge<'model'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.loaded = new Gauge({ name: `${PREFIX}models_loaded`, help: 'Models the graph holds.', registers });
    this.ready = new Gauge({ name: `${PREFIX}models_ready`, help: 'Models ready to serve.', registers });
    this.perModel = modelGauge(registry, 'model_ready', '1 when the model is ready to serve, else 0.');
  }

  update(steps: Map<string, GraphStep>): void {
    this.perModel.reset();
    let ready = 0;
    for (const [model, step] of steps) {
      const isReady = step.isReady?.() ?? true;
      if (isReady) ready++;
      this.perModel.set({ model }, isReady ? 1 : 0);
    }
    this.loaded.set(steps.size);
    this.ready.set(ready);
  }
}

type ModelCounter = Counter<'model'>;

/**
 * The engine's cumulative stats, copied on each scrape. Counters are reset and set to the engine's
 * totals, so a model that was disposed disappears instead of reporting stale numbers.
 */
class EngineMetrics {
  private readonly counters: Record<
    'requests' | 'batches' | 'inlineBatches' | 'rows' | 'queueSeconds' | 'computeSeconds',
    ModelCounter
  >;
  private readonly errors: Counter<'model' | 'kind'>;
  private readonly batchRuns: Counter<'model' | 'batch_size'>;
  private readonly queued: Gauge<'model'>;
  private readonly inFlight: Gauge<'model'>;
  private readonly batchCap: Gauge<'model'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string): ModelCounter =>
      new Counter({ name: `${PREFIX}engine_${name}`, help, labelNames: ['model'], registers });
    this.counters = {
      requests: counter('requests_total', 'Requests the engine received.'),
      batches: counter('batches_total', 'Model runs (batches) the engine executed.'),
      inlineBatches: counter(
        'inline_batches_total',
        'Of the batches, those run on the event loop (inlineRunMicros) rather than on a scheduler thread.',
      ),
      rows: counter('rows_total', 'Rows (batch elements) the engine ran, summed over batches.'),
      queueSeconds: counter('queue_seconds_total', 'Time requests spent queued before their run, seconds.'),
      computeSeconds: counter('compute_seconds_total', 'Time runs spent computing, seconds.'),
    };
    this.errors = new Counter({
      name: `${PREFIX}engine_errors_total`,
      help: 'Engine requests that failed, by kind: failed (all failures), timed_out, rejected (queue full), cancelled (left the queue unrun).',
      labelNames: ['model', 'kind'],
      registers,
    });
    this.batchRuns = new Counter({
      name: `${PREFIX}engine_batch_runs_total`,
      help: 'Model runs by batch size (rows per run): the batch-size histogram of the dynamic batcher.',
      labelNames: ['model', 'batch_size'],
      registers,
    });
    this.queued = modelGauge(registry, 'engine_queued', 'Requests queued now.');
    this.inFlight = modelGauge(registry, 'engine_in_flight', 'Requests in a running batch now.');
    this.batchCap = modelGauge(
      registry,
      'engine_batch_cap',
      'Rows a batch may take now: maxBatchSize, or less where smaller batches measured cheaper per row (adaptiveBatchSize).',
    );
  }

  update(steps: Map<string, GraphStep>): void {
    const gauges = [this.queued, this.inFlight, this.batchCap];
    for (const metric of [...Object.values(this.counters), this.errors, this.batchRuns, ...gauges]) {
      metric.reset();
    }
    for (const [model, step] of steps) {
      const stats = (step as EngineStep).session?.stats?.();
      if (stats) this.record(model, stats);
    }
  }

  private record(model: string, stats: SessionStats): void {
    const c = this.counters;
    let rows = 0;
    for (const [size, runs] of Object.entries(stats.batchSizes)) {
      rows += Number(size) * runs;
      this.batchRuns.inc({ model, batch_size: size }, runs);
    }
    c.requests.inc({ model }, stats.requests);
    c.batches.inc({ model }, stats.batches);
    c.inlineBatches.inc({ model }, stats.inlineBatches);
    c.rows.inc({ model }, rows);
    c.queueSeconds.inc({ model }, stats.queueMicros / 1e6);
    c.computeSeconds.inc({ model }, stats.computeMicros / 1e6);
    this.errors.inc({ model, kind: 'failed' }, stats.failed);
    this.errors.inc({ model, kind: 'timed_out' }, stats.timedOut);
    this.errors.inc({ model, kind: 'rejected' }, stats.rejected);
    this.errors.inc({ model, kind: 'cancelled' }, stats.cancelled);
    this.queued.set({ model }, stats.queued);
    this.batchCap.set({ model }, stats.batchCap);
    this.inFlight.set({ model }, stats.inFlight);
  }
}
