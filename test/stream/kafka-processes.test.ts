/**
 * Graphs across processes over Kafka: each function's part in its own `graphserve serve` (test/stream/cli-parts.ts).
 * Every event gets out at least once, each key in order, and a child killed with SIGKILL mid-stream and started
 * again loses nothing.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { listeningUrl } from '../cli/cli-child';
import { uniqueName } from './brokers';
import { CliParts, expectOrderPerKey, keyed, SETUP_TIMEOUT_MS } from './cli-parts';
import type { Published } from './harness';

const KAFKA_TOOL = join(__dirname, 'kafka-tool.js');
const parts = new CliParts();

beforeAll(() => parts.setUp({ kafka: true }), SETUP_TIMEOUT_MS);
afterEach(() => parts.stopChildren());
afterAll(() => parts.tearDown());

function kafkaTool(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [KAFKA_TOOL, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kafka-tool ${args[0]}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin!.end(input ?? '');
  });
}

async function kafkaProduce(topic: string, messages: { key: string; value: unknown }[]): Promise<void> {
  await kafkaTool(['produce', parts.brokers.kafka, topic], messages.map((m) => JSON.stringify(m)).join('\n'));
}

/** The events a queue published to `topic`, once there are `count` (or after `ms`). */
async function kafkaRead(topic: string, count: number, ms = 20_000): Promise<Published[]> {
  const got = JSON.parse(await kafkaTool(['consume', parts.brokers.kafka, topic, String(count), String(ms)])) as {
    value: Published;
  }[];
  return got.map((m) => m.value);
}

const kafka = (topic: string): string => `kafka://${parts.brokers.kafka}/${topic}`;

describe('graphs across processes over Kafka', () => {
  it('runs a two-function graph fed by a source topic, every event out once or more, in order per key', async () => {
    const [source, q1, out] = ['src', 'q1', 'out'].map(uniqueName) as [string, string, string];
    const spec = parts.writeSpec('kafka-two', [kafka(q1), kafka(out)]);
    await Promise.all([
      parts.startFunction(spec, ['--function', 'enrich']),
      parts.startFunction(spec, ['--source', kafka(source)]),
    ]);
    await kafkaProduce(source, keyed(24, 3));
    const published = await kafkaRead(out, 24);
    expect(published).toHaveLength(24);
    expect(published[0]!.body).toMatchObject({ pre: true, enriched: true });
    expectOrderPerKey(published, 24, 3);
  });

  it('runs a three-function graph with events in over HTTP', async () => {
    const [q1, q2, out] = ['q1', 'q2', 'out'].map(uniqueName) as [string, string, string];
    const spec = parts.writeSpec('kafka-three', [kafka(q1), kafka(q2), kafka(out)]);
    const [root] = await Promise.all([
      parts.startFunction(spec, []),
      parts.startFunction(spec, ['--function', 'enrich']),
      parts.startFunction(spec, ['--function', 'score']),
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
    const spec = parts.writeSpec('kafka-kill', [kafka(q1), kafka(out)]);
    const slow = { ENRICH_DELAY_MS: '40' };
    const [child] = await Promise.all([
      parts.startFunction(spec, ['--function', 'enrich'], slow),
      parts.startFunction(spec, ['--source', kafka(source)]),
    ]);
    await kafkaProduce(source, keyed(60, 4));
    await kafkaRead(out, 5);
    child!.child.kill('SIGKILL');
    await child!.exited;
    await parts.startFunction(spec, ['--function', 'enrich'], slow);
    const published = await kafkaRead(out, 60, 40_000);
    expect(new Set(published.map((p) => p.body.seq))).toEqual(new Set(Array.from({ length: 60 }, (_, i) => i)));
  });
});

describe('graphserve serve over Kafka: bad input', () => {
  it('exits 1 with a clear error when the Kafka broker of its queue cannot be reached', async () => {
    const spec = parts.writeSpec('kafka-down', ['kafka://127.0.0.1:1/q1', 'kafka://127.0.0.1:1/out']);
    const cli = parts.start(spec, ['--function', 'enrich']);
    expect(await cli.exited).toBe(1);
    expect(cli.output.text).toMatch(/kafka kafka:\/\/127\.0\.0\.1:1\/(q1|out): creating the topic failed/);
  });
});
