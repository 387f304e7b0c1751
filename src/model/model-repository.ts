/**
 * A model repository: a folder with one sub-folder per model, each holding `model.onnx` (or version
 * folders `1/model.onnx`, `2/model.onnx`, …: Triton's layout, see ./repository-layout.ts) and an
 * optional `model-settings.json`:
 *
 *   {"name": "iris", "version": "1", "batching": {"maxBatchSize": 32, "maxQueueDelayMicros": 0},
 *    "executionProviders": ["cpu"], "intraOpThreads": 1, "instances": 1,
 *    "parameters": {...class args...}, "className": "OptionalUserClassName"}
 *
 * readModelRepository() turns each sub-folder into route specs for a router (OnnxModelServer unless
 * `className` names another class), one per served version. A sub-folder that cannot be read (bad
 * settings, no model) is reported in `failures`, under a name no other folder uses, and never stops the
 * others. readModelFolder() reads one folder (the registry's load and poll use it).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidOptionError, ModelLoadError } from '../errors';
import { parseJson } from '../protocol/json-text';
import { ONNX_SESSION_KEYS } from './onnx-model-server';
import { checkSettings } from './settings-schema';
import { TRITON_CONFIG_FILE, readTritonConfigFile } from './triton-config-file';
import { isTritonModelConfig, settingsOfTritonConfig } from './triton-model-config';
import {
  MODEL_FILE,
  checkVersionPolicy,
  kDefaultVersionPolicy,
  readVersionFolders,
  requireModelFile,
  servedVersions,
  type VersionFile,
  type VersionPolicy,
} from './repository-layout';

export { MODEL_FILE } from './repository-layout';
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
  /** Triton layout: which version folders are served (Triton's version_policy); default the latest one. */
  versionPolicy?: VersionPolicy;
  /** Engine options (see bindings/options.ts): batching, executionProviders, intraOpThreads, … */
  [sessionOption: string]: unknown;
}

/** One model (one served version) found in the repository, ready to be added to a router as `addModel(key, spec)`. */
export interface RepositoryModel {
  /** Route key: the model name (the version is reported, and routed by the router's /versions/<v>). */
  key: string;
  /** The version: the settings' (flat layout) or the version folder's (Triton layout); '' when none. */
  version: string;
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

/** One model folder, read: its name, settings, layout and the versions it serves. */
export interface ModelFolder {
  name: string;
  dir: string;
  settings: ModelSettings;
  layout: 'flat' | 'triton';
  /** The served versions, newest first (one for the flat layout). */
  models: RepositoryModel[];
  /** Every version folder found (Triton layout), ascending; [] for the flat layout. */
  available: string[];
  /** Changes when the settings or a model file change (sizes and modification times): polling compares it. */
  fingerprint: string;
}

export interface ModelRepository {
  dir: string;
  /** One per served version: a Triton folder serving 2 versions gives 2. */
  models: RepositoryModel[];
  folders: ModelFolder[];
  failures: RepositoryFailure[];
}

/** Settings that are model server options (constructor options, not class arguments). */
const SERVER_KEYS = ['requestTimeout'] as const;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Reads and checks one model-settings.json; throws InvalidOptionError saying what is wrong. */
export async function readSettings(path: string): Promise<ModelSettings> {
  return parseSettings(await readFile(path, 'utf8'), path);
}

/** Checks parsed model settings; `path` names them in errors. */
function settingsOf(value: unknown, path: string): ModelSettings {
  // Every mistake at once, against schemas/model-settings.schema.json (./settings-schema.ts).
  const settings = checkSettings(value, path);
  if (settings['versionPolicy'] !== undefined) checkVersionPolicy(settings['versionPolicy'], path);
  return settings as ModelSettings;
}

/** Parses and checks model-settings JSON text from `path`. */
export function parseSettings(text: string, path: string): ModelSettings {
  return settingsOf(parseJson(text, path), path);
}

/**
 * A load request's `config`: model-settings JSON text, or Triton's model configuration as JSON (what
 * tritonclient sends and GET /v2/models/<m>/config answers; ./triton-model-config.ts), checked alike.
 */
export function parseLoadConfig(text: string, where: string): ModelSettings {
  const value = parseJson(text, where);
  return settingsOf(isTritonModelConfig(value) ? settingsOfTritonConfig(value, where) : value, where);
}

/**
 * The folder's settings: its model-settings.json, else its Triton config.pbtxt (./triton-config-file.ts), else
 * {}; throws when the file cannot be read or checked.
 */
export async function readFolderSettings(dir: string): Promise<ModelSettings> {
  const settingsPath = join(dir, SETTINGS_FILE);
  if (await exists(settingsPath)) return readSettings(settingsPath);
  const configPath = join(dir, TRITON_CONFIG_FILE);
  return (await exists(configPath)) ? settingsOf(await readTritonConfigFile(configPath), configPath) : {};
}

/** The route spec of one version of a model: class args from the settings, then name and model path. */
function modelOf(name: string, version: string, dir: string, settings: ModelSettings, modelPath: string) {
  const classArgs: Record<string, unknown> = { ...(settings.parameters ?? {}) };
  for (const key of [...SERVER_KEYS, ...ONNX_SESSION_KEYS]) {
    if (settings[key] !== undefined) classArgs[key] = settings[key];
  }
  const spec = {
    ...classArgs,
    className: settings.className ?? DEFAULT_CLASS,
    name: version ? `${name}:${version}` : name,
    modelPath,
  };
  return { key: name, version, dir, settings, spec } satisfies RepositoryModel;
}

/** `name:size:mtime` of each entry of `dir` (symbolic links followed), sorted; '' when it cannot be read. */
async function stampEntries(dir: string): Promise<{ text: string; dirs: string[] }> {
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  const parts: string[] = [];
  const dirs: string[] = [];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isDirectory()) dirs.push(join(dir, name));
    parts.push(info ? `${name}:${info.size}:${info.mtimeMs}` : `${name}:-`);
  }
  return { text: parts.join(','), dirs };
}

