/**
 * A full garbage collection on demand, for tests that check that something is no longer held (a WeakRef to it
 * is cleared). V8's `gc` is exposed at run time: jest's own flags stay as they are.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Runs a full GC between two turns of the event loop: a WeakRef's target is kept to the end of the turn that
 * made or read it, so the check that follows sees what the collection freed.
 */
export async function collectGarbage(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}
