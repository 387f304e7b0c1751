/**
 * Helpers for the tests that pack graphserve and install the tarball into an empty project (see
 * pack.test.ts for why the install is offline, from a derived lockfile).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const IRIS = path.join(ROOT, 'examples', 'models', 'iris');
export const SUPPORTED = process.platform === 'linux' && process.arch === 'x64';

export interface Result {
  code: number | null;
  output: string;
}

/** Runs a command to completion; rejects with its output when it fails or runs past `timeoutMs`. */
export function run(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<Result>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ code, output });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${output}`));
    });
  });
}

/** The environment for child npm runs: without the outer npm run's package/lifecycle variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/i.test(key) || key === 'INIT_CWD' || key === 'GRAPHSERVE_ADDON') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** The real path of an executable found on PATH. */
export function which(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return fs.realpathSync(file);
  }
  throw new Error(`${name} not found on PATH`);
}

/** A bin folder holding only node, npm and sh (npm runs scripts with it): no cmake, g++ or cc. */
export function minimalBin(dir: string): string {
  fs.mkdirSync(dir);
  fs.symlinkSync(process.execPath, path.join(dir, 'node'));
  fs.symlinkSync(which('npm'), path.join(dir, 'npm'));
  fs.symlinkSync(which('sh'), path.join(dir, 'sh'));
  return dir;
}

function manifestOf(dir: string): { dependencies: Record<string, string>; bin: Record<string, string> } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as ReturnType<typeof manifestOf>;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/**
 * The consumer's package.json and package-lock.json for installing `tarball` (a path relative to the
 * consumer): graphserve from the tarball, and the runtime (non-dev) entries of this checkout's lockfile,
 * which sit at the same node_modules paths in the consumer.
 */
export function consumerManifests(tarball: string, tarballPath: string): { manifest: object; lock: object } {
  const rootLock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const own = rootLock.packages['']!;
  const integrity = `sha512-${createHash('sha512').update(fs.readFileSync(tarballPath)).digest('base64')}`;
  const spec = `file:${tarball}`;
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', dependencies: { graphserve: spec } },
    'node_modules/graphserve': {
      version: own.version,
      resolved: spec,
      integrity,
      hasInstallScript: true,
      dependencies: manifestOf(ROOT).dependencies,
      bin: manifestOf(ROOT).bin,
    },
  };
  const registry = registryUrl();
  for (const [key, entry] of Object.entries(rootLock.packages)) {
    if (key !== '' && !entry.dev && !entry.devOptional) packages[key] = withTarballUrl(key, entry, registry);
  }
  // npm 11 runs a dependency's install script only when the project allows it; allow graphserve's,
  // so that scripts/install.js itself is shown to pick the prebuild instead of compiling.
  const manifest = {
    name: 'consumer',
    private: true,
    dependencies: { graphserve: spec },
    allowScripts: { graphserve: true },
  };
  return { manifest, lock: { name: 'consumer', lockfileVersion: 3, requires: true, packages } };
}

/** The registry npm is configured with (the checkout's lockfile names none: no registry host is committed). */
function registryUrl(): string {
  const url = execFileSync('npm', ['config', 'get', 'registry'], { env: cleanEnv(), encoding: 'utf8' }).trim();
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * A lock entry with its tarball URL on `registry`, derived from its name and version, so that npm takes the
 * tarball from its cache by integrity without asking for the package's metadata (which an offline cache
 * may hold in another form, or not at all). Entries that say where they come from are left as they are.
 */
function withTarballUrl(key: string, entry: LockEntry, registry: string): LockEntry {
  if (entry['resolved'] !== undefined || entry['link'] || entry.version === undefined) return entry;
  const name = (entry['name'] as string | undefined) ?? key.slice(key.lastIndexOf('node_modules/') + 13);
  const base = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  return { ...entry, resolved: `${registry}${name}/-/${base}-${entry.version}.tgz` };
}

/** Resolves with the URL the server prints once it listens; rejects if it exits or stays silent. */
export function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`no 'listening on' line in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      output += d.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`graphserve exited ${code} before listening:\n${output}`));
    });
  });
}

/** What packAndInstall() leaves: the consumer project, npm's install output, the bin folder it ran with. */
export interface Installed {
  consumer: string;
  installOutput: string;
  bin: string;
}

/**
 * `npm pack` of this checkout into `tmp/pack`, then `npm ci --offline` of the tarball into the empty project
 * `tmp/consumer`, with only node, npm and sh on PATH (`tmp/bin`).
 */
export async function packAndInstall(tmp: string): Promise<Installed> {
  const packDir = path.join(tmp, 'pack');
  fs.mkdirSync(packDir);
  await run('npm', ['pack', '--pack-destination', packDir], { cwd: ROOT, env: cleanEnv(), timeoutMs: 240_000 });
  const tarball = fs.readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack left no tarball in ${packDir}`);
  const consumer = path.join(tmp, 'consumer');
  fs.mkdirSync(consumer);
  const { manifest, lock } = consumerManifests(`../pack/${tarball}`, path.join(packDir, tarball));
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(consumer, 'package-lock.json'), JSON.stringify(lock));
  const bin = minimalBin(path.join(tmp, 'bin'));
  const install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
    cwd: consumer,
    env: cleanEnv({ PATH: bin }),
    timeoutMs: 180_000,
  });
  return { consumer, installOutput: install.output, bin };
}

/**
 * Compiles examples/library.ts in a sub-project of `consumer` whose package.json says `type` (ESM or
 * CommonJS), with TypeScript strict and Node's own module resolution (this checkout's compiler and
 * @types/node; 'graphserve' resolves to the installed package), runs it, and resolves to its stdout.
 */
export async function compileAndRunExample(consumer: string, type: 'module' | 'commonjs', bin: string) {
  const dir = path.join(consumer, type);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `example-${type}`, private: true, type }));
  fs.copyFileSync(path.join(ROOT, 'examples', 'library.ts'), path.join(dir, 'library.ts'));
  const compilerOptions = {
    strict: true,
    noUncheckedIndexedAccess: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    outDir: 'out',
    rootDir: '.',
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    types: ['node'],
    // The package's own declarations are checked in ESM only: the same files, half the time.
    skipLibCheck: type === 'commonjs',
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['library.ts'] }));
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const env = cleanEnv({ PATH: bin });
  await run(process.execPath, [tsc, '-p', dir], { cwd: dir, env, timeoutMs: 90_000 });
  const runEnv = { ...env, IRIS_MODEL: IRIS, GRAPHSERVE_EXAMPLE_RUN: '1' };
  const result = await run(process.execPath, [path.join(dir, 'out', 'library.js')], {
    cwd: dir,
    env: runEnv,
    timeoutMs: 60_000,
  });
  return result.output;
}
