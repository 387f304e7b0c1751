/**
 * The scenario registry. To add one: write bench/scenarios/<name>.ts exporting a Scenario (see
 * ../lib/types.ts) and list it here; run.ts picks it up for --scenario and --list.
 */
import type { Scenario } from '../lib/types';
import { engineLimit } from './engine-limit';
import { engineVsPeer } from './engine-vs-peer';
import { grpc } from './grpc';
import { ensembleExecutors } from './ensemble-executors';
import { binaryVsJson } from './binary-vs-json';
import { adaptiveBatch } from './adaptive-batch';
import { httpOverhead } from './http-overhead';
import { httpVsPeer } from './http-vs-peer';
import { inlineRuns } from './inline-runs';
import { eventLoopSpin } from './event-loop-spin';
import { jsonDecode } from './json-decode';
import { largeBody } from './large-body';
import { lowLoadLatency } from './low-load-latency';
import { streams } from './streams';
import { v8Gc } from './v8-gc';

export const SCENARIOS: readonly Scenario[] = [
  engineLimit,
  engineVsPeer,
  ensembleExecutors,
  httpVsPeer,
  binaryVsJson,
  adaptiveBatch,
  lowLoadLatency,
  httpOverhead,
  inlineRuns,
  eventLoopSpin,
  jsonDecode,
  grpc,
  streams,
  largeBody,
  v8Gc,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
