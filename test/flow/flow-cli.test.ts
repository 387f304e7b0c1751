/**
 * `graphserve serve graph.yaml --module FILE` in a child process: the compiled CLI serves a YAML flow
 * on port 0, with classes and handler functions from the module, draws it, and exits 0 on SIGTERM.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BUILD = join(ROOT, '.cache', 'flow-cli-test-build');
const MAIN = join(BUILD, 'src', 'cli', 'main.js');
const ADDON = join(ROOT, 'build', 'Release', 'graphserve.node');

const GRAPH_YAML = `kind: serving
metadata:
  name: cli-flow
spec:
  graph:
    kind: flow
    engine: async
    steps:
      upper:
        kind: task
        class_name: Upper
        input_path: text
        result_path: loud
      wrap:
        kind: task
        handler: wrap
        after: [upper]
        responder: true
`;

const MODULE_JS = `class Upper {
  do(text) { return String(text).toUpperCase(); }
}
function wrap(body) { return { wrapped: body.loud, from: body.text }; }
module.exports = { Upper, wrap };
`;

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

let child: ChildProcess;
const output = { text: '' };
let url: string;

beforeAll(async () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD], { cwd: ROOT });
  const dir = mkdtempSync(join(tmpdir(), 'gs-flow-cli-'));
  writeFileSync(join(dir, 'graph.yaml'), GRAPH_YAML);
  writeFileSync(join(dir, 'steps.js'), MODULE_JS);
  child = spawn(process.execPath, [MAIN, 'serve', join(dir, 'graph.yaml'), '--module', join(dir, 'steps.js')], {
    env: { ...process.env, GRAPHSERVE_ADDON: ADDON, GRAPHSERVE_HOST: '127.0.0.1', GRAPHSERVE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.text);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output.text}`)));
  });
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('graphserve serve graph.yaml', () => {
  it('reports the graph it serves', () => {
    expect(output.text).toMatch(/graph cli-flow: ready \(flow, 2 step\(s\)\) from .*graph\.yaml/);
  });

  it('runs the flow with the classes and functions of --module', async () => {
    const res = await fetch(`${url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ wrapped: 'HI', from: 'hi' });
  });

  it('draws the graph it runs at /graph.dot', async () => {
    const res = await fetch(`${url}/graph.dot`);
    expect(await res.text()).toContain('"upper" -> "wrap";');
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = waitForExit(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('graphserve serve arguments', () => {
  it('refuses a spec file together with --model-repository', async () => {
    const both = spawn(process.execPath, [MAIN, 'serve', 'graph.yaml', '--model-repository', 'models'], {
      env: { ...process.env, GRAPHSERVE_ADDON: ADDON },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    both.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    expect(await waitForExit(both)).toBe(1);
    expect(err).toContain('give either a graph spec file or --model-repository');
  });
});
