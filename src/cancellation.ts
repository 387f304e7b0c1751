/**
 * Cancellation: how the work of one request learns that the request was given up (its timeout passed,
 * its client left, the server stopped waiting). GraphServer makes one per event; steps, model servers and
 * the engine listen to it.
 *
 * It stands in for an AbortSignal because Node 20 takes several microseconds to create one, which every
 * request would pay: callbacks here are plain functions in an array, and a real AbortSignal is made only
 * when someone asks for `signal` (user code that passes it on to fetch(), say).
 */
export class Cancellation {
  #aborted = false;
  #reason: unknown;
  #callbacks: Array<(reason: unknown) => void> | undefined;
  #controller: AbortController | undefined;

  /** True once abort() was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** What abort() was called with (a GraphServeError when GraphServer cancels). */
  get reason(): unknown {
    return this.#reason;
  }

  /** A standard AbortSignal that aborts with this cancellation (made on first use). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /**
   * Calls `callback(reason)` once, on abort (at once when already aborted). Returns a function that
   * removes it; call that when the work is done, so the callback is not kept.
   */
  onAbort(callback: (reason: unknown) => void): () => void {
    if (this.#aborted) {
      callback(this.#reason);
      return () => undefined;
    }
    (this.#callbacks ??= []).push(callback);
    return () => {
      const i = this.#callbacks?.indexOf(callback) ?? -1;
      if (i >= 0) this.#callbacks!.splice(i, 1);
    };
  }

  /** Cancels with `reason`: runs every callback, aborts `signal`. Later calls do nothing. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const callbacks = this.#callbacks ?? [];
    this.#callbacks = undefined;
    for (const callback of callbacks) callback(reason);
    this.#controller?.abort(reason);
  }
}
