/**
 * Model file resolution for V2ModelServer.getModel(): local files and folders, file:// URLs, and
 * http(s):// URLs downloaded once into a cache folder. A folder may hold MLRun's model spec
 * (`model_spec.yaml`, or `model_spec.json`) naming the model file, its features, parameters and extra data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { InvalidOptionError, ModelLoadError } from '../errors';
import { isPlainObject } from '../step/paths';
import type { ModelFiles, ModelSpec } from './types';

const SPEC_FILES = Object.freeze(['model_spec.yaml', 'model_spec.yml', 'model_spec.json']);

/** Downloads in progress, by cache path: concurrent getModel() calls for one URL share one download. */
const downloads = new Map<string, Promise<string>>();

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The cache path of a URL: `<cacheDir>/<sha256(url) prefix>/<file name>`. */
export function cachePathOf(url: string, cacheDir: string): string {
  const digest = createHash('sha256').update(url).digest('hex').slice(0, 24);
  const name = basename(new URL(url).pathname) || 'model';
  return join(cacheDir, digest, name);
}

async function download(url: string, target: string): Promise<string> {
  await mkdir(join(target, '..'), { recursive: true });
  const partial = `${target}.${randomBytes(6).toString('hex')}.part`;
  try {
    // Node's built-in fetch (undici inside): the undici package itself needs Node >= 22.19.
    const res = await fetch(url, { redirect: 'follow' });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new ModelLoadError(`failed to download model ${url}: HTTP ${res.status}`);
    }
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(partial));
    await rename(partial, target);
    return target;
  } catch (err) {
    await rm(partial, { force: true });
    if (err instanceof ModelLoadError) throw err;
    throw new ModelLoadError(`failed to download model ${url}: ${(err as Error).message}`, { cause: err });
  }
}

/** The local copy of an http(s) URL; downloads it unless the cache already holds it. */
export async function fetchToCache(url: string, cacheDir: string): Promise<string> {
  if (url.endsWith('/')) throw new InvalidOptionError(`model URL ${url} names a folder; give the URL of a file`);
  const target = cachePathOf(url, cacheDir);
  if (await exists(target)) return target;
  let pending = downloads.get(target);
  if (!pending) {
    pending = download(url, target).finally(() => downloads.delete(target));
    downloads.set(target, pending);
  }
  return pending;
}

async function readSpec(dir: string): Promise<ModelSpec | undefined> {
  for (const name of SPEC_FILES) {
    const path = join(dir, name);
    if (!(await exists(path))) continue;
    const text = await readFile(path, 'utf8');
    const parsed: unknown = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (!isPlainObject(parsed)) throw new ModelLoadError(`model spec ${path} is not an object`);
    return parsed as ModelSpec;
  }
  return undefined;
}

async function findBySuffix(dir: string, suffix: string): Promise<string> {
  const names = (await readdir(dir)).filter((name) => !SPEC_FILES.includes(name) && name.endsWith(suffix)).sort();
  const first = names[0];
  if (first === undefined) throw new ModelLoadError(`no model file ending with "${suffix}" in ${dir}`);
  return join(dir, first);
}

async function resolveFolder(dir: string, suffix: string): Promise<ModelFiles> {
  const spec = await readSpec(dir);
  const modelFile = spec?.model_file ? join(dir, spec.model_file) : await findBySuffix(dir, suffix);
  const extraData: Record<string, string> = {};
  for (const [key, path] of Object.entries(spec?.extra_data ?? {})) extraData[key] = resolve(dir, path);
  return { modelFile, modelSpec: spec, extraData };
}

/**
 * Resolves a model path to a local file. A folder resolves through its model spec, or to the first
 * file (by name) ending with `suffix`. Rejects with ModelLoadError when nothing is found.
 */
export async function resolveModelPath(modelPath: string, suffix: string, cacheDir: string): Promise<ModelFiles> {
  let local: string;
  if (/^https?:\/\//i.test(modelPath)) local = await fetchToCache(modelPath, cacheDir);
  else if (modelPath.startsWith('file://')) local = fileURLToPath(modelPath);
  else local = resolve(modelPath);
  const info = await stat(local).catch(() => undefined);
  if (!info) throw new ModelLoadError(`model path ${modelPath} does not exist`);
  if (info.isDirectory()) return resolveFolder(local, suffix);
  return { modelFile: local, extraData: {} };
}
