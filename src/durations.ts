/** Durations in options: every timeout graphserve takes is a number of seconds, checked here. */
import { InvalidOptionError } from './errors';

/** `value` when it is a finite number of seconds of at least `min`; else InvalidOptionError naming `name`. */
export function checkSeconds(name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(`${name} must be a number of seconds >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}
