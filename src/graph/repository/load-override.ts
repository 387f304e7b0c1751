/**
 * What a load request may put in place of the model's folder (Triton's model repository extension):
 *
 *   parameters.config               model-settings.json text that replaces the folder's settings
 *   parameters["file:<path>"]       a file of the model, base64 text (gRPC's bytes_param arrives as such):
 *                                   the model loads from these files alone, not from the repository, and
 *                                   `config` is then required (Triton's rule), e.g. "file:1/model.onnx"
 *
 * `<path>` is relative to the model's folder, in the repository's layouts ("model.onnx", "1/model.onnx").
 * The files are written to a new temporary folder for the load and removed once it has settled: a loaded
 * model holds what it read (ONNX Runtime reads the model and its external data when the session is made).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BadRequestError } from '../../errors';
import { isPlainObject } from '../../step/paths';

export interface LoadOverride {
  /** model-settings.json text. */
  config?: string;
  /** Path in the model's folder → contents; when set, the model loads from these files alone. */
  files?: ReadonlyMap<string, Buffer>;
}

const FILE_PREFIX = 'file:';

/** Whether `text` is base64 with its padding (checked without a regex that could recurse per character). */
function isBase64(text: string): boolean {
  if (text.length % 4 !== 0 || /[^A-Za-z0-9+/=]/.test(text)) return false;
  const pad = text.indexOf('=');
  return pad === -1 || (pad >= text.length - 2 && /^=+$/.test(text.slice(pad)));
}

/** A relative path of plain segments (no '.', '..', empty segment, backslash, NUL or leading '/'). */
function isPlainRelativePath(path: string): boolean {
  if (path === '' || /[\\\0]/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** The override of a load request's body `{"parameters": {...}}`; throws BadRequestError for a malformed one. */
export function loadOverrideOf(body: Record<string, unknown>): LoadOverride {
  const parameters = body['parameters'];
  if (parameters === undefined) return {};
  if (!isPlainObject(parameters)) throw new BadRequestError('repository load: "parameters" must be an object');
  const override: LoadOverride = {};
  const config = parameters['config'];
  if (config !== undefined) {
    if (typeof config !== 'string') {
      throw new BadRequestError('repository load: parameters.config must be a string of model-settings JSON');
    }
    override.config = config;
  }
  const files = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(parameters)) {
    if (!key.startsWith(FILE_PREFIX)) continue;
    const path = key.slice(FILE_PREFIX.length);
    if (!isPlainRelativePath(path)) {
      throw new BadRequestError(`repository load: ${key} must name a relative path inside the model's folder`);
    }
    if (typeof value !== 'string' || !isBase64(value)) {
      throw new BadRequestError(`repository load: ${key} must be the file's contents as base64 text`);
    }
    files.set(path, Buffer.from(value, 'base64'));
  }
  if (files.size > 0) {
    if (override.config === undefined) {
      throw new BadRequestError('repository load: file overrides need parameters.config as well');
    }
    override.files = files;
  }
  return override;
}

/**
 * Writes `files` into a new temporary folder and runs `load` on it; the folder is removed once `load`
 * has settled, whatever its outcome.
 */
export async function withFilesFolder<T>(
  files: ReadonlyMap<string, Buffer>,
  load: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'graphserve-load-'));
  try {
    for (const [path, contents] of files) {
      const file = join(dir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, contents);
    }
    return await load(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
