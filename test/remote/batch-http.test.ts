import { BatchHttpRequests, RemoteStepError, type Event } from '../../src';
import { json, useTestServers, type Handler } from './http-fixture';

const { serve, track } = useTestServers();

function batch(options: ConstructorParameters<typeof BatchHttpRequests>[0]): BatchHttpRequests {
  return track(new BatchHttpRequests({ name: 'batch', backoffFactor: 0.001, ...options }));
}

const event = (body: unknown): Event => ({ id: 'ev', path: '/', method: 'POST', headers: {}, body });

/** Answers the `data` field it was sent, later for smaller values, so completion order is reversed. */
const reverseEcho: Handler = (req, res) => {
  const { data } = JSON.parse(req.body) as { data: number };
  setTimeout(() => json(res, data), (5 - data) * 10);
};

describe('BatchHttpRequests', () => {
  it('sends one request per item and answers in input order', async () => {
    const { url, server } = await serve(reverseEcho);
    const items = [0, 1, 2, 3, 4].map((data) => ({ url: `${url}/${data}`, data }));
    const s = batch({ urlExpression: (item) => (item as { url: string }).url });
    expect(await s.doEvent(event(items))).toEqual([0, 1, 2, 3, 4]);
    expect(server.seen.map((r) => r.url).sort()).toEqual(['/0', '/1', '/2', '/3', '/4']);
  });

  it('keeps at most maxInFlight requests on the wire', async () => {
    const { url, server } = await serve(reverseEcho);
    const items = [0, 1, 2, 3, 4, 0, 1, 2].map((data) => ({ data }));
    expect(await batch({ url, maxInFlight: 2 }).doEvent(event(items))).toEqual([0, 1, 2, 3, 4, 0, 1, 2]);
    expect(server.maxConcurrent).toBeLessThanOrEqual(2);
  });

  it('retries each item on its own', async () => {
    const attempts = new Map<string, number>();
    const { url, server } = await serve((req, res) => {
      const n = (attempts.get(req.url) ?? 0) + 1;
      attempts.set(req.url, n);
      if (n === 1) json(res, 'flaky', 500);
      else json(res, req.url);
    });
    const s = batch({ urlExpression: (item, { endpoint }) => `${url}/${String(item)}${endpoint ?? ''}`, retries: 1 });
    expect(await s.doEvent(event(['a', 'b']))).toEqual(['/a', '/b']);
    expect(server.seen).toHaveLength(4);
  });

  it('makes exactly one attempt per item with retries 0', async () => {
    const { url, server } = await serve((req, res) => json(res, 'down', 503));
    await expect(batch({ url, retries: 0 }).doEvent(event([{ a: 1 }, { a: 2 }]))).rejects.toThrow(RemoteStepError);
    expect(server.seen).toHaveLength(2);
  });

  it('fails on a 4xx answer, naming the item, without retrying it', async () => {
    const { url, server } = await serve((req, res) => json(res, 'nope', 404));
    await expect(batch({ url, retries: 2 }).doEvent(event([{ a: 1 }]))).rejects.toThrow(
      `item 0: POST ${url} answered 404`,
    );
    expect(server.seen).toHaveLength(1);
  });

  it('reads inputPath, writes resultPath, and maps items with bodyExpression', async () => {
    const { url, server } = await serve((req, res) => json(res, JSON.parse(req.body)));
    const s = batch({
      url,
      subpath: 'score',
      inputPath: 'items',
      resultPath: 'scores',
      bodyExpression: (x) => ({ x }),
    });
    const out = await s.doEvent(event({ items: [1, 2], keep: true }));
    expect(out).toEqual({ items: [1, 2], keep: true, scores: [{ x: 1 }, { x: 2 }] });
    expect(server.seen[0]!.url).toBe('/score');
  });

  it('rejects a body that is not a list', async () => {
    await expect(batch({ url: 'http://127.0.0.1:9' }).doEvent(event({ a: 1 }))).rejects.toThrow('must be a list');
  });
});
