/**
 * Multi-function graphs run as processes, for the stream tests: each function's part runs in its own
 * `graphserve serve GRAPH.yaml --module FILE [--function NAME] [--source URL]` (the compiled CLI).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toYaml } from '../../src/graph/flow/dict';
import { listeningUrl, ROOT, startCli, stopCli, type CliChild } from '../cli/cli-child';
import { useBrokers, type TestBrokers } from './brokers';
import { pipeline, type Published } from './harness';

const MODULE_JS = `const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.pre = (body) => ({ ...body, pre: true });
exports.enrich = async (body) => { await sleep(Number(process.env.ENRICH_DELAY_MS || 0)); return { ...body, enriched: true }; };
exports.score = (body) => ({ ...body, score: Number(body.seq) * 2 });
`;

/** The stream test files' one build of the sources (incremental: later runs compile what changed). */
const BUILD = join(ROOT, '.cache', 'cli-test-build-stream');
const LOCK = `${BUILD}.lock`;
/** A lock older than this was left by a run that died, ms. */
const STALE_LOCK_MS = 300_000;

/** Takes the build lock (one stream test file compiles at a time; the others then find the build done). */
async function lockBuild(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** The newest modification time of the files under `dir`, ms. */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(file) : statSync(file).mtimeMs);
  }
  return newest;
}

/** dist/ when `npm test` (or anyone) built it after the last change to the sources: no need to compile again. */
function freshDist(): string | undefined {
  const main = statSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'), { throwIfNoEntry: false });
  if (!main) return undefined;
  const sources = Math.max(newestUnder(join(ROOT, 'src')), newestUnder(join(ROOT, 'bindings')));
  return main.mtimeMs > sources ? join(ROOT, 'dist') : undefined;
}

/**
 * The compiled CLI: dist/ when it is newer than the sources (CI's `npm test` builds it first), else the sources
 * compiled into BUILD (shared by the stream test files) without blocking the event loop.
 */
async function compileShared(): Promise<string> {
  const dist = freshDist();
  if (dist) return dist;
  await lockBuild();
  try {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD, '--incremental'];
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [...args, '--tsBuildInfoFile', `${BUILD}.tsbuildinfo`], { cwd: ROOT }, (err, out) =>
        err ? reject(new Error(`tsc failed: ${out}`)) : resolve(),
      ),
    );
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
  return BUILD;
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function stopGracefully(child: CliChild): Promise<void> {
  child.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([child.exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  stopCli(child);
}

/** The brokers, the compiled CLI and the child processes of one test file (setUp may take minutes: give beforeAll SETUP_TIMEOUT_MS). */
export class CliParts {
  brokers!: TestBrokers;
  private build = '';
  private dir = '';
  private readonly children: CliChild[] = [];
  private started: Promise<TestBrokers> | undefined;

  /** Starts (or finds) the brokers while the sources compile; tearDown stops them whatever happens here. */
  async setUp(which: { kafka?: boolean; redis?: boolean }): Promise<void> {
    this.started = useBrokers(which);
    this.started.catch(() => undefined);
    this.build = await compileShared();
    this.brokers = await this.started;
    this.dir = mkdtempSync(join(tmpdir(), 'gs-stream-'));
    writeFileSync(join(this.dir, 'steps.js'), MODULE_JS);
  }

  /** Stops every child still running. */
  async stopChildren(): Promise<void> {
    await Promise.all(this.children.splice(0).map((child) => stopGracefully(child)));
  }

  async tearDown(): Promise<void> {
    await this.stopChildren();
    const brokers = await this.started?.catch(() => undefined);
    await brokers?.stop();
  }

  /** Writes the spec of a chain of functions over `queues` and returns its path. */
  writeSpec(name: string, queues: string[]): string {
    const file = join(this.dir, `${name}.yaml`);
    writeFileSync(file, toYaml(pipeline(name, queues).toDict()));
    return file;
  }

  /** Starts `graphserve serve SPEC --module steps.js ...args` (stopped by stopChildren). */
  start(spec: string, args: string[], env: Record<string, string> = {}): CliChild {
    const cli = startCli(this.build, [spec, '--module', join(this.dir, 'steps.js'), ...args], {
      GRAPHSERVE_GRPC_PORT: '-1',
      ...env,
    });
    this.children.push(cli);
    return cli;
  }

  /** Starts one function's part; resolves once it consumes its streams and listens. */
  async startFunction(spec: string, args: string[], env: Record<string, string> = {}): Promise<CliChild> {
    const cli = this.start(spec, args, env);
    await listeningUrl(cli);
    return cli;
  }
}

/** For beforeAll: the first run fetches Kafka's jars and compiles the sources. */
export const SETUP_TIMEOUT_MS = 300_000;

/** `count` bodies {seq} keyed k0..k(keys-1) in turn. */
export function keyed(count: number, keys: number): { key: string; value: { seq: number } }[] {
  return Array.from({ length: count }, (_, seq) => ({ key: `k${seq % keys}`, value: { seq } }));
}

/** Checks that each key's events came out in their order, each at least once. */
export function expectOrderPerKey(published: Published[], count: number, keys: number): void {
  for (let k = 0; k < keys; k++) {
    const seqs = published.filter((p) => p.key === `k${k}`).map((p) => p.body.seq as number);
    const firsts = seqs.filter((seq, i) => seqs.indexOf(seq) === i);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(firsts.length).toBe(Math.ceil((count - k) / keys));
  }
}
