/**
 * Conformance with NVIDIA's tritonclient.http, the reference Open Inference Protocol client, installed from
 * PyPI into a venv (scripts/python-client.js): tritonclient_conformance.py drives a real `graphserve serve`
 * process (the compiled CLI on port 0) and reports each call; every call must give the expected values,
 * datatypes and shapes. References come from onnxruntime-node (expectations.ts); identity models must echo.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePythonClient } from '../../scripts/python-client';
import { buildExpectations, type ServedModel } from './expectations';

const ROOT = join(__dirname, '..', '..');
const BUILD = join(ROOT, '.cache', 'conformance-test-build');
const ADDON = join(ROOT, 'build', 'Release', 'graphserve.node');
const SCRIPT = join(__dirname, 'tritonclient_conformance.py');
const GRPC_SCRIPT = join(__dirname, 'tritonclient_grpc_conformance.py');
const REPOSITORY_SCRIPT = join(__dirname, 'tritonclient_repository.py');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'models');

const TIMEOUTS = {
  venv: 300_000, // creating the venv on a fresh machine downloads ~31 MB of wheels
  compile: 120_000, // tsc of the whole project
  listen: 60_000, // from spawn to the "listening on" line (loads every model)
  script: 180_000, // every call of the Python script together
  exit: 30_000, // from SIGTERM to exit
};

/** The calls tritonclient_conformance.py makes, in its order: each must be reported, and ok. */
const CALLS = [
  'is_server_live',
  'is_server_ready',
  'get_server_metadata',
  'is_model_ready iris',
  'is_model_ready iris version 1',
  'get_model_metadata iris',
  'get_model_metadata ppocr-cls',
  'get_model_metadata constant',
  'infer iris JSON in, JSON out',
  'infer iris JSON in, binary out',
  'infer iris binary in, JSON out',
  'infer iris binary in, binary out',
  'infer iris batch of 2',
  'infer iris request_id and model_version 1',
  'infer iris class_count 2, JSON out',
  'infer iris class_count 2, binary out',
  'infer iris gzip request',
  'infer iris gzip response',
  'infer iris deflate request',
  'infer iris deflate response',
  'infer ppocr-cls binary',
  'infer ppocr-cls JSON',
  'infer identity_int64 JSON beyond 2^53',
  'infer identity_int64 binary beyond 2^53',
  'infer identity_uint64 JSON 2^64-1',
  'infer identity_uint64 binary 2^64-1',
  'infer identity_bytes JSON with NUL and UTF-8',
  'infer identity_bytes binary non-UTF-8 and NUL',
  'infer identity_fp16 JSON',
  'infer identity_fp16 binary',
  'infer constant (no inputs) JSON out',
  'infer constant (no inputs) binary out',
  'async_infer iris x8',
  'infer unknown model 404',
  'infer iris wrong datatype 400',
];

/** The calls tritonclient_grpc_conformance.py makes over gRPC (the same server's --grpc-port), in its order. */
const GRPC_CALLS = [
  'grpc is_server_live',
  'grpc is_server_ready',
  'grpc get_server_metadata',
  'grpc is_model_ready iris version 1',
  'grpc get_model_metadata iris',
  'grpc get_model_metadata ppocr-cls',
  'grpc infer iris raw contents',
  'grpc infer iris batch of 2',
  'grpc infer iris request_id and model_version 1',
  'grpc infer iris class_count 2',
  'grpc infer iris gzip-compressed',
  'grpc infer iris deflate-compressed',
  'grpc infer ppocr-cls',
  'grpc infer identity_int64 beyond 2^53',
  'grpc infer identity_uint64 2^64-1',
  'grpc infer identity_bytes non-UTF-8 and NUL',
  'grpc infer identity_fp16',
  'grpc infer constant (no inputs)',
  'grpc stream_infer iris x8 with ids, and an unknown model',
  'grpc infer unknown model NOT_FOUND',
  'grpc infer iris wrong datatype INVALID_ARGUMENT',
];

/**
 * The calls tritonclient_repository.py makes, over gRPC and HTTP, against a second server on the same folder in
 * explicit model-control mode (--load-model iris): Triton's repository, configuration and statistics extensions.
 */
