/**
 * Graphs across processes: each function's part runs in its own `graphserve serve GRAPH.yaml --module FILE
 * [--function NAME] [--source URL]` (the compiled CLI), over Kafka and over Redis. Every event gets out at
 * least once, each key in order, and a child killed with SIGKILL mid-stream and started again loses nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toYaml } from '../../src/graph/flow/dict';
import { compileSources, listeningUrl, startCli, stopCli, waitForOutput, type CliChild } from '../cli/cli-child';
import { useBrokers, uniqueName, type TestBrokers } from './brokers';
import { pipeline, RedisReader, waitFor, type Published } from './harness';

const MODULE_JS = `const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.pre = (body) => ({ ...body, pre: true });
exports.enrich = async (body) => { await sleep(Number(process.env.ENRICH_DELAY_MS || 0)); return { ...body, enriched: true }; };
exports.score = (body) => ({ ...body, score: Number(body.seq) * 2 });
`;

const KAFKA_TOOL = join(__dirname, 'kafka-tool.js');

let brokers: TestBrokers;
let build: string;
let dir: string;
let redis: RedisReader;
const children: CliChild[] = [];

beforeAll(async () => {
  const started = useBrokers({ kafka: true, redis: true });
  try {
    build = compileSources('stream');
  } finally {
    brokers = await started; // stopped by afterAll even when the build fails
  }
  redis = new RedisReader(brokers.redis);
  dir = mkdtempSync(join(tmpdir(), 'gs-stream-'));
  writeFileSync(join(dir, 'steps.js'), MODULE_JS);
});

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => stopGracefully(child)));
});

/** SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function stopGracefully(child: CliChild): Promise<void> {
  child.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([child.exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  stopCli(child);
}

afterAll(async () => {
  await redis?.close();
  await brokers?.stop();
});

/** Writes the spec of a chain of functions over `queues` and returns its path. */
function writeSpec(name: string, queues: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, toYaml(pipeline(name, queues).toDict()));
  return file;
}

/** Starts one function's part; resolves once it consumes its streams and listens. */
async function startFunction(spec: string, args: string[], env: Record<string, string> = {}): Promise<CliChild> {
  const cli = startCli(build, [spec, '--module', join(dir, 'steps.js'), ...args], {
    GRAPHSERVE_GRPC_PORT: '-1',
    ...env,
  });
  children.push(cli);
  await listeningUrl(cli);
  return cli;
}

function kafkaTool(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [KAFKA_TOOL, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kafka-tool ${args[0]}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin!.end(input ?? '');
  });
}

async function kafkaProduce(topic: string, messages: { key: string; value: unknown }[]): Promise<void> {
  await kafkaTool(['produce', brokers.kafka, topic], messages.map((m) => JSON.stringify(m)).join('\n'));
}

/** The events a queue published to `topic`, once there are `count` (or after `ms`). */
async function kafkaRead(topic: string, count: number, ms = 20_000): Promise<Published[]> {
  const got = JSON.parse(await kafkaTool(['consume', brokers.kafka, topic, String(count), String(ms)])) as {
    value: Published;
  }[];
  return got.map((m) => m.value);
}

function keyed(count: number, keys: number): { key: string; value: { seq: number } }[] {
  return Array.from({ length: count }, (_, seq) => ({ key: `k${seq % keys}`, value: { seq } }));
}

/** Checks that each key's events came out in their order, each at least once. */
function expectOrderPerKey(published: Published[], count: number, keys: number): void {
  for (let k = 0; k < keys; k++) {
    const seqs = published.filter((p) => p.key === `k${k}`).map((p) => p.body.seq as number);
    const firsts = seqs.filter((seq, i) => seqs.indexOf(seq) === i);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(firsts.length).toBe(Math.ceil((count - k) / keys));
  }
}

