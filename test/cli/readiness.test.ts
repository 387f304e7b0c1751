/**
 * A model repository's readiness tells the truth: every folder is a route (failed ones answer 503 and
 * are listed), every folder is counted, a repository with no ready model is not ready, and
 * `exitOnError` rejects after reporting every model. Real ONNX Runtime through the addon.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRepositoryServer, disposeModels } from '../../src/cli/repository-server';
import { ModelLoadError } from '../../src/errors';
import type { GraphServer } from '../../src/graph-server/graph-server';

const IRIS = join(__dirname, '..', '..', 'examples', 'models', 'iris', 'model.onnx');

/** Plain JS step classes (no import needed): one whose constructor throws, one whose postInit throws. */
const MODULE = `
class Exploding { constructor() { throw new Error('boom in the constructor'); } }
class BadInit {
  constructor(options) { this.name = options.name; }
  async postInit() { throw new Error('postInit refused'); }
  async doEvent() { return 'never'; }
}
module.exports = { Exploding, BadInit };
`;

type Files = Record<string, string | Buffer | typeof IRIS_FILE>;
const IRIS_FILE = Symbol('iris');

function makeRepo(folders: Record<string, Files>): { dir: string; module: string } {
  const root = mkdtempSync(join(tmpdir(), 'gs-ready-'));
  mkdirSync(join(root, 'repo'));
  for (const [folder, files] of Object.entries(folders)) {
    mkdirSync(join(root, 'repo', folder));
    for (const [name, data] of Object.entries(files)) {
      const path = join(root, 'repo', folder, name);
      if (data === IRIS_FILE) copyFileSync(IRIS, path);
      else writeFileSync(path, data);
    }
  }
  writeFileSync(join(root, 'models.js'), MODULE);
  return { dir: join(root, 'repo'), module: join(root, 'models.js') };
}

/** Every way a folder can fail, and one good model. */
const MIXED: Record<string, Files> = {
  a_no_model: { 'model-settings.json': '{"name": "renamed"}' },
  badsettings: { 'model.onnx': 'x', 'model-settings.json': '{"name": ' },
  constructor_throws: { 'model-settings.json': '{"className": "Exploding"}' },
  corrupt: { 'model.onnx': Buffer.from('not an onnx model') },
  iris: { 'model.onnx': IRIS_FILE, 'model-settings.json': '{"version": "1", "intraOpThreads": 1}' },
  postinit_throws: { 'model-settings.json': '{"className": "BadInit"}' },
  unknown_class: { 'model-settings.json': '{"className": "Nope", "version": "2"}' },
};
const FAILED = ['renamed', 'badsettings', 'constructor_throws', 'corrupt', 'postinit_throws', 'unknown_class'];

const servers: GraphServer[] = [];
afterAll(() => Promise.all(servers.map(disposeModels)));

async function build(
  folders: Record<string, Files>,
  options: { strictReadiness?: boolean; exitOnError?: boolean } = {},
): Promise<{ server: GraphServer; lines: string[] }> {
  const repo = makeRepo(folders);
  const lines: string[] = [];
  const server = await buildRepositoryServer({ modelRepository: repo.dir, module: repo.module, ...options }, (l) =>
    lines.push(l),
  );
  servers.push(server);
  return { server, lines };
}

async function get(server: GraphServer, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const event = { id: '1', path, method: body === undefined ? 'GET' : 'POST', headers: {}, body };
  const res = await server.run(event);
  return { status: res.status, body: res.body };
}

