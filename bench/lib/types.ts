/** The contract between bench/run.ts and the scenarios in bench/scenarios/. */

/** Settings every scenario receives from the command line. */
export interface BenchContext {
  /** ONNX model the engine scenarios load (the PP-OCR direction classifier by default). */
  modelPath: string;
  /** The same path as results show it: relative to the repository root when inside it. */
  modelName: string;
  /** Measured window of each repetition of a compared configuration, seconds. */
  seconds: number;
  /** Measured window of each screened configuration (e.g. every baseline batch size), seconds. */
  screenSeconds: number;
  /** Unmeasured warm-up before every window, seconds. */
  warmupSeconds: number;
  /** Alternating repetitions of baseline and engine; ratios use their medians. */
  reps: number;
  /** ORT intra-op threads, the same for the engine and its baseline. */
  threads: number;
  /** Concurrent callers for the loaded scenarios. */
  concurrency: number;
  /** Progress for a person (stderr); stdout is kept for results. */
  log: (message: string) => void;
}

/** One bar of a results chart: a median and the samples it came from. */
export interface Bar {
  label: string;
  value: number;
  side: 'baseline' | 'engine';
  samples?: number[];
}

export interface ChartSection {
  heading: string;
  bars: Bar[];
}

/** What a scenario hands back; run.ts adds the date and the machine and writes the files. */
export interface ScenarioResult {
  scenario: string;
  /** The figure the target applies to (engine ÷ baseline). */
  ratio: number;
  target: number;
  /** Unit of the compared rates, e.g. 'images/s'. */
  unit: string;
  /** The key figures behind the ratio in one line, for the results table. */
  summary: string;
  /** Everything else worth keeping: medians, samples, settings, batch sizes, verification. */
  figures: Record<string, unknown>;
  chart: ChartSection[];
}

export interface Scenario {
  name: string;
  /** What it compares, one line (shown by --list). */
  description: string;
  /** Whether it runs when no --scenario is given. */
  byDefault: boolean;
  run(context: BenchContext): Promise<ScenarioResult>;
}

/**
 * A written result (bench/results/<scenario>.json and the JSON line on stdout): the scenario's headline
 * fields, its figures spread beside them, and the date and machine they were measured on.
 */
export interface ResultRecord {
  scenario: string;
  ratio: number;
  target: number;
  met: boolean;
  unit: string;
  summary: string;
  date: string;
  machine: MachineInfo;
  [figure: string]: unknown;
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  platform: string;
  node: string;
  /** ONNX Runtime versions: the engine's library and onnxruntime-node's. */
  engineOrt: string;
  peerOrt: string;
  /** 1-minute load averages when the scenario started and ended (other work on a shared box shows here). */
  loadAverage: { start: number; end: number };
}
