/** Route keys of model versions: 'name' or 'name:version'. */

/** Splits 'name:version' into [name, version]; the version is '' for a plain name. */
export function splitKey(key: string): [string, string] {
  const at = key.indexOf(':');
  return at < 0 ? [key, ''] : [key.slice(0, at), key.slice(at + 1)];
}