describe('a repository with failed folders', () => {
  let server: GraphServer;
  let lines: string[];
  beforeAll(async () => {
    ({ server, lines } = await build(MIXED));
  });

  it('reports every folder in folder order and counts them all', () => {
    expect(lines.map((l) => l.replace(/: (ready|FAILED).*$/, ': $1'))).toEqual([
      'model renamed: FAILED',
      'model badsettings: FAILED',
      'model constructor_throws: FAILED',
      'model corrupt: FAILED',
      'model iris (version 1): ready',
      'model postinit_throws: FAILED',
      'model unknown_class (version 2): FAILED',
      expect.stringMatching(/^1 of 7 model\(s\) ready from /),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^model renamed: FAILED: .*has no model\.onnx/));
    expect(lines).toContainEqual(expect.stringMatching(/^model constructor_throws: FAILED: .*boom in the constructor/));
    expect(lines).toContainEqual('model postinit_throws: FAILED: postInit refused');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^model unknown_class \(version 2\): FAILED: class Nope was not found in the namespace or registry; known classes: .*\bOnnxModelServer\b/,
      ),
    );
  });

  it('is not ready, and says which models are not, with their reasons', async () => {
    const ready = await get(server, '/v2/health/ready');
    expect(ready.status).toBe(503);
    const message = (ready.body as { error: string }).error;
    expect(message).toMatch(/^models not ready: renamed \(.*has no model\.onnx.*\) \| badsettings \(.*malformed JSON/);
    for (const name of FAILED) expect(message).toContain(`${name} (`);
    expect(message).not.toContain('iris');
  });

  it('lists failed models with the good one', async () => {
    expect((await get(server, '/v2/models')).body).toEqual({
      models: ['renamed', 'badsettings', 'constructor_throws', 'corrupt', 'iris', 'postinit_throws', 'unknown_class'],
    });
  });

  it('answers 503, never 404, for every failed model: metadata, infer and ready', async () => {
    for (const name of FAILED) {
      for (const [path, body] of [[``], [`/infer`, { inputs: [[1, 2, 3, 4]] }], [`/ready`]] as const) {
        const res = await get(server, `/v2/models/${name}${path}`, body);
        expect([name, path, res.status]).toEqual([name, path, 503]);
        expect(res.body).toMatchObject({ code: 'GS_NOT_READY' });
      }
    }
    const renamed = await get(server, '/v2/models/renamed/infer', { inputs: [1] });
    expect((renamed.body as { error: string }).error).toMatch(/^model renamed is not available: .*has no model\.onnx/);
    expect((await get(server, '/v2/models/unknown_class/versions/2/infer', { inputs: [1] })).status).toBe(503);
  });

  it('keeps serving the good model', async () => {
    const res = await get(server, '/v2/models/iris/infer', { inputs: [[5.1, 3.5, 1.4, 0.2]] });
    expect(res.status).toBe(200);
    expect((await get(server, '/v2/models/iris/ready')).status).toBe(200);
  });
});

describe('readiness rules', () => {
  it('is ready with one good model when readiness is not strict', async () => {
    const { server } = await build(MIXED, { strictReadiness: false });
    expect(await get(server, '/v2/health/ready')).toEqual({ status: 200, body: { ready: true } });
  });

  it('is ready when every folder serves', async () => {
    const { server, lines } = await build({ iris: { 'model.onnx': IRIS_FILE } });
    expect(await get(server, '/v2/health/ready')).toEqual({ status: 200, body: { ready: true } });
    expect(lines[lines.length - 1]).toMatch(/^1 of 1 model\(s\) ready/);
  });

  it('is not ready when every folder fails, strict or not', async () => {
    for (const strictReadiness of [true, false]) {
      const { server, lines } = await build(
        { x: { 'readme.txt': 'x' }, y: { 'model-settings.json': '{' } },
        { strictReadiness },
      );
      expect(lines[lines.length - 1]).toMatch(/^0 of 2 model\(s\) ready/);
      expect((await get(server, '/v2/health/ready')).status).toBe(503);
    }
  });

  it('is not ready with an empty repository', async () => {
    const { server, lines } = await build({});
    expect(lines).toEqual([expect.stringMatching(/^0 of 0 model\(s\) ready from /)]);
    expect(await get(server, '/v2/health/ready')).toEqual({
      status: 503,
      body: { error: 'no models are loaded', code: 'GS_NOT_READY' },
    });
  });
});

describe('exitOnError', () => {
  it('reports every model, then rejects when one failed', async () => {
    const repo = makeRepo({ bad: { 'readme.txt': 'x' }, iris: { 'model.onnx': IRIS_FILE } });
    const lines: string[] = [];
    const built = buildRepositoryServer({ modelRepository: repo.dir, exitOnError: true }, (l) => lines.push(l));
    await expect(built).rejects.toThrow(new ModelLoadError('1 of 2 model(s) failed (exit on error is on)'));
    expect(lines).toEqual([
      expect.stringMatching(/^model bad: FAILED: /),
      'model iris: ready (OnnxModelServer, inputs input FP32[-1,4])',
      expect.stringMatching(/^1 of 2 model\(s\) ready/),
    ]);
  });

  it('resolves when every model serves', async () => {
    const { server } = await build({ iris: { 'model.onnx': IRIS_FILE } }, { exitOnError: true });
    expect(server.isReady()).toBe(true);
  });
});
