/**
 * The readiness flags of `graphserve serve` in a child process: --exit-on-error (and
 * GRAPHSERVE_EXIT_ON_ERROR) exits 1 after reporting every model when one failed; without it the
 * server listens, not ready, with the failed model answering 503; --no-strict-readiness (and
 * GRAPHSERVE_STRICT_READINESS=false) makes one ready model enough.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSources, listeningUrl, startCli, stopAllClis, writeUserRepo, type CliChild } from './cli-child';

let build: string;
let repo: { dir: string; module: string };

/** A good model (a user class) and a folder without a model. */
function makeRepo(): { dir: string; module: string } {
  const echo = `class Echo extends V2ModelServer {
  load() {}
  predict(request) { return request.inputs; }
}`;
  const repo = writeUserRepo(build, mkdtempSync(join(tmpdir(), 'gs-flags-')), echo, { echo: 'Echo' });
  mkdirSync(join(repo.dir, 'empty'));
  writeFileSync(join(repo.dir, 'empty', 'readme.txt'), 'no model here');
  return repo;
}

function start(args: string[], env: Record<string, string> = {}): CliChild {
  return startCli(build, ['--model-repository', repo.dir, '--module', repo.module, ...args], env);
}

beforeAll(() => {
  build = compileSources('readiness');
  repo = makeRepo();
}, 120_000);

afterAll(stopAllClis);

describe('--exit-on-error', () => {
  it.each([
    ['the flag', ['--exit-on-error'], {}],
    ['GRAPHSERVE_EXIT_ON_ERROR=true', [], { GRAPHSERVE_EXIT_ON_ERROR: 'true' }],
  ])('with %s: reports every model, then exits 1 without listening', async (_how, args, env) => {
    const cli = start(args, env);
    expect(await cli.exited).toBe(1);
    expect(cli.output.text).toMatch(/model echo: ready \(Echo\)/);
    expect(cli.output.text).toMatch(/model empty: FAILED: .*has no model\.onnx/);
    expect(cli.output.text).toMatch(/1 of 2 model\(s\) ready from /);
    expect(cli.output.text).toMatch(/"msg":"1 of 2 model\(s\) failed \(exit on error is on\)"/);
    expect(cli.output.text).not.toMatch(/listening on/);
  });
});

describe('readiness over HTTP', () => {
  it('by default: listens, not ready, the failed model answers 503 and is listed', async () => {
    const url = await listeningUrl(start([]));
    const ready = await fetch(`${url}/v2/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: string }).error).toMatch(/^models not ready: empty \(.*has no model/);
    expect((await fetch(`${url}/v2/models/empty`)).status).toBe(503);
    expect((await fetch(`${url}/v2/models/empty/infer`, { method: 'POST', body: '{"inputs": [1]}' })).status).toBe(503);
    expect((await fetch(`${url}/v2/models/echo/infer`, { method: 'POST', body: '{"inputs": [1]}' })).status).toBe(200);
    expect(await (await fetch(`${url}/v2/models`)).json()).toEqual({ models: ['echo', 'empty'] });
  });

  it.each<{ how: string; args: string[]; env: Record<string, string>; status: number }>([
    { how: '--no-strict-readiness', args: ['--no-strict-readiness'], env: {}, status: 200 },
    { how: 'GRAPHSERVE_STRICT_READINESS=false', args: [], env: { GRAPHSERVE_STRICT_READINESS: 'false' }, status: 200 },
    {
      how: '--strict-readiness over GRAPHSERVE_STRICT_READINESS=false',
      args: ['--strict-readiness'],
      env: { GRAPHSERVE_STRICT_READINESS: 'false' },
      status: 503,
    },
  ])('$how: /v2/health/ready answers $status', async ({ args, env, status }) => {
    const url = await listeningUrl(start(args, env));
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(status);
  });

  it('refuses a GRAPHSERVE_STRICT_READINESS that is not true or false', async () => {
    const cli = start([], { GRAPHSERVE_STRICT_READINESS: 'sometimes' });
    expect(await cli.exited).toBe(1);
    expect(cli.output.text).toMatch(/GRAPHSERVE_STRICT_READINESS must be true or false, not sometimes/);
  });
});
