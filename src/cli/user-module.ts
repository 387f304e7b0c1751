/**
 * Loading the user's --module file (CommonJS, `require`d once). When it cannot be loaded, the error names
 * the file and the line where loading failed: the line of a syntax error, or the line of the file's own
 * code that threw while it ran (the first frame of its stack in that file).
 */
import { resolve } from 'node:path';
import { InvalidOptionError } from '../errors';

/** `path:line[:column]` where loading `path` failed, or just `path` when the error does not say. */
function failureLocation(err: unknown, path: string): string {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  // A SyntaxError's stack starts with "<file>:<line>" and the offending line.
  const first = stack.split('\n', 1)[0] ?? '';
  if (err instanceof SyntaxError && first.startsWith(`${path}:`) && /^\d+$/.test(first.slice(path.length + 1))) {
    return first;
  }
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frame = new RegExp(`(?:\\(|at )${escaped}:(\\d+):(\\d+)`).exec(stack);
  return frame ? `${path}:${frame[1]}:${frame[2]}` : path;
}

/** The exports of `file`; throws InvalidOptionError naming the file and line when it cannot be loaded. */
export function requireUserModule(file: string): Record<string, unknown> {
  const path = resolve(file);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' && (err as Error).message.includes(`'${path}'`)) {
      throw new InvalidOptionError(`cannot load --module ${path}: no such file`, { cause: err });
    }
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new InvalidOptionError(`cannot load --module ${failureLocation(err, path)}: ${what}`, { cause: err });
  }
}
