/**
 * Dot paths into event bodies (MLRun's get_in / update_in): `inputPath` selects what a step reads,
 * `resultPath` where its result is written. `\.` escapes a dot inside a key.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function splitPath(path: string): string[] {
  return path
    .split(/(?<!\\)\./)
    .map((key) => key.replace(/\\\./g, '.'))
    .filter((key) => key !== '');
}

/** The value at `path`, or undefined when a key is missing or an intermediate value is not an object. */
export function getIn(body: unknown, path: string | undefined): unknown {
  if (!path) return body;
  let value: unknown = body;
  for (const key of splitPath(path)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Writes `value` at `path` inside `body` (mutated in place; missing objects are created) and returns
 * the body. Without a path, or when the body is not an object, the value replaces the body.
 */
export function updateIn(body: unknown, path: string | undefined, value: unknown): unknown {
  if (!path || !isPlainObject(body)) return value;
  const keys = splitPath(path);
  const last = keys.pop();
  if (last === undefined) return value;
  let target: Record<string, unknown> = body;
  for (const key of keys) {
    const next = target[key];
    if (!isPlainObject(next)) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[last] = value;
  return body;
}
