/**
 * The side outputs of a serving function: the error stream (`fn.setErrorStream(url)`, spec `error_stream`)
 * and model monitoring (`fn.setTracking({ streamPath, sample, batch })`, spec `tracking`). Both publish through
 * the function's StreamPool; their failures are logged, never an event's failure. The producers start with the
 * function, so a broker that cannot be reached fails the start.
 */
import { hostname } from 'node:os';
import { InvalidOptionError, toGraphServeError } from '../errors';
import type { StepFailure } from '../graph/flow/stream-queue';
import type { ServingLogger, TrackingRecord } from '../step/context';
import type { StreamPool, StreamProducer } from '../streams';

/** Model monitoring options (MLRun's set_tracking: stream_path, sample, batch). */
export interface TrackingOptions {
  /** Where tracking records go: kafka://… or redis://… */
  streamPath: string;
  /** Record every `sample`-th request of each model (default 1: every request). */
  sample?: number;
  /** Records per message: 1 (default) sends each record alone; N sends `{headers, values}` per N records of a model. */
  batch?: number;
}

export const kDefaultTracking = Object.freeze({ sample: 1, batch: 1 });

/** The columns of a batched tracking message's `values` rows (MLRun's). */
export const TRACKING_COLUMNS: readonly string[] = Object.freeze([
  'request',
  'op',
  'resp',
  'when',
  'microsec',
  'metrics',
]);

/** Checks and completes tracking options (InvalidOptionError names the bad one). */
export function checkTracking(options: TrackingOptions): Required<TrackingOptions> {
  if (typeof options.streamPath !== 'string' || options.streamPath === '') {
    throw new InvalidOptionError('tracking needs a streamPath (kafka://… or redis://…)');
  }
  const sample = options.sample ?? kDefaultTracking.sample;
  const batch = options.batch ?? kDefaultTracking.batch;
  for (const [name, value] of [
    ['sample', sample],
    ['batch', batch],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(`tracking ${name} must be an integer >= 1`);
  }
  return { streamPath: options.streamPath, sample, batch };
}

/** What every record says about where it comes from (MLRun's). */
function origin(functionName: string): Record<string, unknown> {
  return { worker: process.pid, host: hostname(), function_uri: functionName };
}

/** Publishes one message, logging a failure instead of throwing; resolves once it is sent (or failed). */
function sendSafely(
  producer: StreamProducer,
  key: string,
  value: unknown,
  logger: ServingLogger,
  what: string,
): Promise<void> {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    logger.warn(`${what}: the record cannot be written as JSON: ${String(err)}`);
    return Promise.resolve();
  }
  return producer
    .publish([{ key, value: text }])
    .catch((err: unknown) => logger.warn(`${what} failed: ${String(err)}`));
}

/** The error stream's handler of step failures: `{function_uri, host, worker, origin_state, error, code, event}`. */
export async function errorStreamReporter(
  pool: StreamPool,
  url: string,
  functionName: string,
  logger: ServingLogger,
): Promise<(failure: StepFailure) => void> {
  const producer = await pool.producer(url);
  const from = origin(functionName);
  return (failure) => {
    const error = toGraphServeError(failure.error);
    const record = {
      ...from,
      origin_state: failure.step,
      error: error.message,
      code: error.code,
      event: { id: failure.eventId, body: Buffer.isBuffer(failure.body) ? null : failure.body },
      when: new Date().toISOString(),
    };
    void sendSafely(producer, failure.eventId, record, logger, 'error stream');
  };
}

/** Samples and batches tracking records, per model, and publishes them. */
export class Tracker {
  private readonly counts = new Map<string, number>();
  private readonly batches = new Map<string, unknown[][]>();
  /** origin(functionName), made once (hostname() asks the system each time). */
  private readonly origin: Record<string, unknown>;

  constructor(
    private readonly producer: StreamProducer,
    private readonly options: Required<TrackingOptions>,
    functionName: string,
    private readonly logger: ServingLogger,
  ) {
    this.origin = origin(functionName);
  }

  /** The context's monitor: never throws. */
  readonly monitor = (record: TrackingRecord): void => {
    const seen = (this.counts.get(record.model) ?? 0) + 1;
    this.counts.set(record.model, seen);
    if ((seen - 1) % this.options.sample !== 0) return;
    const request = { id: record.id, inputs: record.inputs };
    const resp = record.error === undefined ? { outputs: record.outputs } : { error: record.error };
    const { op, when, microsec, metrics } = record;
    if (this.options.batch === 1) {
      void this.send(record, { request, op, resp, when, microsec, metrics });
      return;
    }
    const row = [request, op, resp, when, microsec, metrics];
    const rows = this.batches.get(record.model) ?? [];
    rows.push(row);
    this.batches.set(record.model, rows);
    if (rows.length >= this.options.batch) void this.flushModel(record.model, record.version);
  };

  /** Sends the partial batches (at close); resolves once they are sent. */
  async flush(): Promise<void> {
    await Promise.all([...this.batches.keys()].map((model) => this.flushModel(model, '')));
  }

  private flushModel(model: string, version: string): Promise<void> {
    const rows = this.batches.get(model) ?? [];
    this.batches.delete(model);
    if (rows.length === 0) return Promise.resolve();
    return this.send({ model, version }, { headers: TRACKING_COLUMNS, values: rows });
  }

  private send(record: { model: string; version: string }, fields: Record<string, unknown>): Promise<void> {
    const value = { ...this.origin, model: record.model, version: record.version, ...fields };
    return sendSafely(this.producer, record.model, value, this.logger, 'tracking');
  }
}

/** A function's side outputs, as ServingFunction keeps them. */
export interface SideStreams {
  errorStream?: string;
  tracking?: Required<TrackingOptions>;
}

/** What the build of a function gets from its side outputs. */
export interface SideOutputs {
  onStepError?: (failure: StepFailure) => void;
  monitor?: (record: TrackingRecord) => void;
  /** Sends what is still batched (before the pool closes). */
  flush(): Promise<void>;
}

/** Starts the producers of the error and tracking streams (rejects when a broker cannot be reached). */
export async function startSideOutputs(
  pool: StreamPool,
  sides: SideStreams,
  functionName: string,
  logger: ServingLogger,
): Promise<SideOutputs> {
  const onStepError = sides.errorStream
    ? await errorStreamReporter(pool, sides.errorStream, functionName, logger)
    : undefined;
  if (!sides.tracking) return { onStepError, flush: async () => undefined };
  const tracker = new Tracker(await pool.producer(sides.tracking.streamPath), sides.tracking, functionName, logger);
  return { onStepError, monitor: tracker.monitor, flush: () => tracker.flush() };
}
