/**
 * large-body: do 50 MB JSON requests stall small ones? One `graphserve serve` child serves iris and a
 * `sum` model (ReduceSum over FP32 [1, n]). iris gets small JSON requests from 16 connections (autocannon),
 * measured alone and then while a client keeps sending 50 MB JSON bodies to `sum`, one at a time. The same
 * is measured on a second child started with GRAPHSERVE_OFF_THREAD_JSON=0 (every body decoded on the
 * event loop, as before): the baseline, in the same run, alternating `reps` times.
 *
 * Per server: stall = iris p99 while large bodies arrive ÷ iris p99 alone (1 = no stall).
 * ratio = baseline's loaded iris p99 ÷ off-thread loaded iris p99 (how many times shorter the tail is).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { settingsOf } from '../lib/compare';
import { benchNodeFlags, distRoot, startChild, type ChildServer } from '../lib/http-child';
import { describeHttp, measureHttp, summariseHttp, type HttpPhase, type HttpSummary } from '../lib/http-load';
import { imagePool } from '../lib/inputs';
import { LargeBodySender, SUM_MODEL, largeJsonBody, postOnce, writeLargeBodyRepository } from '../lib/large-body';
import { loadAverage } from '../lib/machine';
import { jsonBody } from '../lib/oip-bodies';
import { round } from '../lib/stats';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const TARGET = 2;
const CONNECTIONS = 16;
const BODY_BYTES = 50 * 1024 * 1024;
const IRIS_PATH = '/v2/models/iris/infer';
const SUM_PATH = `/v2/models/${SUM_MODEL}/infer`;

interface Side {
  label: string;
  server: ChildServer;
  alone: HttpPhase[];
  loaded: HttpPhase[];
  largeSent: number;
  largeFailed: number;
}

function startServer(repo: string, label: string, env: Record<string, string>): Promise<ChildServer> {
  const main = path.join(distRoot(), 'src', 'cli', 'main.js');
  const args = [main, 'serve', '--model-repository', repo, '--host', '127.0.0.1', '--port', '0'];
  // Two servers at once: each takes any free gRPC port.
  return startChild({ label, args, nodeFlags: benchNodeFlags(), env: { GRAPHSERVE_GRPC_PORT: '0', ...env } });
}

/** Both servers answer the large body with its sum (FP32 rounding aside), and with the same text. */
async function verify(sides: readonly Side[], large: ReturnType<typeof largeJsonBody>): Promise<string> {
  const answers = await Promise.all(sides.map((s) => postOnce(s.server.url + SUM_PATH, large.body)));
  for (const [i, a] of answers.entries()) {
    if (a.status !== 200) throw new Error(`${sides[i]!.label}: large body answered ${a.status}: ${a.text}`);
  }
  const [y, other] = answers.map(
    (a) => (JSON.parse(a.text) as { outputs: Array<{ data: number[] }> }).outputs[0]!.data[0]!,
  );
  if (y !== other) throw new Error(`the two servers answer the large body differently: ${answers.map((a) => a.text)}`);
  if (y === undefined || Math.abs(y - large.sum) > 1e-3 * large.elements)
    throw new Error(`sum ${y}, expected about ${large.sum}`);
  return `large body (${large.elements} elements): sum ${y!.toFixed(2)} (exact ${large.sum.toFixed(2)}), same answer`;
}

async function measureSide(ctx: BenchContext, side: Side, bodies: ReturnType<typeof irisBodies>, large: Buffer) {
  const target = { server: side.server, path: IRIS_PATH, bodies };
  const alone = await measureHttp(ctx, target, CONNECTIONS);
  side.alone.push(alone);
  ctx.log(`  ${side.label}, iris alone: ${describeHttp(alone)}`);
  const sender = new LargeBodySender(side.server.url + SUM_PATH, large);
  sender.start();
  try {
    const loaded = await measureHttp(ctx, target, CONNECTIONS);
    side.loaded.push(loaded);
    ctx.log(`  ${side.label}, iris with 50 MB bodies arriving: ${describeHttp(loaded)}`);
  } finally {
    await sender.stop();
  }
  side.largeSent += sender.sent;
  side.largeFailed += sender.failed;
}

