/**
 * Multi-function graphs over Redis Streams, each function's part built and consumed the way `graphserve
 * serve --function` does it, with events in over HTTP and over a source stream.
 */
import { serve, type RunningServer } from '../../src/server/http/http';
import { uniqueName } from './brokers';
import { byId, pipeline, startPart, useRedis, waitFor, type RunningPart } from './harness';

const redis = useRedis();
const running: RunningPart[] = [];
let http: RunningServer | undefined;

afterEach(async () => {
  await http?.close();
  http = undefined;
  for (const part of running.splice(0)) await part.close();
});

const url = (key: string): string => `redis://${redis.address}/${key}`;

describe('multi-function graphs over Redis Streams', () => {
  it('carries every event posted over HTTP through a two-function graph', async () => {
    const [q1, out] = [uniqueName('q1'), uniqueName('out')];
    const fn = pipeline('two', [url(q1), url(out)]);
    running.push(await startPart(fn, 'enrich'));
    const root = await startPart(fn, '');
    running.push(root);
    http = await serve(root.server, { host: '127.0.0.1', port: 0 });
    const ids: string[] = [];
    for (let seq = 0; seq < 20; seq++) {
      const headers = { 'content-type': 'application/json' };
      const res = await fetch(`${http.url}/`, { method: 'POST', headers, body: JSON.stringify({ seq }) });
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { id: string }).id);
    }
    await waitFor(async () => byId(await redis.reader.read(out)).size === 20, 15_000, '20 events out');
    const events = byId(await redis.reader.read(out));
    for (const [i, id] of ids.entries()) {
      expect(events.get(id)?.body).toEqual({ seq: i, pre: true, enriched: true });
    }
  });

  it('keeps the order of each key through three functions fed by a source stream', async () => {
    const [source, q1, q2, out] = ['src', 'q1', 'q2', 'out'].map(uniqueName);
    const fn = pipeline('three', [url(q1!), url(q2!), url(out!)]);
    running.push(await startPart(fn, 'score'), await startPart(fn, 'enrich'), await startPart(fn, '', url(source!)));
    const messages = Array.from({ length: 30 }, (_, seq) => ({ key: `k${seq % 3}`, value: { seq } }));
    await redis.reader.add(source!, messages);
    await waitFor(async () => (await redis.reader.read(out!)).length >= 30, 15_000, '30 events out');
    const published = await redis.reader.read(out!);
    for (const key of ['k0', 'k1', 'k2']) {
      const seqs = published.filter((p) => p.key === key).map((p) => p.body.seq as number);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(10);
    }
    expect(published[0]!.body).toMatchObject({ pre: true, enriched: true, score: 0 });
  });
});
