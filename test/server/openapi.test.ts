/**
 * The OpenAPI document (/v2/docs/openapi.json) and Swagger UI (/v2/docs) of a real server over a model
 * repository: the document is valid OpenAPI 3 (@readme/openapi-parser), every documented path and
 * method is answered (never 404), every method a path answers (its OPTIONS Allow) is documented, and
 * paths the document does not have answer 404.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { buildRepositoryServer, disposeModels } from '../../src/cli/repository-server';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { V2ModelServer } from '../../src/model/v2-model-server';
import { silentLogger } from '../../src/step/context';
import { registerClass } from '../../src/step/registry';
import { serve, type RunningServer } from '../../src/server/http/http';

const EXAMPLES = join(__dirname, '..', '..', 'examples', 'models');

/** A model with a custom operation (op_hello) and explain(), so those paths have something to answer. */
class Greeter extends V2ModelServer {
  override load(): void {
    this.model = 'greeter';
  }

  override explain(): { why: string } {
    return { why: 'because' };
  }

  op_hello(): { hello: string } {
    return { hello: 'world' };
  }
}
registerClass('Greeter', Greeter);

type Doc = { paths: Record<string, Record<string, unknown>> };

let graph: GraphServer;
let server: RunningServer;
let doc: Doc;

beforeAll(async () => {
  const repo = mkdtempSync(join(tmpdir(), 'gs-openapi-'));
  mkdirSync(join(repo, 'iris'));
  copyFileSync(join(EXAMPLES, 'iris', 'model.onnx'), join(repo, 'iris', 'model.onnx'));
  writeFileSync(join(repo, 'iris', 'model-settings.json'), '{"version": "1"}');
  mkdirSync(join(repo, 'greeter'));
  writeFileSync(join(repo, 'greeter', 'model-settings.json'), '{"className": "Greeter", "version": "1"}');
  graph = await buildRepositoryServer({ modelRepository: repo, logger: silentLogger }, () => undefined);
  server = await serve(graph, { host: '127.0.0.1', port: 0 });
  doc = (await (await fetch(`${server.url}/v2/docs/openapi.json`)).json()) as Doc;
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (graph) await disposeModels(graph);
});

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

/** A concrete URL path for a documented template. */
function concrete(template: string, model = 'iris'): string {
  return template
    .replace('{model}', template.includes('{operation}') || template.endsWith('/explain') ? 'greeter' : model)
    .replace('{version}', '1')
    .replace('{operation}', 'hello')
    .replace('{file}', 'swagger-ui.css');
}

/** A body each documented POST accepts. */
function bodyFor(path: string): string {
  if (path.startsWith('/v2/repository/models/')) return '{}';
  if (path === '/v2/repository/index') return '{}';
  return JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result).toMatchObject({ valid: true });
    expect(doc).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: 'graphserve HTTP API' } });
  });

  it('documents the whole API: health, metadata, inference, repository, config/stats, metrics, pictures', () => {
    const paths = Object.keys(doc.paths);
    for (const path of [
      '/v2',
      '/v2/health/ready',
      '/v2/models/{model}',
      '/v2/models/{model}/infer',
      '/v2/models/{model}/versions/{version}/infer',
      '/v2/repository/index',
      '/v2/repository/models/{model}/load',
      '/v2/repository/models/{model}/unload',
      '/v2/models/{model}/config',
      '/v2/models/{model}/versions/{version}/stats',
      '/metrics',
      '/graph.svg',
    ]) {
      expect(paths).toContain(path);
    }
  });

  it('has every documented path and method answered, never 404 or 405', async () => {
    const misses: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS.filter((m) => m in item)) {
        const path = concrete(template);
        if (template.endsWith('/unload')) continue; // answered below, last, so that iris stays loaded
        const res = await fetch(`${server.url}${path}`, {
          method: method.toUpperCase(),
          body: method === 'get' ? undefined : bodyFor(path),
        });
        await res.arrayBuffer();
        if (res.status === 404 || res.status === 405) misses.push(`${method.toUpperCase()} ${path}: ${res.status}`);
      }
    }
    const unload = await fetch(`${server.url}/v2/repository/models/greeter/unload`, { method: 'POST', body: '{}' });
    expect(unload.status).toBe(200);
    expect(misses).toEqual([]);
  });

  it('documents every method a path answers (its OPTIONS Allow)', async () => {
    const undocumented: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      if (template.startsWith('/v2/docs')) continue; // Swagger UI's own routes, not GraphServer's
      const res = await fetch(`${server.url}${concrete(template)}`, { method: 'OPTIONS' });
      if (res.status === 404) continue; // paths GraphServer answers before the graph (metrics, pictures)
      expect(res.status).toBe(204);
      for (const method of (res.headers.get('allow') ?? '').split(', ')) {
        if (method !== 'OPTIONS' && !(method.toLowerCase() in item)) undocumented.push(`${method} ${template}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  it.each([
    ['GET', '/v2/docsx'],
    ['GET', '/v2/model'],
    ['GET', '/v2/modelz'],
    ['DELETE', '/v2/models/iris'],
    ['PUT', '/v2/repository/index'],
    ['POST', '/v2/repository'],
    ['POST', '/v2/repository/models/iris/reload'],
    ['GET', '/v2/models/iris/versions/1/infer/more'],
    ['GET', '/v2/docs/static/nothing-here.js'],
  ])('answers 404 or 405 to %s %s, which it does not document', async (method, path) => {
    const res = await fetch(`${server.url}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
    expect([404, 405]).toContain(res.status);
  });
});

describe('Swagger UI', () => {
  it('is served at /v2/docs and reads the document', async () => {
    const page = await fetch(`${server.url}/v2/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('swagger-ui');
    const init = await (await fetch(`${server.url}/v2/docs/static/swagger-initializer.js`)).text();
    expect(init).toContain('json');
    expect(await (await fetch(`${server.url}/v2/docs/json`)).json()).toEqual(doc);
  });
});
