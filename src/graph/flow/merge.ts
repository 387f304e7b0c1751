/**
 * Merge (MLRun's `mlrun.serving.merger.Merge`): joins the events that arrive on a step's `after`
 * branches. Events are grouped by `keyFn(event)` (default: the event id); once `expectedNumEvents`
 * (default: the number of `after` steps) have arrived for a key, one event goes on, the last one to
 * arrive, with the body `[bodies in arrival order]`. At most `maxBehind` keys wait at a time: a new
 * key beyond that drops the oldest one (logged). Use it in the async engine.
 */
import { InvalidOptionError } from '../../errors';
import type { Event } from '../../event';
import { consoleLogger, type ServingContext } from '../../step/context';
import type { FlowAware } from './task';
import { registerClass } from '../../step/registry';
import type { StepClass } from '../../step/step';

export interface MergeOptions {
  name?: string;
  /** The join key of an event; default: its id. It must not throw for events of this graph. */
  keyFn?: (event: Event) => unknown;
  /** Events per key; default: the number of steps this one runs after. */
  expectedNumEvents?: number;
  /** Keys that may wait at once (default MERGE_DEFAULTS.maxBehind). */
  maxBehind?: number;
  context?: ServingContext;
  [classArg: string]: unknown;
}

export const MERGE_DEFAULTS = Object.freeze({ maxBehind: 64 });

export class Merge implements FlowAware {
  readonly name: string;
  private expected: number | undefined;
  private readonly keyFn: (event: Event) => unknown;
  private readonly maxBehind: number;
  private readonly context: ServingContext | undefined;
  /** Waiting keys in arrival order (a Map keeps insertion order). */
  private readonly waiting = new Map<unknown, unknown[]>();

  constructor(options: MergeOptions = {}) {
    this.name = options.name ?? 'Merge';
    this.keyFn = options.keyFn ?? ((event) => event.id);
    this.expected = options.expectedNumEvents;
    this.maxBehind = options.maxBehind ?? MERGE_DEFAULTS.maxBehind;
    this.context = options.context;
    if (this.maxBehind < 1) throw new InvalidOptionError('maxBehind must be at least 1');
  }

  initFlow(info: { after: readonly string[] }): void {
    this.expected ??= Math.max(1, info.after.length);
  }

  async runFlowEvent(event: Event): Promise<Event | undefined> {
    const key = this.keyFn(event);
    const bodies = this.waiting.get(key) ?? [];
    bodies.push(event.body);
    if (bodies.length >= (this.expected ?? 1)) {
      this.waiting.delete(key);
      return { ...event, body: bodies };
    }
    if (!this.waiting.has(key)) this.admit(key, bodies);
    return undefined;
  }

  private admit(key: unknown, bodies: unknown[]): void {
    if (this.waiting.size >= this.maxBehind) {
      const oldest = this.waiting.keys().next().value;
      this.waiting.delete(oldest);
      const logger = this.context?.logger ?? consoleLogger;
      logger.warn(`merge ${this.name}: dropped key ${String(oldest)}, more than ${this.maxBehind} keys waiting`);
    }
    this.waiting.set(key, bodies);
  }
}

registerClass('Merge', Merge as unknown as StepClass);
