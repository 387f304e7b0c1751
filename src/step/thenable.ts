/**
 * Hooks a user may write either way (MLRun's preprocess, validate, postprocess …) answer a value or a
 * promise of it. Awaiting a plain value still costs a microtask turn and a promise per call; a caller on
 * the request path awaits only what is a promise.
 */

/** Whether `value` is a promise or another thenable (what `await` would wait for). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
