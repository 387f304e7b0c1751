/**
 * Servers for the HTTP scenarios, each in its own child process so that neither shares a JS thread with
 * the load generator or with the other: `graphserve serve` over a temporary model repository, and the
 * peer in bench/peer/server.ts. Both listen on 127.0.0.1 with port 0 and print the URL they bound.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** How long a server may take to load its model and print its URL, milliseconds. */
const START_TIMEOUT_MS = 60_000;
/** How long a server may take to exit after SIGTERM before it is killed, milliseconds. */
const STOP_TIMEOUT_MS = 5_000;

export interface ChildServer {
  label: string;
  url: string;
  pid: number;
  /** CPU time (user + system) the process has used so far, seconds (Linux /proc; NaN elsewhere). */
  cpuSeconds(): number;
  /** The same for its main thread alone, the one running the event loop. */
  loopCpuSeconds(): number;
  stop(): Promise<void>;
}

export interface ChildOptions {
  label: string;
  /** Script run with this node binary, and its arguments. */
  args: string[];
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR'] to profile the server. */
  nodeFlags?: string[];
  /** Environment variables set for the child, beside this process's own. */
  env?: Record<string, string>;
}

/** The compiled JS folder (dist/) of this file's tree: dist/bench/lib → dist. */
export function distRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/** The checkout's root, where dist/ was built (its examples/ and test/fixtures/). */
export function repoRoot(): string {
  return path.dirname(distRoot());
}

/** The value of the sample `series` (name and labels, as the text shows them) in a child's `/metrics`; undefined when absent. */
export async function metricValue(server: ChildServer, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The identity over FP32 [batch, 3] of the test fixtures: a model that costs next to nothing. */
export function identityModelPath(): string {
  return path.join(repoRoot(), 'test', 'fixtures', 'models', 'identity_fp32.onnx');
}

/** Node flags for the server children, from GRAPHSERVE_BENCH_NODE_FLAGS (e.g. "--cpu-prof"). */
export function benchNodeFlags(): string[] {
  return (process.env['GRAPHSERVE_BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
}

/**
 * CPU time (user + system) process `pid` has used so far, seconds; with `thread` (a thread id of it), that thread's
 * alone. NaN where /proc cannot tell (not Linux, or no such process or thread).
 */
export function readCpuSeconds(pid: number, thread?: number): number {
  try {
    const stat = fs.readFileSync(
      thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`,
      'utf8',
    );
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], [12]: utime, stime in clock ticks (100 Hz on Linux)
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** ChildServer's CPU readers for process `pid`: the whole process, and its main thread (whose id is the pid). */
export function cpuClocks(pid: number): Pick<ChildServer, 'cpuSeconds' | 'loopCpuSeconds'> {
  return { cpuSeconds: () => readCpuSeconds(pid), loopCpuSeconds: () => readCpuSeconds(pid, pid) };
}

function waitForUrl(child: ChildProcess, label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${label} did not start: ${out}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const match = /listening on (http:\/\/[^\s"]+)/.exec(out); // a plain line, or a JSON log line
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolve(match[1].replace(/\/$/, ''));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${String(code)} before listening: ${out}`));
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startChild(options: ChildOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  try {
    const url = await waitForUrl(child, options.label);
    const pid = child.pid as number;
    return { label: options.label, url, pid, ...cpuClocks(pid), stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** Engine settings written into the temporary repository's model-settings.json. */
export interface GraphserveModel {
  name: string;
  modelPath: string;
  maxBatchSize: number;
  threads: number;
  /** More batching settings (model-settings.json's `batching`), e.g. adaptiveBatchSize. */
  batching?: Record<string, unknown>;
  /** More top-level settings of model-settings.json, e.g. inlineRunMicros. */
  settings?: Record<string, unknown>;
}

/** Starts two children, one after the other; stops the first when the second fails to start. */
export async function startBoth(
  first: () => Promise<ChildServer>,
  second: () => Promise<ChildServer>,
): Promise<[ChildServer, ChildServer]> {
  const a = await first();
  try {
    return [a, await second()];
  } catch (err) {
    await a.stop();
    throw err;
  }
}

/** Writes a one-model repository in a fresh temp folder; returns the folder. */
export function writeRepository(model: GraphserveModel): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'graphserve-bench-'));
  const dir = path.join(root, model.name);
  fs.mkdirSync(dir);
  fs.copyFileSync(model.modelPath, path.join(dir, 'model.onnx'));
  const settings = {
    name: model.name,
    batching: { maxBatchSize: model.maxBatchSize, maxQueueDelayMicros: 0, ...model.batching },
    executionProviders: ['cpu'],
    intraOpThreads: model.threads,
    ...model.settings,
  };
  fs.writeFileSync(path.join(dir, 'model-settings.json'), JSON.stringify(settings, null, 2) + '\n');
  return root;
}

/**
 * `graphserve serve` over a temporary repository holding `model`, with `serveArgs` added to its command line;
 * the folder goes when it stops.
 */
export async function startGraphserve(model: GraphserveModel, serveArgs: readonly string[] = []): Promise<ChildServer> {
  const repo = writeRepository(model);
  const main = path.join(distRoot(), 'src', 'cli', 'main.js');
  const args = [main, 'serve', '--model-repository', repo, '--host', '127.0.0.1', '--port', '0', '--grpc-port', '-1'];
  args.push(...serveArgs);
  try {
    const server = await startChild({ label: 'graphserve', args, nodeFlags: benchNodeFlags() });
    return {
      ...server,
      stop: async () => {
        await server.stop();
        fs.rmSync(repo, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(repo, { recursive: true, force: true });
    throw err;
  }
}

export interface PeerServerOptions {
  /** Omitted: an echo-only server (POST /echo). */
  modelPath?: string;
  name: string;
  threads: number;
  spinning: boolean;
}

/** The fastify + onnxruntime-node peer (bench/peer/server.ts). */
export function startPeer(options: PeerServerOptions): Promise<ChildServer> {
  const script = path.join(distRoot(), 'bench', 'peer', 'server.js');
  const model = options.modelPath === undefined ? ['--echo-only'] : ['--model', options.modelPath];
  const args = [script, ...model, '--name', options.name, '--threads', String(options.threads)];
  args.push('--spinning', options.spinning ? 'on' : 'off', '--port', '0');
  const label = options.modelPath === undefined ? 'fastify echo' : `peer (spinning ${options.spinning ? 'on' : 'off'})`;
  return startChild({ label, args, nodeFlags: benchNodeFlags() });
}

/** A bare Node server of `protocol` (bench/peer/transport-floor.ts): what a call costs Node's HTTP stack alone. */
export function startTransportFloor(protocol: 'http1' | 'h2'): Promise<ChildServer> {
  const script = path.join(distRoot(), 'bench', 'peer', 'transport-floor.js');
  const label = protocol === 'h2' ? 'bare node:http2' : 'bare node:http';
  return startChild({ label, args: [script, '--protocol', protocol], nodeFlags: benchNodeFlags() });
}
