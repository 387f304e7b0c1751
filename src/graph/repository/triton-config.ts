/**
 * Triton's model configuration and statistics extensions, as JSON, from what graphserve serves: the
 * effective settings of a loaded model (its engine session's inputs, outputs and batching) and the
 * counters of its route (./route-counters.ts) with its engine's stats (bindings/session.ts SessionStats).
 *
 * Statistics: `success` and `fail` count inference requests answered and their whole time in the model
 * (decode to encode); `queue` and `compute_infer` come from the engine (time queued, time in ONNX
 * Runtime's runs), `execution_count` is the engine's runs (batches). graphserve does not time the input
 * and output copies apart from the run: `compute_input` and `compute_output` count the requests with
 * 0 ns. Models that are not ONNX sessions (user classes) report only success, fail and last_inference.
 */
import type { Datatype } from '../../../bindings/datatypes';
import type { ResolvedSessionOptions } from '../../../bindings/options';
import type { SessionStats, TensorInfo } from '../../../bindings/session';
import { ONNX_PLATFORM } from '../../model/onnx-model-server';
import type { VersionPolicy } from '../../model/repository-layout';
import type { GraphStep } from '../../step/step';
import type { Duration, RouteCounters } from './route-counters';

/** What a route step may offer: OnnxModelServer has a session. */
interface SessionLike {
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
  batching: boolean;
  options: Readonly<ResolvedSessionOptions>;
  providers: readonly string[];
  stats(): SessionStats;
}

interface ModelStep extends GraphStep {
  version?: string;
  session?: SessionLike;
  metadata?(): unknown;
}

export interface TritonTensorConfig {
  name: string;
  data_type: string;
  dims: number[];
}

export interface TritonModelConfig {
  name: string;
  platform: string;
  backend: string;
  version_policy: VersionPolicy;
  max_batch_size: number;
  input: TritonTensorConfig[];
  output: TritonTensorConfig[];
  dynamic_batching?: {
    max_queue_delay_microseconds: number;
    preferred_batch_size: number[];
    default_queue_policy: { max_queue_size: number };
  };
  instance_group: Array<{ name: string; kind: string; count: number }>;
}

export interface TritonModelStats {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<
    'success' | 'fail' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output',
    Duration
  >;
}

/** Triton's TYPE_ name of an OIP datatype (BYTES is TYPE_STRING). */
export function tritonType(datatype: Datatype | undefined, onnxType: string): string {
  if (datatype === undefined) return `TYPE_INVALID(${onnxType})`;
  return datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`;
}

function tensorConfig(info: TensorInfo, batched: boolean): TritonTensorConfig {
  const dims = batched ? info.shape.slice(1) : [...info.shape];
  return { name: info.name, data_type: tritonType(info.datatype, info.onnxType), dims };
}

/** The model configuration of a route step; `name` is the model's name, `policy` its version policy. */
export function modelConfig(step: ModelStep, name: string, policy: VersionPolicy): TritonModelConfig {
  const session = step.session;
  const batching = session?.batching === true && session.options.batching !== false ? session.options.batching : false;
  const config: TritonModelConfig = {
    name,
    platform: session ? ONNX_PLATFORM : '',
    backend: session ? 'onnxruntime' : 'graphserve',
    version_policy: policy,
    max_batch_size: batching ? batching.maxBatchSize : 0,
    input: session?.inputs.map((i) => tensorConfig(i, batching !== false)) ?? [],
    output: session?.outputs.map((o) => tensorConfig(o, batching !== false)) ?? [],
    instance_group: [
      {
        name,
        kind: session?.providers[0] === 'cuda' ? 'KIND_GPU' : 'KIND_CPU',
        count: session?.options.instances ?? 1,
      },
    ],
  };
  if (batching) {
    config.dynamic_batching = {
      max_queue_delay_microseconds: batching.maxQueueDelayMicros,
      preferred_batch_size: [...batching.preferredBatchSizes],
      default_queue_policy: { max_queue_size: batching.maxQueueSize },
    };
  }
  return config;
}

/** The statistics of a route step under `name` / `version`. */
export function modelStats(step: ModelStep, name: string, version: string, counters: RouteCounters): TritonModelStats {
  const engine = step.session?.stats();
  const answered = counters.success.count;
  return {
    name,
    version,
    last_inference: counters.lastInference,
    inference_count: answered,
    execution_count: engine ? engine.batches : answered,
    inference_stats: {
      success: { ...counters.success },
      fail: { ...counters.fail },
      queue: { count: engine?.requests ?? 0, ns: Math.round((engine?.queueMicros ?? 0) * 1000) },
      compute_input: { count: engine ? answered : 0, ns: 0 },
      compute_infer: { count: engine?.batches ?? 0, ns: Math.round((engine?.computeMicros ?? 0) * 1000) },
      compute_output: { count: engine ? answered : 0, ns: 0 },
    },
  };
}
