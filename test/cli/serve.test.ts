/**
 * `graphserve serve` in a child process: the compiled CLI serves a repository folder on port 0,
 * reports every model, keeps serving when some fail, and drains on SIGTERM before exiting 0.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BUILD = join(ROOT, '.cache', 'cli-test-build');
const MAIN = join(BUILD, 'src', 'cli', 'main.js');
const ADDON = join(ROOT, 'build', 'Release', 'graphserve.node');

/** A repository with a good model, a corrupt one, bad settings, and a user class from --module. */
function makeRepo(): { dir: string; module: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-cli-'));
  const add = (folder: string, files: Record<string, string | Buffer>): void => {
    mkdirSync(join(dir, 'repo', folder), { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, 'repo', folder, name), data);
  };
  add('iris', { 'model-settings.json': '{"name": "iris", "version": "1", "intraOpThreads": 1}' });
  copyFileSync(join(ROOT, 'examples', 'models', 'iris', 'model.onnx'), join(dir, 'repo', 'iris', 'model.onnx'));
  add('corrupt', { 'model.onnx': Buffer.from('not an onnx model') });
  add('badsettings', { 'model.onnx': 'x', 'model-settings.json': '{"name": ' });
  add('slow', { 'model-settings.json': '{"className": "SlowEcho", "parameters": {"delayMs": 300}}' });
  const module = join(dir, 'models.js');
  writeFileSync(
    module,
    `const { V2ModelServer } = require(${JSON.stringify(join(BUILD, 'src', 'model', 'v2-model-server.js'))});
class SlowEcho extends V2ModelServer {
  load() { this.model = 'echo'; }
  async predict(request) {
    process.stdout.write('predict started\\n');
    await new Promise((r) => setTimeout(r, this.getParam('delayMs')));
    return request.inputs;
  }
}
module.exports = { SlowEcho };
`,
  );
  return { dir: join(dir, 'repo'), module };
}

/** Resolves with the output so far once a line matches `pattern`. */
function waitForLine(child: ChildProcess, output: { text: string }, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(output.text);
      if (match) {
        child.stdout!.off('data', check);
        resolve(match);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited ${code} before ${pattern}: ${output.text}`)));
    check();
  });
}

let child: ChildProcess;
const output = { text: '' };
let url: string;

beforeAll(async () => {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD],
    {
      cwd: ROOT,
    },
  );
  const repo = makeRepo();
  child = spawn(process.execPath, [MAIN, 'serve', '--module', repo.module], {
    env: {
      ...process.env,
      GRAPHSERVE_ADDON: ADDON,
      GRAPHSERVE_MODEL_REPOSITORY: repo.dir,
      GRAPHSERVE_HOST: '127.0.0.1',
      GRAPHSERVE_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  url = (await waitForLine(child, output, /listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('graphserve serve', () => {
  it('prints one line per model, ready or failed, and the bound URL', () => {
    expect(output.text).toMatch(/model iris \(version 1\): ready \(OnnxModelServer, inputs input FP32\[-1,4\]\)/);
    expect(output.text).toMatch(/model slow: ready \(SlowEcho\)/);
    expect(output.text).toMatch(/model corrupt: FAILED: /);
    expect(output.text).toMatch(/model badsettings: FAILED: malformed JSON/);
    expect(url).not.toMatch(/:0$/);
  });

  it('serves the good models in both dialects while the failed one answers 503', async () => {
    const plain = await fetch(`${url}/v2/models/iris/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] }),
    });
    expect(plain.status).toBe(200);
    const oip = await fetch(`${url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
      }),
    });
    expect(((await oip.json()) as { outputs: Array<{ name: string }> }).outputs.map((o) => o.name)).toEqual([
      'label',
      'probabilities',
    ]);
    expect((await fetch(`${url}/v2/models/iris/ready`)).status).toBe(200);
    expect((await fetch(`${url}/v2/models/corrupt/ready`)).status).toBe(503);
  });

  it('drains a request in flight on SIGTERM, then exits 0', async () => {
    const inflight = fetch(`${url}/v2/models/slow/infer`, { method: 'POST', body: '{"inputs": [42]}' });
    await waitForLine(child, output, /predict started/);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outputs: unknown }).outputs).toEqual([42]);
    expect(await exited).toBe(0);
    expect(output.text).toMatch(/SIGTERM received, draining/);
  });
});
