/**
 * One user's bug never takes the other models down: a model whose predict leaves a rejected promise
 * nobody awaits and throws from a timer does not end `graphserve serve` (a child process): both errors
 * are logged with their stack and counted in graphserve_uncaught_errors_total, and every model keeps
 * serving. guardProcess() installs its handlers once per process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileSources,
  listeningUrl,
  startCli,
  stopCli,
  waitForOutput,
  writeUserRepo,
  type CliChild,
} from './cli-child';

let build: string;
let cli: CliChild;
let url: string;

function makeRepo(): { dir: string; module: string } {
  const classes = `class Echo extends V2ModelServer {
  load() {}
  predict(request) { return request.inputs; }
}
class Chaos extends Echo {
  predict(request) {
    setTimeout(() => Promise.reject(new Error('rejected on purpose')));
    setTimeout(() => { throw new Error('thrown on purpose'); });
    return super.predict(request);
  }
}`;
  return writeUserRepo(build, mkdtempSync(join(tmpdir(), 'gs-guard-')), classes, { chaos: 'Chaos', echo: 'Echo' });
}

function infer(model: string, inputs: unknown[]): Promise<Response> {
  return fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify({ inputs }) });
}

beforeAll(async () => {
  build = compileSources('guard');
  const repo = makeRepo();
  cli = startCli(build, ['--model-repository', repo.dir, '--module', repo.module]);
  url = await listeningUrl(cli);
}, 120_000);

afterAll(() => stopCli(cli));

describe('graphserve serve with a model that leaves stray errors', () => {
  it('answers the request that caused them, logs both with their stack, and keeps serving every model', async () => {
    const res = await infer('chaos', [7]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outputs: unknown }).outputs).toEqual([7]);
    await waitForOutput(cli, /"msg":"unhandledRejection: Error: rejected on purpose\\n\s+at /);
    await waitForOutput(cli, /"msg":"uncaughtException: Error: thrown on purpose\\n\s+at /);

    expect((await infer('echo', [1, 2])).status).toBe(200);
    expect((await infer('chaos', [3])).status).toBe(200);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    expect(cli.child.exitCode).toBeNull();
    expect(cli.child.signalCode).toBeNull();
  });

  it('counts them by kind in /metrics', async () => {
    // The second chaos request above left two more; wait until both are logged.
    await waitForOutput(cli, /(uncaughtException: Error: thrown on purpose[\s\S]*){2}/);
    await waitForOutput(cli, /(unhandledRejection: Error: rejected on purpose[\s\S]*){2}/);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('# TYPE graphserve_uncaught_errors_total counter');
    expect(text).toMatch(/^graphserve_uncaught_errors_total\{kind="unhandledRejection"\} 2$/m);
    expect(text).toMatch(/^graphserve_uncaught_errors_total\{kind="uncaughtException"\} 2$/m);
  });
});

describe('guardProcess', () => {
  it('installs its handlers once per process, however often it is called', () => {
    const script = `
const { guardProcess } = require(${JSON.stringify(join(build, 'src', 'server', 'process-guard.js'))});
const { processMetrics } = require(${JSON.stringify(join(build, 'src', 'graph-server', 'metrics.js'))});
const logged = [];
const logger = { error: (message) => logged.push(message.split('\\n')[0]) };
const calls = [guardProcess(logger), guardProcess(logger), guardProcess(logger)];
Promise.reject('a string');
setTimeout(async () => {
  const text = await processMetrics().metrics();
  const counts = text.split('\\n').filter((l) => l.startsWith('graphserve_uncaught_errors_total'));
  const listeners = ['unhandledRejection', 'uncaughtException'].map((e) => process.listenerCount(e));
  console.log(JSON.stringify({ calls, listeners, logged, counts }));
});
`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      calls: [true, false, false],
      listeners: [1, 1],
      logged: ['unhandledRejection: non-error value "a string"'],
      counts: [
        'graphserve_uncaught_errors_total{kind="unhandledRejection"} 1',
        'graphserve_uncaught_errors_total{kind="uncaughtException"} 0',
      ],
    });
  });
});
