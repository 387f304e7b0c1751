/**
 * Graphs across processes over Redis Streams: each function's part in its own `graphserve serve`
 * (test/stream/cli-parts.ts). A child killed with SIGKILL mid-stream and started again loses nothing; SIGTERM
 * finishes and acknowledges what was taken.
 */
import { waitForOutput } from '../cli/cli-child';
import { uniqueName } from './brokers';
import { CliParts, expectOrderPerKey, keyed, SETUP_TIMEOUT_MS } from './cli-parts';
import { RedisReader, waitFor } from './harness';

const parts = new CliParts();
let redis: RedisReader;

beforeAll(async () => {
  await parts.setUp({ redis: true });
  redis = new RedisReader(parts.brokers.redis);
}, SETUP_TIMEOUT_MS);
afterEach(() => parts.stopChildren());
afterAll(async () => {
  await redis?.close();
  await parts.tearDown();
});

const stream = (key: string): string => `redis://${parts.brokers.redis}/${key}`;

describe('graphs across processes over Redis Streams', () => {
  it('loses nothing when a child is killed with SIGKILL mid-stream and started again', async () => {
    const [source, q1, out] = ['src', 'q1', 'out'].map(uniqueName) as [string, string, string];
    const spec = parts.writeSpec('redis-kill', [stream(q1), stream(out)]);
    const slow = { ENRICH_DELAY_MS: '40' };
    const [child] = await Promise.all([
      parts.startFunction(spec, ['--function', 'enrich'], slow),
      parts.startFunction(spec, ['--source', stream(source)]),
    ]);
    await redis.add(source, keyed(60, 4));
    await waitFor(async () => (await redis.read(out)).length >= 5, 20_000, 'the first events out');
    child!.child.kill('SIGKILL');
    await child!.exited;
    await parts.startFunction(spec, ['--function', 'enrich'], slow);
    const all = new Set(Array.from({ length: 60 }, (_, i) => i));
    const seen = async (): Promise<Set<unknown>> => new Set((await redis.read(out)).map((p) => p.body.seq));
    await waitFor(async () => (await seen()).size === 60, 30_000, 'all 60 events out');
    expect(await seen()).toEqual(all);
    expectOrderPerKey(await redis.read(out), 60, 4);
  });

  it('stops on SIGTERM after finishing and acknowledging what it took', async () => {
    const [source, q1, out] = ['src', 'q1', 'out'].map(uniqueName) as [string, string, string];
    const spec = parts.writeSpec('redis-term', [stream(q1), stream(out)]);
    const child = await parts.startFunction(spec, ['--function', 'enrich'], { ENRICH_DELAY_MS: '20' });
    await parts.startFunction(spec, ['--source', stream(source)]);
    await redis.add(source, keyed(20, 2));
    await waitFor(async () => (await redis.read(out)).length >= 3, 20_000, 'the first events out');
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const pending = (await redis.client.xpending(q1, 'enrich')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
    await waitForOutput(child, /stopped/);
  });
});

describe('graphserve serve over Redis Streams: bad input', () => {
  it('exits 1 naming the scheme of a --source it does not know', async () => {
    const spec = parts.writeSpec('bad-source', [`redis://${parts.brokers.redis}/${uniqueName('q1')}`]);
    const cli = parts.start(spec, ['--source', 'nats://127.0.0.1:4222/in']);
    expect(await cli.exited).toBe(1);
    expect(cli.output.text).toMatch(/invalid stream URL nats:\/\/127\.0\.0\.1:4222\/in: unknown scheme nats:/);
  });
});