const REPOSITORY_CALLS = [
  'grpc get_model_repository_index (explicit)',
  'grpc load_model ppocr-cls, then infer',
  'grpc get_model_config iris',
  'grpc get_inference_statistics iris',
  'grpc load_model iris with a config override',
  'grpc unload_model ppocr-cls',
  'grpc load_model unknown NOT_FOUND',
  'http get_model_repository_index (explicit)',
  'http load_model and unload_model ppocr-cls',
  'http get_model_config and get_inference_statistics iris',
  "http load_model iris with Triton's model config",
  'grpc load_model with files (bytes)',
  'http load_model with files (base64)',
];

interface CallResult {
  call: string;
  ok: boolean;
  detail: string;
}

/** Runs a command to completion within timeoutMs; resolves to its stdout, rejects with its output's tail. */
function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message.split('\n')[0]}\n${`${stdout}${stderr}`.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

/** The example models and the identity/constant fixtures, each in its folder with a model-settings.json. */
function makeRepository(dir: string): ServedModel[] {
  const models: ServedModel[] = [];
  for (const name of ['iris', 'ppocr-cls']) {
    const source = join(ROOT, 'examples', 'models', name);
    mkdirSync(join(dir, name));
    copyFileSync(join(source, 'model.onnx'), join(dir, name, 'model.onnx'));
    copyFileSync(join(source, 'model-settings.json'), join(dir, name, 'model-settings.json'));
    const settings = JSON.parse(readFileSync(join(source, 'model-settings.json'), 'utf8')) as {
      parameters?: { labels?: string[] };
    };
    models.push({ name, file: join(source, 'model.onnx'), labels: settings.parameters?.labels });
  }
  for (const name of ['identity_int64', 'identity_uint64', 'identity_bytes', 'identity_fp16', 'constant']) {
    const file = join(FIXTURES, `${name}.onnx`);
    models.push({ name, file });
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'model-settings.json'), JSON.stringify({ name, version: '1', intraOpThreads: 1 }));
    try {
      copyFileSync(file, join(dir, name, 'model.onnx'));
    } catch {
      // not generated yet: the server reports the folder as failed, the calls that need the model fail
      rmSync(join(dir, name), { recursive: true });
    }
  }
  return models;
}

/** Resolves with the first match of pattern in the child's output; rejects when it exits or after timeoutMs. */
function waitForLine(child: ChildProcess, output: { text: string }, pattern: RegExp, timeoutMs: number) {
  return new Promise<RegExpMatchArray>((resolve, reject) => {
    const done = (error?: Error, match?: RegExpMatchArray): void => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', exited);
      if (error) reject(error);
      else resolve(match!);
    };
    const check = (): void => {
      const match = pattern.exec(output.text);
      if (match) done(undefined, match);
    };
    const exited = (code: number | null): void => done(new Error(`exited ${code} before ${pattern}: ${output.text}`));
    const timer = setTimeout(() => done(new Error(`no ${pattern} within ${timeoutMs} ms: ${output.text}`)), timeoutMs);
    child.stdout!.on('data', check);
    child.once('exit', exited);
    check();
  });
}

let python: string;
let work: string;
let server: ChildProcess;
const output = { text: '' };
let results: CallResult[] = [];
let grpcResults: CallResult[] = [];
let explicit: ChildProcess;
const explicitOutput = { text: '' };
let repositoryResults: CallResult[] = [];

