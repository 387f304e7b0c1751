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
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IRIS, ROOT, SUPPORTED, cleanEnv, compileAndRunExample, listeningUrl, packAndInstall } from './pack-support';

(SUPPORTED ? describe : describe.skip)('npm pack → offline install → graphserve serve', () => {
  let tmp: string;
  let server: ChildProcess | undefined;
  /** The empty project the tarball was installed into, npm's output, and the bin folder without build tools. */
  let consumer: string;
  let installOutput: string;
  let bin: string;

  // Packed and installed once for the tests below (packing builds dist/ and the prebuild: the slow part).
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graphserve-pack-'));
    ({ consumer, installOutput, bin } = await packAndInstall(tmp));
  }, 420_000);

  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('installs from the tarball without build tools and serves iris', async () => {
    // postpack removed the prebuild it made, so it cannot shadow a later local build.
    expect(fs.existsSync(path.join(ROOT, 'prebuilds', 'linux-x64', '.from-local-build'))).toBe(false);
    expect(installOutput).toContain('using the prebuilt addon');

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

  it.each(['module', 'commonjs'])(
    "runs the README's library examples (examples/library.ts) compiled strict as %s against the installed package",
    async (type) => {
      const out = await compileAndRunExample(consumer, type as 'module' | 'commonjs', bin);
      const results = JSON.parse(out.trim().split('\n').pop()!) as Record<string, Record<string, unknown>>;
      expect(results['multiplier']).toMatchObject({ model_name: 'triple', outputs: [3, 6, 15] });
      const onnx = results['onnx']!;
      expect(onnx['plain']).toMatchObject({ model_name: 'iris', outputs: { label: [0, 2] } });
      expect(onnx['labelled']).toMatchObject({ model_name: 'named', outputs: { label: ['setosa', 'virginica'] } });
      expect(onnx['metadata']).toMatchObject({
        name: 'iris',
        platform: 'onnxruntime_onnx',
        inputs: [{ datatype: 'FP32' }],
      });
      expect(results['flow']).toEqual({ model: 'VotingEnsemble', total: 9 }); // (2+4)/2 × (1+2)
      expect(results['engine']).toMatchObject({ inputs: ['input'] });
    },
    120_000,
  );
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

  // npx chmods a checkout's own bin only when it first links that checkout's path into its cache; a later
  // rebuild at the same path (tsc writes new files 0644) must leave it executable itself (scripts/build-ts.js).
  // Runs before the npx test below, which would chmod it.
  it("the package's bin files are executable after the test command's build", () => {
    const { bin } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    for (const file of Object.values(bin)) {
      expect(() => fs.accessSync(path.join(ROOT, file), fs.constants.X_OK)).not.toThrow();
    }
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
