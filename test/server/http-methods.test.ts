/**
 * Methods over real HTTP: a wrong method on a known route answers 405 with Allow, OPTIONS answers the
 * route's methods without running anything, and GET /v2 is the server's own metadata.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { V2ModelServer, newFunction, silentLogger, type ModelRequest } from '../../src';
import { serve, type RunningServer } from '../../src/server/http/http';
import { request } from './http-support';

let predictions = 0;

class Counter extends V2ModelServer {
  override load(): void {
    this.model = 'counter';
  }
  override predict(req: ModelRequest): unknown {
    predictions++;
    return req.inputs;
  }
}

let server: RunningServer;

beforeAll(async () => {
  const fn = newFunction('methods');
  fn.addModel('m', { className: Counter });
  server = await serve(await fn.toGraphServer({ logger: silentLogger }), { host: '127.0.0.1', port: 0 });
});

afterAll(() => server.close());

function json(body: Buffer): unknown {
  return JSON.parse(body.toString());
}

describe('a wrong method on a known route', () => {
  it.each([
    ['GET', '/v2/models/m/infer', 'POST', 'operation infer of model m takes POST, not GET'],
    ['PUT', '/v2/models/m/infer', 'POST', 'operation infer of model m takes POST, not PUT'],
    ['DELETE', '/v2/models/m', 'GET, POST', 'model m takes GET or POST, not DELETE'],
    ['POST', '/v2/models/m/ready', 'GET', 'operation ready of model m takes GET, not POST'],
    ['POST', '/v2/health/ready', 'GET', '/v2/health/ready takes GET, not POST'],
    ['PATCH', '/v2/health/live', 'GET', '/v2/health/live takes GET, not PATCH'],
    ['POST', '/v2', 'GET', '/v2 takes GET, not POST'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow, error) => {
    const before = predictions;
    const res = await request(`${server.url}${path}`, { method, body: '{"inputs": [1]}' });
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe(allow);
    expect(json(res.body)).toEqual({ error, code: 'GS_METHOD_NOT_ALLOWED' });
    expect(predictions).toBe(before);
  });

  it('still runs inference on POST to the model itself, as MLRun does', async () => {
    const res = await request(`${server.url}/v2/models/m`, { method: 'POST', body: '{"inputs": [4]}' });
    expect(res.status).toBe(200);
    expect(json(res.body)).toMatchObject({ outputs: [4] });
  });
});

describe('OPTIONS', () => {
  it.each([
    ['/v2/models/m/infer', 'POST, OPTIONS'],
    ['/v2/models/m', 'GET, POST, OPTIONS'],
    ['/v2/models/m/ready', 'GET, OPTIONS'],
    ['/v2/health/live', 'GET, OPTIONS'],
    ['/v2/models', 'GET, POST, OPTIONS'],
  ])('answers %s with 204 and Allow: %s, running nothing', async (path, allow) => {
    const before = predictions;
    const res = await request(`${server.url}${path}`, { method: 'OPTIONS', body: '{"inputs": [1]}' });
    expect(res.status).toBe(204);
    expect(res.headers['allow']).toBe(allow);
    expect(res.body.length).toBe(0);
    expect(predictions).toBe(before);
  });

  it('answers 404 for a path nothing serves', async () => {
    const res = await request(`${server.url}/v2/models/nope/infer`, { method: 'OPTIONS' });
    expect(res.status).toBe(404);
    expect(json(res.body)).toEqual({ error: 'no route for OPTIONS /v2/models/nope/infer', code: 'GS_NOT_FOUND' });
  });
});

describe('GET /v2', () => {
  it("answers the server's own name and version and the extensions it implements", async () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const res = await request(`${server.url}/v2`);
    expect(res.status).toBe(200);
    expect(json(res.body)).toEqual({
      name: 'graphserve',
      version: manifest.version,
      extensions: ['binary_tensor_data', 'classification'],
    });
  });
});