describe('graphs across processes over Kafka', () => {
  it('runs a two-function graph fed by a source topic, every event out once or more, in order per key', async () => {
    const [source, q1, out] = ['src', 'q1', 'out'].map(uniqueName) as [string, string, string];
    const kafka = (topic: string): string => `kafka://${brokers.kafka}/${topic}`;
    const spec = writeSpec('kafka-two', [kafka(q1), kafka(out)]);
    await Promise.all([
      startFunction(spec, ['--function', 'enrich']),
      startFunction(spec, ['--source', kafka(source)]),
    ]);
    await kafkaProduce(source, keyed(24, 3));
    const published = await kafkaRead(out, 24);
    expect(published).toHaveLength(24);
    expect(published[0]!.body).toMatchObject({ pre: true, enriched: true });
    expectOrderPerKey(published, 24, 3);
  });

  it('runs a three-function graph with events in over HTTP', async () => {
    const [q1, q2, out] = ['q1', 'q2', 'out'].map(uniqueName) as [string, string, string];
    const kafka = (topic: string): string => `kafka://${brokers.kafka}/${topic}`;
    const spec = writeSpec('kafka-three', [kafka(q1), kafka(q2), kafka(out)]);
    const [root] = await Promise.all([
      startFunction(spec, []),
      startFunction(spec, ['--function', 'enrich']),
      startFunction(spec, ['--function', 'score']),
    ]);
    const url = await listeningUrl(root);
    const ids: string[] = [];
    for (let seq = 0; seq < 8; seq++) {
      const headers = { 'content-type': 'application/json' };
      const res = await fetch(`${url}/`, { method: 'POST', headers, body: JSON.stringify({ seq }) });
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const published = await kafkaRead(out, 8);
    expect(new Set(published.map((p) => p.id))).toEqual(new Set(ids));
    for (const p of published)
      expect(p.body).toEqual({ seq: p.body.seq, pre: true, enriched: true, score: 2 * (p.body.seq as number) });
  });

  it('loses nothing when a child is killed with SIGKILL mid-stream and started again', async () => {
    const [source, q1, out] = ['src', 'q1', 'out'].map(uniqueName) as [string, string, string];
    const kafka = (topic: string): string => `kafka://${brokers.kafka}/${topic}`;
    const spec = writeSpec('kafka-kill', [kafka(q1), kafka(out)]);
    const slow = { ENRICH_DELAY_MS: '40' };
    const [child] = await Promise.all([
      startFunction(spec, ['--function', 'enrich'], slow),
      startFunction(spec, ['--source', kafka(source)]),
    ]);
    await kafkaProduce(source, keyed(60, 4));
    await kafkaRead(out, 5);
    child!.child.kill('SIGKILL');
    await child!.exited;
    await startFunction(spec, ['--function', 'enrich'], slow);
    const published = await kafkaRead(out, 60, 40_000);
    expect(new Set(published.map((p) => p.body.seq))).toEqual(new Set(Array.from({ length: 60 }, (_, i) => i)));
  });
});

describe('graphs across processes over Redis Streams', () => {
  it('loses nothing when a child is killed with SIGKILL mid-stream and started again', async () => {
    const [source, q1, out] = ['src', 'q1', 'out'].map(uniqueName) as [string, string, string];
    const stream = (key: string): string => `redis://${brokers.redis}/${key}`;
    const spec = writeSpec('redis-kill', [stream(q1), stream(out)]);
    const slow = { ENRICH_DELAY_MS: '40' };
    const [child] = await Promise.all([
      startFunction(spec, ['--function', 'enrich'], slow),
      startFunction(spec, ['--source', stream(source)]),
    ]);
    await redis.add(source, keyed(60, 4));
    await waitFor(async () => (await redis.read(out)).length >= 5, 20_000, 'the first events out');
    child!.child.kill('SIGKILL');
    await child!.exited;
    await startFunction(spec, ['--function', 'enrich'], slow);
    const all = new Set(Array.from({ length: 60 }, (_, i) => i));
    const seen = async (): Promise<Set<unknown>> => new Set((await redis.read(out)).map((p) => p.body.seq));
    await waitFor(async () => (await seen()).size === 60, 30_000, 'all 60 events out');
    expect(await seen()).toEqual(all);
    expectOrderPerKey(await redis.read(out), 60, 4);
  });

  it('stops on SIGTERM after finishing and acknowledging what it took', async () => {
    const [source, q1, out] = ['src', 'q1', 'out'].map(uniqueName) as [string, string, string];
    const stream = (key: string): string => `redis://${brokers.redis}/${key}`;
    const spec = writeSpec('redis-term', [stream(q1), stream(out)]);
    const child = await startFunction(spec, ['--function', 'enrich'], { ENRICH_DELAY_MS: '20' });
    await startFunction(spec, ['--source', stream(source)]);
    await redis.add(source, keyed(20, 2));
    await waitFor(async () => (await redis.read(out)).length >= 3, 20_000, 'the first events out');
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const pending = (await redis.client.xpending(q1, 'enrich')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
    await waitForOutput(child, /stopped/);
  });
});
