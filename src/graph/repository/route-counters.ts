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

  /** One event has started on the step. */
  enter(): void {
    this.inFlight++;
  }

  /** One event has ended; `inference` says whether it counts in the statistics, `ok` how it ended. */
  leave(inference: boolean, ok: boolean, ns: number): void {
    this.inFlight--;
    if (inference) {
      const which = ok ? this.success : this.fail;
      which.count++;
      which.ns += ns;
      this.lastInference = Date.now();
    }
    if (this.inFlight === 0 && this.#drained.length > 0) {
      const waiting = this.#drained;
      this.#drained = [];
      for (const resolve of waiting) resolve();
    }
  }

  /**
   * Resolves true once no event is in flight on the step, or false after `timeoutMs` (0 = no bound is
   * not offered: every wait has one).
   */
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
