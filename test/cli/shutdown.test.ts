/**
 * `graphserve serve` loses no request on SIGTERM. 64 clients send iris inferences in a closed loop,
 * over keep-alive connections or one connection per request (`connection: close`); SIGTERM arrives
 * mid-load. Every request that was sent must get a complete answer: 200, or 503 GS_SHUTTING_DOWN once
 * the server drains. A client stops at its first 503 (as a load balancer would take the server out) or
 * when the server refuses its connection (nothing was sent). Any other end — a reset or a closed
 * connection after the request went out — is a lost request, and there must be none.
 *
 * A request that is still running when the drain timeout passes is answered 503 and the process exits 0.
 */
import * as http from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CliChild,
  ROOT,
  compileSources,
  listeningUrl,
  startCli,
  stopCli,
  waitForOutput,
  writeUserRepo,
} from './cli-child';

const CLIENTS = 64;
const IRIS = join(ROOT, 'examples', 'models', 'iris');
const BODY = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
});

interface Tally {
  ok: number;
  shuttingDown: number;
  refused: number;
  /** Requests that went out and got no complete answer, with what happened. */
  lost: string[];
  /** Answers that are neither 200 nor 503 GS_SHUTTING_DOWN. */
  unexpected: string[];
}

type Outcome = 'ok' | 'stop';

/** One request; records its outcome in `tally`. */
function send(url: string, agent: http.Agent | false, tally: Tally): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(BODY)),
    };
    if (agent === false) headers['connection'] = 'close';
    const req = http.request(`${url}/v2/models/iris/infer`, { method: 'POST', headers, agent }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        if (res.statusCode === 200) {
          tally.ok++;
          resolve('ok');
          return;
        }
        const code = (JSON.parse(text) as { code?: string }).code;
        if (res.statusCode === 503 && code === 'GS_SHUTTING_DOWN') tally.shuttingDown++;
        else tally.unexpected.push(`${res.statusCode} ${text}`);
        resolve('stop');
      });
      res.on('error', (err) => {
        tally.lost.push(`answer cut: ${err.message}`);
        resolve('stop');
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') tally.refused++;
      else tally.lost.push(`${err.code ?? ''} ${err.message}`);
      resolve('stop');
    });
    req.end(BODY);
  });
}

async function loop(url: string, agent: http.Agent | false, tally: Tally): Promise<void> {
  while ((await send(url, agent, tally)) === 'ok');
}

function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'iris'), { recursive: true });
  for (const file of ['model.onnx', 'model-settings.json']) copyFileSync(join(IRIS, file), join(repo, 'iris', file));
  return repo;
}

let build: string;
let dir: string;
let cli: CliChild | undefined;

beforeAll(() => {
  build = compileSources('shutdown');
  dir = mkdtempSync(join(tmpdir(), 'gs-shutdown-'));
}, 120_000);

afterEach(() => stopCli(cli));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['keep-alive', () => new http.Agent({ keepAlive: true, maxSockets: CLIENTS })],
  ['connection: close', () => false as const],
])(`SIGTERM under ${CLIENTS} concurrent clients`, (kind, makeAgent) => {
  it(`loses no request on ${kind} connections`, async () => {
    cli = startCli(build, ['--model-repository', makeRepo(dir), '--drain-timeout', '20']);
    const url = await listeningUrl(cli);
    const tally: Tally = { ok: 0, shuttingDown: 0, refused: 0, lost: [], unexpected: [] };
    const agent = makeAgent();
    const clients = Array.from({ length: CLIENTS }, () => loop(url, agent, tally));
    for (let i = 0; i < 3000 && tally.ok < 500; i++) await new Promise((r) => setTimeout(r, 10));
    expect(tally.ok).toBeGreaterThanOrEqual(500); // under load when the signal comes
    cli.child.kill('SIGTERM');
    await Promise.all(clients);
    if (agent) agent.destroy();
    expect(await cli.exited).toBe(0);
    expect(cli.output.text).toContain('"msg":"stopped"');
    expect(tally.lost).toEqual([]);
    expect(tally.unexpected).toEqual([]);
    expect(tally.shuttingDown + tally.refused).toBe(CLIENTS); // every client ended by being told
  }, 90_000);
});

describe('the drain timeout', () => {
  it('answers a request still running after --drain-timeout with 503 and exits 0', async () => {
    const hang = `class Hang extends V2ModelServer {
  load() { this.model = 'hang'; }
  predict() { process.stdout.write('predict started\\n'); return new Promise(() => {}); }
}`;
    const repo = writeUserRepo(build, join(dir, 'hang'), hang, { hang: 'Hang' });
    cli = startCli(build, [
      '--model-repository',
      repo.dir,
      '--module',
      repo.module,
      '--drain-timeout',
      '0.5',
      '--request-timeout',
      '0',
    ]);
    const url = await listeningUrl(cli);
    const answer = fetch(`${url}/v2/models/hang/infer`, { method: 'POST', body: '{"inputs": [1]}' });
    await waitForOutput(cli, /predict started/);
    cli.child.kill('SIGTERM');
    const res = await answer;
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: 'the server stopped before the request finished',
      code: 'GS_SHUTTING_DOWN',
    });
    expect(await cli.exited).toBe(0);
  }, 60_000);
});