/**
 * A fingerprint of a model folder: its entries and those of its sub-folders, two levels down (version
 * folders and a `model.onnx` folder in them), with sizes and modification times. It changes when a
 * model file, the settings or the set of versions change; polling compares it.
 */
export async function fingerprintFolder(dir: string): Promise<string> {
  const parts: string[] = [];
  let level = [dir];
  for (let depth = 0; depth < 3 && level.length > 0; depth++) {
    const next: string[] = [];
    for (const d of level) {
      const { text, dirs } = await stampEntries(d);
      parts.push(`${d.slice(dir.length)}[${text}]`);
      next.push(...dirs);
    }
    level = next;
  }
  return parts.join('|');
}

/** The Triton layout: a model per served version folder, newest first. */
function tritonModels(name: string, dir: string, settings: ModelSettings, found: VersionFile[]): RepositoryModel[] {
  const served = servedVersions(
    found.map((f) => f.version),
    settings.versionPolicy ?? kDefaultVersionPolicy,
    name,
  );
  return served.map((version) => {
    const file = found.find((f) => f.version === version)!;
    const path = settings.className === undefined ? requireModelFile(file, name) : (file.modelFile ?? file.dir);
    return modelOf(name, version, dir, settings, path);
  });
}

/**
 * Reads one model folder, named `folder` (the name unless its settings name another), with
 * `override` (a load request's settings) instead of its model-settings.json when given. Throws when it
 * cannot be served: bad settings, no model file, a version policy naming versions that do not exist.
 */
export async function readModelFolder(dir: string, folder: string, override?: ModelSettings): Promise<ModelFolder> {
  const settings = override ?? (await readFolderSettings(dir));
  const name = settings.name ?? folder;
  const modelFile = join(dir, MODEL_FILE);
  const found = (await exists(modelFile)) ? [] : await readVersionFolders(dir);
  if (found.length > 0) {
    const models = tritonModels(name, dir, settings, found);
    const fingerprint = await fingerprintFolder(dir);
    return { name, dir, settings, layout: 'triton', models, available: found.map((f) => f.version), fingerprint };
  }
  const hasModel = await exists(modelFile);
  if (!hasModel && settings.className === undefined) {
    throw new ModelLoadError(`${dir} has no ${MODEL_FILE} (and no className in ${SETTINGS_FILE})`);
  }
  const model = modelOf(name, settings.version ?? '', dir, settings, hasModel ? modelFile : dir);
  const fingerprint = await fingerprintFolder(dir);
  return { name, dir, settings, layout: 'flat', models: [model], available: [], fingerprint };
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
 * The model folders of a repository, sorted by name: every sub-folder (hidden ones left out), or, with
 * `modelName` (KServe's storage-initializer layout, the model at the repository's root), the root
 * itself under that name. Rejects only when `dir` cannot be read.
 */
export async function listModelFolders(
  dir: string,
  modelName?: string,
): Promise<Array<{ folder: string; dir: string }>> {
  const root = resolve(dir);
  const entries = await readdir(root, { withFileTypes: true }).catch((err: Error) => {
    throw new InvalidOptionError(`cannot read model repository ${root}: ${err.message}`, { cause: err });
  });
  if (modelName !== undefined) return [{ folder: modelName, dir: root }];
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  return folders.sort().map((folder) => ({ folder, dir: join(root, folder) }));
}

/**
 * Reads every model folder of `dir` (see listModelFolders). Rejects only when `dir` itself cannot be
 * read. A bad model folder lands in `failures`, named after its settings' name when they could be
 * read, else after the folder; a folder whose name another folder already holds fails, under its
 * folder name. Models and failures never share a name.
 */
export async function readModelRepository(dir: string, modelName?: string): Promise<ModelRepository> {
  const repo: ModelRepository = { dir: resolve(dir), models: [], folders: [], failures: [] };
  /** Names in use: model keys and failure names, each with its folder. */
  const taken = new Map<string, string>();
  for (const { folder, dir: modelDir } of await listModelFolders(dir, modelName)) {
    let name = folder;
    try {
      const settings = await readFolderSettings(modelDir);
      name = modelName ?? settings.name ?? folder;
      const clash = taken.get(name);
      if (clash !== undefined) {
        name = folder;
        throw new InvalidOptionError(`model name ${settings.name ?? folder} is already used by ${clash}`);
      }
      const read = await readModelFolder(modelDir, folder, modelName === undefined ? settings : { ...settings, name });
      taken.set(read.name, modelDir);
      repo.folders.push(read);
      repo.models.push(...read.models);
    } catch (err) {
      const failure = { name: freeName(taken, [name, folder]), dir: modelDir, error: asError(err) };
      taken.set(failure.name, modelDir);
      repo.failures.push(failure);
    }
  }
  return repo;
}