/** The compiled CLI with `args`, its stdout and stderr collected in `into`. */
function spawnServer(args: string[], into: { text: string }): ChildProcess {
  const child = spawn(process.execPath, [join(BUILD, 'src', 'cli', 'main.js'), ...args], {
    env: { ...process.env, GRAPHSERVE_ADDON: ADDON },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (into.text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (into.text += chunk.toString()));
  return child;
}

/** Sends SIGTERM to `child`; resolves with its exit code (rejects after TIMEOUTS.exit). */
function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${TIMEOUTS.exit} ms`)), TIMEOUTS.exit);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  child.kill('SIGTERM');
  return exited;
}

beforeAll(async () => {
  python = await ensurePythonClient();
}, TIMEOUTS.venv);

beforeAll(
  async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD], TIMEOUTS.compile);
    work = mkdtempSync(join(tmpdir(), 'gs-tritonclient-'));
    const repository = join(work, 'models');
    mkdirSync(repository);
    const models = makeRepository(repository);
    writeFileSync(join(work, 'expectations.json'), JSON.stringify(await buildExpectations(ROOT, models)));
    const args = ['serve', '--model-repository', repository, '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0'];
    server = spawnServer(args, output);
    const url = (await waitForLine(server, output, /listening on http:\/\/(127\.0\.0\.1:\d+)/, TIMEOUTS.listen))[1]!;
    const stdout = await run(
      python,
      [SCRIPT, '--url', url, '--expect', join(work, 'expectations.json')],
      TIMEOUTS.script,
    );
    results = JSON.parse(stdout.trim().split('\n').pop()!) as CallResult[];
    const grpc = (await waitForLine(server, output, /gRPC listening on (127\.0\.0\.1:\d+)/, TIMEOUTS.listen))[1]!;
    const grpcOut = await run(
      python,
      [GRPC_SCRIPT, '--url', grpc, '--expect', join(work, 'expectations.json')],
      TIMEOUTS.script,
    );
    grpcResults = JSON.parse(grpcOut.trim().split('\n').pop()!) as CallResult[];
  },
  TIMEOUTS.compile + TIMEOUTS.listen + 2 * TIMEOUTS.script + 30_000,
);

beforeAll(
  async () => {
    const args = ['serve', '--model-repository', join(work, 'models'), '--host', '127.0.0.1', '--port', '0'];
    explicit = spawnServer(
      [...args, '--grpc-port', '0', '--model-control-mode', 'explicit', '--load-model', 'iris'],
      explicitOutput,
    );
    const http = (
      await waitForLine(explicit, explicitOutput, /listening on http:\/\/(127\.0\.0\.1:\d+)/, TIMEOUTS.listen)
    )[1]!;
    const grpc = (
      await waitForLine(explicit, explicitOutput, /gRPC listening on (127\.0\.0\.1:\d+)/, TIMEOUTS.listen)
    )[1]!;
    const out = await run(
      python,
      [REPOSITORY_SCRIPT, '--grpc', grpc, '--http', http, '--expect', join(work, 'expectations.json')],
      TIMEOUTS.script,
    );
    repositoryResults = JSON.parse(out.trim().split('\n').pop()!) as CallResult[];
  },
  TIMEOUTS.listen + TIMEOUTS.script + 10_000,
);

afterAll(() => {
  for (const child of [server, explicit]) {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('tritonclient.http against graphserve serve', () => {
  it('reports exactly the calls listed here', () => {
    expect(results.map((r) => r.call)).toEqual(CALLS);
  });

  it.each(CALLS)('%s', (call) => {
    const result = results.find((r) => r.call === call);
    expect(result).toBeDefined();
    // on failure jest shows the script's detail: what the call got and what it should have got
    expect(result!.ok ? 'ok' : `FAILED: ${result!.detail}`).toBe('ok');
  });

  it('reports exactly the gRPC calls listed here', () => {
    expect(grpcResults.map((r) => r.call)).toEqual(GRPC_CALLS);
  });

  it.each(GRPC_CALLS)('%s', (call) => {
    const result = grpcResults.find((r) => r.call === call);
    expect(result).toBeDefined();
    expect(result!.ok ? 'ok' : `FAILED: ${result!.detail}`).toBe('ok');
  });

  it('stops the server with SIGTERM, which exits 0', async () => {
    expect(await stop(server)).toBe(0);
  });
});

describe('tritonclient.grpc and .http against graphserve serve --model-control-mode explicit', () => {
  it('reports exactly the repository calls listed here', () => {
    expect(repositoryResults.map((r) => r.call)).toEqual(REPOSITORY_CALLS);
  });

  it.each(REPOSITORY_CALLS)('%s', (call) => {
    const result = repositoryResults.find((r) => r.call === call);
    expect(result).toBeDefined();
    expect(result!.ok ? 'ok' : `FAILED: ${result!.detail}`).toBe('ok');
  });

  it('stops the explicit-mode server with SIGTERM, which exits 0', async () => {
    expect(await stop(explicit)).toBe(0);
  });
});
