/**
 * Deep copies of events for flow branches (MLRun gives every branch but the first a deep copy).
 * Plain objects and arrays are copied recursively, Buffers and typed arrays copied; anything else
 * (class instances, functions) is shared, so objects keep their prototypes.
 */
import type { Event } from '../../event';
import { isPlainObject } from '../../step/paths';

export function cloneBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneBody);
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return (value as unknown as { slice(): unknown }).slice();
  }
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cloneBody(item);
    return copy;
  }
  return value;
}

/** A copy of the event with its own headers and a deep copy of its body. */
export function cloneEvent(event: Event): Event {
  return { ...event, headers: { ...event.headers }, body: cloneBody(event.body) };
}
