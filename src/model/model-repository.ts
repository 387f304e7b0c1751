/**
 * A model repository: a folder with one sub-folder per model, each holding `model.onnx` and an optional
 * `model-settings.json`:
 *
 *   {"name": "iris", "version": "1", "batching": {"maxBatchSize": 32, "maxQueueDelayMicros": 0},
 *    "executionProviders": ["cpu"], "intraOpThreads": 1, "instances": 1,
 *    "parameters": {...class args...}, "className": "OptionalUserClassName"}
 *
 * readModelRepository() turns each sub-folder into a route spec for a router (OnnxModelServer unless
 * `className` names another class). A sub-folder that cannot be read (bad settings, no model) is
 * reported in `failures`, under a name no other folder uses, and never stops the others.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidOptionError, ModelLoadError } from '../errors';
import { checkSeconds } from '../durations';
import { parseJson } from '../protocol/json-text';
import { ONNX_SESSION_KEYS } from './onnx-model-server';

export const MODEL_FILE = 'model.onnx';
export const SETTINGS_FILE = 'model-settings.json';
export const DEFAULT_CLASS = 'OnnxModelServer';

/** The contents of model-settings.json; every field optional. */
export interface ModelSettings {
  /** Model name; default: the folder name. */
  name?: string;
  /** Reported as model_version; default none. */
  version?: string;
  /** Class to serve it with (registered, or exported by the --module file); default OnnxModelServer. */
  className?: string;
  /** Class arguments (read with getParam()). */
  parameters?: Record<string, unknown>;
  /** This model's request timeout, seconds (0 = none); default the server's --request-timeout. */
  requestTimeout?: number;
  /** Engine options (see bindings/options.ts): batching, executionProviders, intraOpThreads, … */
  [sessionOption: string]: unknown;
}

/** One model found in the repository, ready to be added to a router as `addModel(key, spec)`. */
export interface RepositoryModel {
  /** Route key: the model name (the version is reported, not routed). */
  key: string;
  dir: string;
  settings: ModelSettings;
  /** className, name ('name' or 'name:version'), modelPath and the class args. */
  spec: { className: string; name: string; modelPath: string; [classArg: string]: unknown };
}

export interface RepositoryFailure {
  /** Its route name: the settings' name when they could be read and no other folder holds it, else the folder name. */
  name: string;
  dir: string;
  error: Error;
}

export interface ModelRepository {
  dir: string;
  models: RepositoryModel[];
  failures: RepositoryFailure[];
}

/** Settings that are model server options (constructor options, not class arguments). */
const SERVER_KEYS = ['requestTimeout'] as const;

const SETTING_KEYS = new Set<string>([
  'name',
  'version',
  'className',
  'parameters',
  ...SERVER_KEYS,
  ...ONNX_SESSION_KEYS,
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Reads and checks one model-settings.json; throws InvalidOptionError saying what is wrong. */
export async function readSettings(path: string): Promise<ModelSettings> {
  const settings = parseJson(await readFile(path, 'utf8'), path);
  if (!isRecord(settings)) throw new InvalidOptionError(`${path} must hold a JSON object`);
  const unknown = Object.keys(settings).filter((k) => !SETTING_KEYS.has(k));
  if (unknown.length > 0) {
    throw new InvalidOptionError(`${path}: unknown keys ${unknown.join(', ')}; known: ${[...SETTING_KEYS].join(', ')}`);
  }
  for (const key of ['name', 'version', 'className'] as const) {
    if (settings[key] !== undefined && typeof settings[key] !== 'string') {
      throw new InvalidOptionError(`${path}: ${key} must be a string`);
    }
  }
  if (settings['parameters'] !== undefined && !isRecord(settings['parameters'])) {
    throw new InvalidOptionError(`${path}: parameters must be an object`);
  }
  if (settings['requestTimeout'] !== undefined) {
    try {
      checkSeconds('requestTimeout', settings['requestTimeout']);
    } catch (err) {
      throw new InvalidOptionError(`${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return settings as ModelSettings;
}

/** The folder's settings ({} without a settings file); throws when the file cannot be read or checked. */
async function readFolderSettings(dir: string): Promise<ModelSettings> {
  const settingsPath = join(dir, SETTINGS_FILE);
  return (await exists(settingsPath)) ? readSettings(settingsPath) : {};
}

/** Reads one model folder into a RepositoryModel named `name`; throws when it cannot be served. */
async function readModel(dir: string, name: string, settings: ModelSettings): Promise<RepositoryModel> {
  const modelFile = join(dir, MODEL_FILE);
  const hasModel = await exists(modelFile);
  if (!hasModel && settings.className === undefined) {
    throw new ModelLoadError(`${dir} has no ${MODEL_FILE} (and no className in ${SETTINGS_FILE})`);
  }
  const classArgs: Record<string, unknown> = { ...(settings.parameters ?? {}) };
  for (const key of [...SERVER_KEYS, ...ONNX_SESSION_KEYS]) {
    if (settings[key] !== undefined) classArgs[key] = settings[key];
  }
  return {
    key: name,
    dir,
    settings,
    spec: {
      ...classArgs,
      className: settings.className ?? DEFAULT_CLASS,
      name: settings.version ? `${name}:${settings.version}` : name,
      modelPath: hasModel ? modelFile : dir,
    },
  };
}

/** The first of `names`, then `<last>-2`, `<last>-3`, … that `taken` does not hold. */
function freeName(taken: ReadonlyMap<string, string>, names: string[]): string {
  const free = names.find((n) => !taken.has(n));
  if (free !== undefined) return free;
  const last = names[names.length - 1]!;
  let n = 2;
  while (taken.has(`${last}-${n}`)) n++;
  return `${last}-${n}`;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Reads every sub-folder of `dir` (sorted by name). Rejects only when `dir` itself cannot be read.
 * A bad model folder lands in `failures`, named after its settings' name when they could be read,
 * else after the folder; a folder whose name another folder already holds fails, under its folder
 * name. Models and failures never share a name.
 */
export async function readModelRepository(dir: string): Promise<ModelRepository> {
  const root = resolve(dir);
  const entries = await readdir(root, { withFileTypes: true }).catch((err: Error) => {
    throw new InvalidOptionError(`cannot read model repository ${root}: ${err.message}`, { cause: err });
  });
  const repo: ModelRepository = { dir: root, models: [], failures: [] };
  /** Names in use: model keys and failure names, each with its folder. */
  const taken = new Map<string, string>();
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  for (const folder of folders.sort()) {
    const modelDir = join(root, folder);
    let name = folder;
    try {
      const settings = await readFolderSettings(modelDir);
      name = settings.name ?? folder;
      const clash = taken.get(name);
      if (clash !== undefined) {
        name = folder;
        throw new InvalidOptionError(`model name ${settings.name ?? folder} is already used by ${clash}`);
      }
      const model = await readModel(modelDir, name, settings);
      taken.set(model.key, modelDir);
      repo.models.push(model);
    } catch (err) {
      const failure = { name: freeName(taken, [name, folder]), dir: modelDir, error: asError(err) };
      taken.set(failure.name, modelDir);
      repo.failures.push(failure);
    }
  }
  return repo;
}
