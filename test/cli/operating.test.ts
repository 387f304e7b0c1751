/**
 * Operating `graphserve serve` in a child process: --version, text logs, the access log, the settings
 * file (--config) and its precedence (command line > environment > file > defaults), CORS, and the CLI
 * errors that say where the problem is: a --module that fails to load (file and line), a port in use
 * (before any model loads), a settings file with several mistakes (all of them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileSources,
  listeningUrl,
  ROOT,
  startCli,
  stopAllClis,
  waitForOutput,
  writeUserRepo,
  type CliChild,
} from './cli-child';

let build: string;
let root: string;
let repo: { dir: string; module: string };

const ECHO = `class Echo extends V2ModelServer {
  load() { process.emitWarning('echo has no model file', { code: 'ECHO_WARNING' }); }
  predict(request) { this.context.logger.info('echoing'); return { echoed: request.inputs }; }
}`;

function start(args: string[], env: Record<string, string> = {}): CliChild {
  return startCli(build, args, env);
}

/** The lines of an access log once it has `count` (each is written after its response has gone; at most 5 s). */
async function accessLogLines(file: string, count: number): Promise<string[]> {
  let lines: string[] = [];
  for (let i = 0; i < 250 && lines.length < count; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    lines = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
      : [];
  }
  return lines;
}

/** Writes `settings` as a settings file; returns its path. */
function settingsFile(name: string, settings: unknown): string {
  const file = join(root, name);
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

beforeAll(() => {
  build = compileSources('operating');
  root = mkdtempSync(join(tmpdir(), 'gs-operating-'));
  repo = writeUserRepo(build, root, ECHO, { echo: 'Echo' });
}, 120_000);

afterAll(stopAllClis);

describe('graphserve --version', () => {
  it.each(['--version', '-V'])('%s prints the package version', (flag) => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const out = execFileSync(process.execPath, [join(build, 'src', 'cli', 'main.js'), flag], { encoding: 'utf8' });
    expect(out.trim()).toBe(version);
  });
});

describe('logs', () => {
  it("logs process warnings as warn lines, not Node's own text", async () => {
    const cli = start(['--model-repository', repo.dir, '--module', repo.module]);
    await listeningUrl(cli);
    expect(cli.output.text).toMatch(/^\{"level":40,.*"code":"ECHO_WARNING","msg":"echo has no model file"\}$/m);
    expect(cli.output.text).not.toContain('(node:');
  });

  it.each([
    ['all', /^\{"level":30,[^\n]*"reqId":"ids-1"[^\n]*"msg":"echoing"\}$/m],
    ['server', /^\{"level":30,[^\n]*"msg":"echoing"\}$/m],
  ])("--log-request-ids %s: a model's own line during the request carries its id, or not", async (scope, line) => {
    const cli = start(['--model-repository', repo.dir, '--module', repo.module], { GRAPHSERVE_LOG_REQUEST_IDS: scope });
    const url = await listeningUrl(cli);
    const res = await fetch(`${url}/v2/models/echo/infer`, {
      method: 'POST',
      headers: { 'x-request-id': 'ids-1' },
      body: '{"inputs": [1]}',
    });
    expect(res.status).toBe(200);
    const [found] = await waitForOutput(cli, line);
    expect(found.includes('"reqId"')).toBe(scope === 'all');
  });
});

describe('a settings file (--config)', () => {
  it('sets the log format, the access log, CORS and readiness, as flags would', async () => {
    const accessLog = join(root, 'logs', 'access.log');
    const config = settingsFile('settings.json', {
      modelRepository: repo.dir,
      module: repo.module,
      logFormat: 'text',
      accessLog,
      corsOrigin: 'http://app.example',
      strictReadiness: false,
    });
    const cli = start(['--config', config]);
    const url = await listeningUrl(cli);
    expect(cli.output.text).toMatch(/^\S+Z INFO listening on http:\/\/127\.0\.0\.1:\d+ version=\d+\.\d+\.\d+/m);
    expect(cli.output.text).toMatch(/^\S+Z INFO model echo: ready \(Echo\)$/m);
    const res = await fetch(`${url}/v2/models/echo/infer`, {
      method: 'POST',
      headers: { origin: 'http://app.example', 'x-request-id': 'op-1' },
      body: '{"inputs": [1, 2]}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect((await fetch(`${url}/v2/models/nope/infer`, { method: 'POST', body: '{}' })).status).toBe(404);
    const lines = (await accessLogLines(accessLog, 2)).map((line) => JSON.parse(line) as object);
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'op-1', method: 'POST', path: '/v2/models/echo/infer', model: 'echo' }),
      expect.objectContaining({ status: 404, code: 'GS_MODEL_NOT_FOUND', model: 'nope' }),
    ]);
    expect(lines[0]).toMatchObject({ status: 200, code: null, responseTimeMs: expect.any(Number) });
  });

  it('gives way to the environment, and the environment to the command line', async () => {
    const config = settingsFile('text.json', { modelRepository: repo.dir, module: repo.module, logFormat: 'text' });
    const fromEnv = start(['--config', config], { GRAPHSERVE_LOG_FORMAT: 'json' });
    await listeningUrl(fromEnv);
    expect(fromEnv.output.text).toMatch(/^\{"level":30,.*"msg":"listening on http:/m);
    const fromFlag = start(['--config', config, '--log-format', 'text'], { GRAPHSERVE_LOG_FORMAT: 'json' });
    await listeningUrl(fromFlag);
    expect(fromFlag.output.text).toMatch(/^\S+Z INFO listening on http:/m);
  });

  it('with three mistakes: reports all three and exits 1', async () => {
    const config = settingsFile('bad.json', {
      modelRepository: repo.dir,
      requestTimeout: -1,
      logLevel: 'loud',
      strictReadines: false,
    });
    const cli = start(['--config', config]);
    expect(await cli.exited).toBe(1);
    expect(cli.output.text).toContain(`settings file ${config}: `);
    expect(cli.output.text).toContain('requestTimeout: request timeout must be a number of seconds >= 0');
    expect(cli.output.text).toContain(
      'logLevel: must be one of fatal, error, warn, info, debug, trace, silent, not loud',
    );
    expect(cli.output.text).toContain('strictReadines: not a setting');
  });
});

