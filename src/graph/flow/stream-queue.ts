/**
 * The runtime node of a queue step. Without a `path`, or when the whole graph runs in one process
 * (currentFunction '*', the mock server), it passes events through. With a stream path it publishes each
 * event (./../../streams/envelope.ts: id, key, path, method, headers, body) as one message keyed by the
 * event's key (else its id) and ends the path: the steps after it run in the function that consumes the
 * stream. The producer is started at build, so a broker that cannot be reached fails the start.
 */
import { InvalidOptionError } from '../../errors';
import { eventToMessage, parseStreamUrl, type StreamOptions, type StreamPool } from '../../streams';
import { ALL_FUNCTIONS, streamPathOf } from './functions';
import type { FlowStep } from './spec';
import type { BuiltNode } from './task';

/** What building a flow for one function needs beyond the namespace and context. */
export interface FlowBuildOptions {
  /** The function whose part is built: '*' (default) every step, '' the root, or a function name. */
  currentFunction?: string;
  /** Where stream queues get their producers (without one, queues pass events through). */
  streams?: StreamPool;
  /** Called with every step failure (the error stream); must not throw. */
  onStepError?: (failure: StepFailure) => void;
}

/** One step failure, as the error stream records it. */
export interface StepFailure {
  /** The failing step (MLRun's origin_state). */
  step: string;
  error: unknown;
  eventId: string;
  body: unknown;
}

/** A queue step's stream options (MLRun's names, camelCase or snake_case). */
function queueOptions(step: FlowStep): StreamOptions {
  const spec = step.spec;
  const number = (...keys: string[]): number | undefined => {
    for (const key of keys) {
      const value = spec[key];
      if (value === undefined) continue;
      if (typeof value !== 'number') throw new InvalidOptionError(`queue ${step.name}: ${key} must be a number`);
      return value;
    }
    return undefined;
  };
  return {
    shards: number('shards'),
    retentionInHours: number('retentionInHours', 'retention_in_hours'),
    maxLength: number('maxLength', 'max_length'),
  };
}

export async function queueNode(step: FlowStep, options: FlowBuildOptions): Promise<BuiltNode> {
  const path = streamPathOf(step);
  if (path === undefined) return { run: async (event) => event };
  parseStreamUrl(path); // a bad URL fails the build, also in the mock
  if ((options.currentFunction ?? ALL_FUNCTIONS) === ALL_FUNCTIONS || !options.streams) {
    return { run: async (event) => event };
  }
  const producer = await options.streams.producer(path, queueOptions(step));
  return {
    run: async (event) => {
      await producer.publish([eventToMessage(event)]);
      return undefined;
    },
    // Not ready while the queue's broker is away (the function's readiness follows).
    object: { isReady: () => producer.isHealthy() },
  };
}
