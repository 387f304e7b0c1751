/**
 * Faults on a stream-fed function (Redis Streams): messages that are not events are logged, counted and
 * acknowledged; a broker that goes away while events flow makes them wait (retried with backoff, readiness
 * down, nothing acknowledged) until it is back, and none is lost.
 */
import { script, startBrokers, type Brokers } from '../../scripts/brokers/brokers';
import { uniqueName } from './brokers';
import { pipeline, RedisReader, startPart, useRedis, waitFor, type RunningPart } from './harness';

const redis = useRedis();
const running: RunningPart[] = [];

afterEach(async () => {
  for (const part of running.splice(0)) await part.close();
});

const url = (key: string, address = redis.address): string => `redis://${address}/${key}`;

/** Runs scripts/brokers/redis.sh (start DIR PORT | stop DIR). */
const redisScript = (...args: string[]): Promise<void> => script('redis.sh', args);

async function pendingOf(key: string, group: string): Promise<number> {
  return ((await redis.reader.client.xpending(key, group)) as [number])[0];
}

describe('faults on stream-fed functions', () => {
  it('skips, counts and acknowledges queue messages that are not events', async () => {
    const [q1, out] = [uniqueName('q1'), uniqueName('out')];
    const part = await startPart(pipeline('bad-messages', [url(q1), url(out)]), 'enrich');
    running.push(part);
    await redis.reader.client.xadd(q1, '*', 'key', 'a', 'value', 'not json at all');
    await redis.reader.client.xadd(q1, '*', 'key', 'b', 'value', JSON.stringify({ id: 'no-body' }));
    const good = { id: 'good', path: '/', method: 'POST', headers: {}, body: { seq: 1 } };
    await redis.reader.client.xadd(q1, '*', 'key', 'c', 'value', JSON.stringify(good));
    await waitFor(async () => (await redis.reader.read(out)).length === 1, 10_000, 'the good event out');
    expect((await redis.reader.read(out))[0]).toMatchObject({ id: 'good', body: { seq: 1, enriched: true } });
    expect(part.triggers[0]!.stats).toMatchObject({ skipped: 2, processed: 1 });
    await waitFor(async () => (await pendingOf(q1, 'enrich')) === 0, 5_000, 'everything acknowledged');
  });

  it('answers a source message that is not JSON as a failed event: counted, acknowledged, the next goes on', async () => {
    const [source, q1] = [uniqueName('src'), uniqueName('q1')];
    const part = await startPart(pipeline('bad-source', [url(q1)]), '', url(source));
    running.push(part);
    await redis.reader.client.xadd(source, '*', 'key', 'a', 'value', '{"seq": ');
    await redis.reader.add(source, [{ key: 'b', value: { seq: 2 } }]);
    await waitFor(async () => (await redis.reader.read(q1)).length === 1, 10_000, 'the good event published');
    expect((await redis.reader.read(q1))[0]!.body).toEqual({ seq: 2, pre: true });
    expect(part.triggers[0]!.stats).toMatchObject({ failed: 1, processed: 1 });
    await waitFor(async () => (await pendingOf(source, 'bad-source')) === 0, 5_000, 'everything acknowledged');
  });

  it('retries while the next broker is away: readiness drops, nothing is acknowledged, nothing is lost', async () => {
    const away: Brokers = await startBrokers({ redis: true });
    const [host, port] = away.redis!.split(':');
    const dir = away.dirs[0]!;
    try {
      const [q1, out] = [uniqueName('q1'), uniqueName('out')];
      const part = await startPart(pipeline('away', [url(q1), url(out, away.redis)]), 'enrich');
      running.push(part);
      expect(part.server.isReady()).toBe(true);
      await redisScript('stop', dir);
      const events = [1, 2, 3].map((seq) => ({ id: `e${seq}`, path: '/', method: 'POST', headers: {}, body: { seq } }));
      for (const e of events) await redis.reader.client.xadd(q1, '*', 'key', e.id, 'value', JSON.stringify(e));
      await waitFor(() => !part.server.isReady(), 10_000, 'readiness to drop');
      expect(await pendingOf(q1, 'enrich')).toBe(3);
      await redisScript('start', dir, port!);
      const later = new RedisReader(`${host}:${port}`);
      try {
        await waitFor(async () => (await later.read(out)).length >= 3, 20_000, 'the three events out');
        expect(new Set((await later.read(out)).map((p) => p.id))).toEqual(new Set(['e1', 'e2', 'e3']));
      } finally {
        await later.close();
      }
      await waitFor(async () => (await pendingOf(q1, 'enrich')) === 0 && part.server.isReady(), 10_000, 'recovery');
    } finally {
      await redisScript('stop', dir);
    }
  });

  it("drops the root's readiness while its queue's broker is away, and brings it back", async () => {
    const away: Brokers = await startBrokers({ redis: true });
    const port = away.redis!.split(':')[1]!;
    const dir = away.dirs[0]!;
    try {
      const root = await startPart(pipeline('root-away', [url(uniqueName('q1'), away.redis)]), '');
      running.push(root);
      expect(root.server.isReady()).toBe(true);
      await redisScript('stop', dir);
      await waitFor(() => !root.server.isReady(), 10_000, 'readiness to drop');
      await redisScript('start', dir, port);
      await waitFor(() => root.server.isReady(), 20_000, 'readiness to come back');
    } finally {
      await redisScript('stop', dir);
    }
  });
});