describe("V8's garbage collector (--heap-growing-percent, --memory-reducer)", () => {
  it('sets 300% and no memory reducer by default, says so on the listening line; V8 its own on request', async () => {
    const args = ['--model-repository', repo.dir, '--module', repo.module];
    const byDefault = start(args);
    await listeningUrl(byDefault);
    expect(byDefault.output.text).toMatch(
      /"v8Flags":"--heap-growing-percent=300 --no-memory-reducer".*"msg":"listening on http:/,
    );
    const own = start([...args, '--memory-reducer'], { GRAPHSERVE_HEAP_GROWING_PERCENT: '0' });
    await listeningUrl(own);
    expect(own.output.text).toMatch(/"v8Flags":null.*"msg":"listening on http:/);
    const fromEnv = start(args, { GRAPHSERVE_MEMORY_REDUCER: 'true' });
    await listeningUrl(fromEnv);
    expect(fromEnv.output.text).toMatch(/"v8Flags":"--heap-growing-percent=300".*"msg":"listening on http:/);
    const tooMuch = start([...args, '--heap-growing-percent', '1001']);
    expect(await tooMuch.exited).toBe(1);
    expect(tooMuch.output.text).toContain('heap growing percent must be an integer from 0 to 1000');
  });
});

describe('the event loop spin (--event-loop-spin-micros)', () => {
  it('spins 200 µs by default, as set by the flag or its variable, and refuses a value out of range', async () => {
    const args = ['--model-repository', repo.dir, '--module', repo.module];
    const byDefault = start(args);
    await listeningUrl(byDefault);
    expect(byDefault.output.text).toMatch(/"eventLoopSpinMicros":200,.*"msg":"listening on http:/);
    const off = start(args, { GRAPHSERVE_EVENT_LOOP_SPIN_MICROS: '0' });
    await listeningUrl(off);
    expect(off.output.text).toMatch(/"eventLoopSpinMicros":0,.*"msg":"listening on http:/);
    const flag = start([...args, '--event-loop-spin-micros', '750']);
    await listeningUrl(flag);
    expect(flag.output.text).toMatch(/"eventLoopSpinMicros":750,.*"msg":"listening on http:/);
    const tooMuch = start([...args, '--event-loop-spin-micros', '100001']);
    expect(await tooMuch.exited).toBe(1);
    expect(tooMuch.output.text).toContain('event-loop spin must be an integer from 0 to 100000');
  });
});

describe('errors that say where the problem is', () => {
  it('a --module with a syntax error: names the file and the line', async () => {
    const module = join(root, 'broken.js');
    writeFileSync(module, 'class Echo {\n  predict() {}\n  oops oops\n}\nmodule.exports = { Echo };\n');
    const cli = start(['--model-repository', repo.dir, '--module', module]);
    expect(await cli.exited).toBe(1);
    expect(cli.output.text).toContain(`cannot load --module ${module}:3: SyntaxError: `);
    expect(cli.output.text).not.toMatch(/model echo/);
  });

  it('a --module that throws while it loads: names the file, the line and the error', async () => {
    const module = join(root, 'throws.js');
    writeFileSync(module, 'const x = 1;\n\nthrow new Error(`no database at ${x}`);\n');
    const cli = start(['--model-repository', repo.dir, '--module', module]);
    expect(await cli.exited).toBe(1);
    expect(cli.output.text).toContain(`cannot load --module ${module}:3:7: Error: no database at 1`);
  });

  it('a port in use: reported before any model loads', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const cli = start(['--model-repository', repo.dir, '--module', repo.module], { GRAPHSERVE_PORT: String(port) });
      expect(await cli.exited).toBe(1);
      expect(cli.output.text).toContain(`port ${port} on 127.0.0.1 is in use by another process; nothing was loaded`);
      expect(cli.output.text).not.toMatch(/model echo/);
    } finally {
      holder.close();
    }
  });
});
