/**
 * The folder layouts of a model in a repository, and Triton's version policy.
 *
 *   flat:   <model>/model.onnx [+ model-settings.json]                    one version (settings' `version`)
 *   triton: <model>/<n>/model.onnx [+ <model>/model-settings.json]        n = 1, 2, …; several served
 *
 * In the Triton layout `<n>/model.onnx` may also be a folder holding `model.onnx` (Triton's form for a
 * model with external data, and what ModelMesh's adapter links when a model has several files), and
 * a `config.pbtxt` beside the versions is read when there is no model-settings.json
 * (./triton-config-file.ts). Which versions are served follows the settings' `versionPolicy`, in Triton's
 * form: `{"latest": {"num_versions": N}}` (default N = 1), `{"all": {}}` or `{"specific": {"versions": [1, 3]}}`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError, ModelLoadError } from '../errors';

export const MODEL_FILE = 'model.onnx';

/** Triton's version_policy (model_config.proto), as JSON. */
export type VersionPolicy =
  | { latest: { num_versions: number } }
  | { all: Record<string, never> }
  | { specific: { versions: Array<number | string> } };

export const kDefaultVersionPolicy: Readonly<VersionPolicy> = Object.freeze({ latest: { num_versions: 1 } });

/** One version folder of the Triton layout. */
export interface VersionFile {
  version: string;
  /** The model file (inside the version folder); undefined when the folder holds no model.onnx. */
  modelFile: string | undefined;
  dir: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks a versionPolicy setting; throws InvalidOptionError saying what is wrong. */
export function checkVersionPolicy(value: unknown, where: string): VersionPolicy {
  const bad = (why: string): never => {
    throw new InvalidOptionError(
      `${where}: versionPolicy ${why}; use {"latest": {"num_versions": N}}, {"all": {}} or {"specific": {"versions": [..]}}`,
    );
  };
  if (!isRecord(value) || Object.keys(value).length !== 1) return bad('must be an object with one key');
  if (isRecord(value['latest'])) {
    const n = value['latest']['num_versions'];
    if (!Number.isInteger(n) || (n as number) < 1) return bad('latest.num_versions must be an integer >= 1');
    return { latest: { num_versions: n as number } };
  }
  if (isRecord(value['all'])) return { all: {} };
  if (isRecord(value['specific'])) {
    const versions = value['specific']['versions'];
    const ok = Array.isArray(versions) && versions.length > 0 && versions.every((v) => /^\d+$/.test(String(v)));
    if (!ok) return bad('specific.versions must be a non-empty list of version numbers');
    return { specific: { versions: versions as Array<number | string> } };
  }
  return bad(`has an unknown key ${Object.keys(value)[0]}`);
}

async function statOf(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean } | undefined> {
  return stat(path).catch(() => undefined);
}

/** The model file of a version folder: `model.onnx`, or `model.onnx/model.onnx` when that is a folder. */
async function versionModelFile(dir: string): Promise<string | undefined> {
  const path = join(dir, MODEL_FILE);
  const info = await statOf(path);
  if (info?.isFile()) return path;
  if (info?.isDirectory() && (await statOf(join(path, MODEL_FILE)))?.isFile()) return join(path, MODEL_FILE);
  return undefined;
}

/**
 * The version folders of a model folder (names of digits only), in ascending numeric order; [] when it
 * has none (the flat layout).
 */
export async function readVersionFolders(dir: string): Promise<VersionFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const numbered = entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && /^\d+$/.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(a) - Number(b));
  const found: VersionFile[] = [];
  for (const version of numbered) {
    const versionDir = join(dir, version);
    if (!(await statOf(versionDir))?.isDirectory()) continue;
    found.push({ version, dir: versionDir, modelFile: await versionModelFile(versionDir) });
  }
  return found;
}

/**
 * The versions `policy` serves out of `available` (ascending), newest first. Throws ModelLoadError,
 * listing the versions that exist, when the policy names one that does not or selects none.
 */
export function servedVersions(available: readonly string[], policy: VersionPolicy, model: string): string[] {
  const list = available.length > 0 ? available.join(' | ') : '(none)';
  let served: string[];
  if ('latest' in policy) served = available.slice(-policy.latest.num_versions);
  else if ('all' in policy) served = [...available];
  else {
    const wanted = policy.specific.versions.map((v) => String(Number(v)));
    const missing = wanted.filter((v) => !available.some((a) => Number(a) === Number(v)));
    if (missing.length > 0) {
      throw new ModelLoadError(
        `model ${model}: versionPolicy names version(s) ${missing.join(', ')} that do not exist; available versions: ${list}`,
      );
    }
    served = available.filter((a) => wanted.includes(String(Number(a))));
  }
  if (served.length === 0)
    throw new ModelLoadError(`model ${model} has no version to serve; available versions: ${list}`);
  return served.reverse();
}

/** Fails when a served version folder holds no model file (and no class is named to load it otherwise). */
export function requireModelFile(file: VersionFile, model: string): string {
  if (file.modelFile === undefined) {
    throw new ModelLoadError(`model ${model} version ${file.version} has no ${MODEL_FILE}`);
  }
  return file.modelFile;
}
