/**
 * The published package works on linux-x64 without a compiler: `npm pack` (prepack builds dist/ and
 * prebuilds/linux-x64/) → install the tarball offline into an empty folder, with only node and npm on
 * PATH (no cmake, no C++ compiler) → `graphserve serve` from it answers an iris inference over HTTP →
 * SIGTERM stops it cleanly. Every file lives in a fresh temp folder, removed afterwards.
 *
 * Offline needs every dependency in npm's cache. `npm install` of this checkout puts their tarballs
 * there but not the registry metadata a fresh range resolution needs (an empty cache has none), so the
 * consumer gets a lockfile: the tarball plus this checkout's locked runtime dependencies, which npm
 * then fetches from its cache by integrity. `npm ci` refuses it if the packed package.json asks for
 * anything the lockfile does not hold.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const IRIS = path.join(ROOT, 'examples', 'models', 'iris');
const SUPPORTED = process.platform === 'linux' && process.arch === 'x64';

interface Result {
  code: number | null;
  output: string;
}

/** Runs a command to completion; rejects with its output when it fails or runs past `timeoutMs`. */
function run(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
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
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/i.test(key) || key === 'INIT_CWD' || key === 'GRAPHSERVE_ADDON') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** The real path of an executable found on PATH. */
function which(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return fs.realpathSync(file);
  }
  throw new Error(`${name} not found on PATH`);
}

/** A bin folder holding only node, npm and sh (npm runs scripts with it): no cmake, g++ or cc. */
function minimalBin(dir: string): string {
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
function consumerManifests(tarball: string, tarballPath: string): { manifest: object; lock: object } {
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
  for (const [key, entry] of Object.entries(rootLock.packages)) {
    if (key !== '' && !entry.dev && !entry.devOptional) packages[key] = entry;
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

/** Resolves with the URL the server prints once it listens; rejects if it exits or stays silent. */
function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`no 'listening on' line in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      output += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
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

(SUPPORTED ? describe : describe.skip)('npm pack → offline install → graphserve serve', () => {
  let tmp: string;
  let server: ChildProcess | undefined;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graphserve-pack-'));
  });

  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('installs from the tarball without build tools and serves iris', async () => {
    const packDir = path.join(tmp, 'pack');
    fs.mkdirSync(packDir);
    await run('npm', ['pack', '--pack-destination', packDir], { cwd: ROOT, env: cleanEnv(), timeoutMs: 240_000 });
    const tarball = fs.readdirSync(packDir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    // postpack removed the prebuild it made, so it cannot shadow a later local build.
    expect(fs.existsSync(path.join(ROOT, 'prebuilds', 'linux-x64', '.from-local-build'))).toBe(false);

    const consumer = path.join(tmp, 'consumer');
    fs.mkdirSync(consumer);
    const { manifest, lock } = consumerManifests(`../pack/${tarball!}`, path.join(packDir, tarball!));
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify(manifest));
    fs.writeFileSync(path.join(consumer, 'package-lock.json'), JSON.stringify(lock));
    const bin = minimalBin(path.join(tmp, 'bin'));
    const install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
      cwd: consumer,
      env: cleanEnv({ PATH: bin }),
      timeoutMs: 180_000,
    });
    expect(install.output).toContain('using the prebuilt addon');

    const installed = path.join(consumer, 'node_modules', 'graphserve');
    for (const file of ['graphserve.node', 'libonnxruntime.so.1']) {
      expect(fs.existsSync(path.join(installed, 'prebuilds', 'linux-x64', file))).toBe(true);
    }
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false); // nothing was compiled
    expect(fs.existsSync(path.join(installed, 'examples'))).toBe(false); // `prepare` did not run
    expect(fs.existsSync(path.join(consumer, 'node_modules', 'onnxruntime-node'))).toBe(false);

    const repo = path.join(tmp, 'models');
    fs.mkdirSync(path.join(repo, 'iris'), { recursive: true });
    for (const file of ['model.onnx', 'model-settings.json']) {
      fs.copyFileSync(path.join(IRIS, file), path.join(repo, 'iris', file));
    }
    const cli = path.join(consumer, 'node_modules', '.bin', 'graphserve');
    server = spawn(cli, ['serve', '--model-repository', repo, '--host', '127.0.0.1', '--port', '0'], {
      cwd: consumer,
      env: cleanEnv({ PATH: bin }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => server!.on('exit', (code) => resolve(code)));
    const url = await listeningUrl(server, 60_000);

    const res = await fetch(`${url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3] }],
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: Array<{ name: string; shape: number[]; data: number[] }> };
    const label = body.outputs.find((o) => o.name === 'label')!;
    expect(label).toMatchObject({ shape: [2], data: [0, 2] }); // setosa, virginica
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/graphserve_engine_batch_runs_total\{model="iris",batch_size="2"\} 1/);

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 420_000);
});

/** Resolves when `child` and everything holding its output pipes (the server it launched) have exited. */
function pipesClosed(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${timeoutMs} ms after SIGTERM`)), timeoutMs);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('launchers pass SIGTERM on to the server', () => {
  let launcher: ChildProcess | undefined;

  afterEach(() => {
    if (launcher && launcher.exitCode === null) launcher.kill('SIGKILL');
  });

  it.each([
    ['npm start', 'npm', ['start']],
    ['npx graphserve serve', 'npx', ['graphserve', 'serve', '--model-repository', 'examples/models']],
  ])(
    '%s: the server drains and exits when npm gets SIGTERM',
    async (_name, cmd, args) => {
      launcher = spawn(cmd, args, {
        cwd: ROOT,
        env: cleanEnv({ GRAPHSERVE_HOST: '127.0.0.1', GRAPHSERVE_PORT: '0' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      launcher.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      launcher.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const closed = pipesClosed(launcher, 170_000);
      const url = await listeningUrl(launcher, 150_000);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // the address actually bound, port 0 resolved
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
      launcher.kill('SIGTERM'); // npm itself, not the server
      await closed;
      expect(output).toContain('"msg":"stopped"');
      await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
    },
    180_000,
  );
});
