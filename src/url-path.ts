/**
 * Slashes at the ends of a request path. Every request's path is trimmed by several layers (router, model
 * server, operation), so a path with nothing to trim (almost every one) is answered without a regular
 * expression or a new string: two character tests.
 */

/** The character code of '/'. */
export const SLASH = 0x2f;

/** `path` without its trailing slashes; `path` itself when it ends in none. */
export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === SLASH) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** `path` without its leading slashes; `path` itself when it starts with none. */
export function trimLeadingSlashes(path: string): string {
  let start = 0;
  while (start < path.length && path.charCodeAt(start) === SLASH) start++;
  return start === 0 ? path : path.slice(start);
}

/** `path` without its leading and trailing slashes ('' for a path of slashes only). */
export function trimSlashes(path: string): string {
  return trimTrailingSlashes(trimLeadingSlashes(path));
}