function irisBodies() {
  return imagePool(16, 4, 3).map((row) => jsonBody({ name: 'input', shape: [1, 4] }, row));
}

interface SideSummary {
  alone: HttpSummary;
  loaded: HttpSummary;
  /** loaded p99 ÷ alone p99. */
  stall: number;
  largeBodiesAnswered: number;
  largeBodiesFailed: number;
}

function summarise(side: Side): SideSummary {
  const alone = summariseHttp(`${side.label} alone`, side.alone);
  const loaded = summariseHttp(`${side.label} with large bodies`, side.loaded);
  const stall = round(loaded.p99Ms / alone.p99Ms, 3);
  return { alone, loaded, stall, largeBodiesAnswered: side.largeSent, largeBodiesFailed: side.largeFailed };
}

function line(label: string, s: SideSummary): string {
  return (
    `${label}: iris p50/p99 alone ${s.alone.p50Ms}/${s.alone.p99Ms} ms, with 50 MB bodies ` +
    `${s.loaded.p50Ms}/${s.loaded.p99Ms} ms (p99 ×${s.stall}, ${s.largeBodiesAnswered} large bodies answered)`
  );
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const large = largeJsonBody(BODY_BYTES);
  const bodies = irisBodies();
  const repo = writeLargeBodyRepository();
  const servers: ChildServer[] = [];
  try {
    servers.push(await startServer(repo, 'on the event loop', { GRAPHSERVE_OFF_THREAD_JSON: '0' }));
    servers.push(await startServer(repo, 'off the event loop', {}));
    const sides: Side[] = servers.map((server) => ({
      label: server.label,
      server,
      alone: [],
      loaded: [],
      largeSent: 0,
      largeFailed: 0,
    }));
    const verification = await verify(sides, large);
    ctx.log(`  verified: ${verification}`);
    for (let rep = 1; rep <= ctx.reps; rep++) {
      ctx.log(`  rep ${rep}/${ctx.reps} (load average ${loadAverage()})`);
      for (const side of sides) await measureSide(ctx, side, bodies, large.body);
    }
    const [baseline, ours] = sides.map(summarise) as [SideSummary, SideSummary];
    const ratio = round(baseline.loaded.p99Ms / ours.loaded.p99Ms, 3);
    const summary = `${line('off-thread', ours)}; ${line('baseline on the loop', baseline)}`;
    ctx.log(`  ${summary}; ratio ${ratio}`);
    return {
      scenario: 'large-body',
      ratio,
      target: TARGET,
      unit: 'ms (iris p99)',
      summary,
      figures: {
        offThread: ours,
        onEventLoop: baseline,
        largeBodyBytes: large.body.length,
        loadAverageAtEnd: loadAverage(),
        verification,
        settings: settingsOf(ctx, { model: 'iris + sum (ReduceSum)', connections: CONNECTIONS, client: 'autocannon' }),
      },
      chart: [
        {
          heading: 'iris p99 (ms), alone and while 50 MB JSON bodies arrive',
          bars: [
            { label: 'on the loop, alone', value: baseline.alone.p99Ms, side: 'baseline' },
            { label: 'on the loop, large bodies', value: baseline.loaded.p99Ms, side: 'baseline' },
            { label: 'off-thread, alone', value: ours.alone.p99Ms, side: 'engine' },
            { label: 'off-thread, large bodies', value: ours.loaded.p99Ms, side: 'engine' },
          ],
        },
      ],
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(repo, { recursive: true, force: true });
  }
}

export const largeBody: Scenario = {
  name: 'large-body',
  description: 'iris p99 while 50 MB JSON bodies arrive: decoded off the event loop ÷ on it (the baseline)',
  byDefault: false,
  run,
};
