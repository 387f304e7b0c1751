/**
 * Per-step counters a router keeps for the repository API: requests in flight (so that an unload or a
 * reload can wait for a model's requests to drain before its session is freed) and the inference
 * outcomes Triton's statistics extension reports (success and failure counts with their total time,
 * the time of the last inference). One RouteCounters per route step, made on its first event.
 */
import type { GraphStep } from '../../step/step';

/** A count and the total nanoseconds of what it counts (Triton's StatisticDuration). */
export interface Duration {
  count: number;
  ns: number;
}

export class RouteCounters {
  inFlight = 0;
  readonly success: Duration = { count: 0, ns: 0 };
  readonly fail: Duration = { count: 0, ns: 0 };
  /** Milliseconds since the epoch of the last inference's end; 0 before the first. */
  lastInference = 0;
  #drained: Array<() => void> = [];

  /**
   * Counts the event `run` starts on the step while it runs; `inference` says whether its outcome and
   * time count in the statistics. Resolves or rejects as `run`'s promise does.
   */
  follow(inference: boolean, run: () => Promise<unknown>): Promise<unknown> {
    const started = performance.now();
    this.inFlight++;
    let work: Promise<unknown>;
    try {
      work = run();
    } catch (err) {
      this.leave(inference, false, started);
      throw err;
    }
    return work.then(
      (result) => {
        this.leave(inference, true, started);
        return result;
      },
      (err: unknown) => {
        this.leave(inference, false, started);
        throw err;
      },
    );
  }

  /** One event has ended (it started at `started`, performance.now() ms); see follow(). */
  private leave(inference: boolean, ok: boolean, started: number): void {
    this.inFlight--;
    if (inference) {
      const which = ok ? this.success : this.fail;
      which.count++;
      which.ns += Math.round((performance.now() - started) * 1e6);
      this.lastInference = Date.now();
    }
    if (this.inFlight === 0 && this.#drained.length > 0) {
      const waiting = this.#drained;
      this.#drained = [];
      for (const resolve of waiting) resolve();
    }
  }

  /** Resolves true once no event is in flight on the step, or false after `timeoutMs` (every wait has a bound). */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = this.#drained.filter((r) => r !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#drained.push(done);
    });
  }
}

/** The counters of each step, made on first use; a step that is collected takes its counters along. */
export class CounterBook {
  readonly #byStep = new WeakMap<GraphStep, RouteCounters>();

  of(step: GraphStep): RouteCounters {
    let counters = this.#byStep.get(step);
    if (counters === undefined) {
      counters = new RouteCounters();
      this.#byStep.set(step, counters);
    }
    return counters;
  }
}
