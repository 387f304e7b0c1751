// Types for scripts/python-client.js, so the conformance test can import it.

/** The pip requirement lines installed into the venv, tritonclient[http,grpc] and numpy first. */
export const REQUIREMENTS: readonly string[];
/**
 * Resolves to the python of .cache/tritonclient-venv, creating or replacing the venv when it does not hold
 * exactly REQUIREMENTS; rejects with the failing command and its output.
 */
export function ensurePythonClient(opts?: {
  venvDir?: string;
  python?: string;
  venvTimeoutMs?: number;
  pipTimeoutMs?: number;
  log?: (line: string) => void;
}): Promise<string>;
