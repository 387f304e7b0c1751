/**
 * Triton's model configuration (ModelConfig as JSON, the .proto's field names) read as model settings: what
 * a Triton user sends as a load request's `config` (tritonclient's `load_model(name, config=...)`), and what
 * `GET /v2/models/<m>/config` answers, so a configuration read from graphserve loads back as it was.
 *
 *   name                                          name
 *   platform "onnxruntime_onnx", backend "onnxruntime"   (graphserve's own "graphserve" backend too)
 *   max_batch_size N                              batching.maxBatchSize N; 0: batching false; absent: the
 *                                                 default (batching when dim 0 is dynamic, as Triton's
 *                                                 auto-completed configuration does)
 *   dynamic_batching.max_queue_delay_microseconds batching.maxQueueDelayMicros
 *   dynamic_batching.preferred_batch_size         batching.preferredBatchSizes
 *   dynamic_batching.default_queue_policy.max_queue_size   batching.maxQueueSize
 *   instance_group[].count, .kind, .gpus          instances (the counts' sum); KIND_GPU: executionProviders
 *                                                 ['cuda'], on the one device `gpus` names
 *   version_policy                                versionPolicy
 *   parameters.intra_op_thread_count / inter_op_thread_count {string_value}   intraOpThreads / interOpThreads
 *   input, output                                 taken as read: the model's own inputs and outputs are served
 *
 * max_batch_size > 0 without dynamic_batching batches too, with no queue delay (graphserve's engine always
 * joins the requests already waiting; the answers are the same). Integers may be decimal text, as gRPC's
 * JSON writes 64-bit ones. Any other key, or a value out of its kind, is an InvalidOptionError listing every
 * mistake.
 */
import { InvalidOptionError } from '../errors';
import { isPlainObject } from '../step/paths';
import type { ModelSettings } from './model-repository';

/** Keys only Triton's configuration has: their presence says a `config` is Triton's, not model settings. */
const TRITON_KEYS = new Set([
  'platform',
  'backend',
  'max_batch_size',
  'dynamic_batching',
  'instance_group',
  'version_policy',
  'input',
  'output',
]);
const KNOWN_KEYS = new Set([...TRITON_KEYS, 'name', 'parameters']);
const DYNAMIC_KEYS = ['max_queue_delay_microseconds', 'preferred_batch_size', 'default_queue_policy'];
const PLATFORMS = new Set(['onnxruntime_onnx', '']);
const BACKENDS = new Set(['onnxruntime', 'graphserve', '']);
const THREAD_PARAMETERS: Readonly<Record<string, string>> = {
  intra_op_thread_count: 'intraOpThreads',
  inter_op_thread_count: 'interOpThreads',
};

/** Whether `value` is Triton's model configuration rather than model settings. */
export function isTritonModelConfig(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((key) => TRITON_KEYS.has(key));
}

/** Reads values of a configuration, collecting every mistake (and, when asked, the keys it leaves out). */
class Reader {
  readonly mistakes: string[] = [];
  readonly ignored: string[] = [];

  constructor(private readonly ignoreUnknown: boolean) {}

  /** An integer >= min (decimal text too); undefined, with a mistake, otherwise. */
  int(value: unknown, path: string, min: number): number | undefined {
    const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (Number.isSafeInteger(n) && (n as number) >= min) return n as number;
    this.mistakes.push(`${path} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    return undefined;
  }

  /** An object whose keys are among `keys` (others are mistakes, or ignored); {} with a mistake otherwise. */
  record(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
    if (!isPlainObject(value)) {
      this.mistakes.push(`${path} must be an object`);
      return {};
    }
    const unknown = Object.keys(value).filter((k) => !keys.includes(k));
    if (unknown.length === 0) return value;
    if (this.ignoreUnknown) this.ignored.push(...unknown.map((k) => (path === '' ? k : `${path}.${k}`)));
    else
      this.mistakes.push(
        `${path === '' ? 'keys' : `${path} has keys`} graphserve does not take: ${unknown.join(', ')}`,
      );
    return value;
  }
}

/** max_batch_size and dynamic_batching as `batching` (see the module comment); undefined: the default. */
function batchingOf(config: Record<string, unknown>, read: Reader): ModelSettings['batching'] {
  const given = config['max_batch_size'];
  const maxBatch = given === undefined ? undefined : read.int(given, 'max_batch_size', 0);
  const dynamic = config['dynamic_batching'];
  if (maxBatch === 0) {
    if (dynamic !== undefined) read.mistakes.push('dynamic_batching needs a max_batch_size above 0');
    return false;
  }
  if (maxBatch === undefined && (given !== undefined || dynamic === undefined)) return undefined;
  const batching: Record<string, unknown> = maxBatch === undefined ? {} : { maxBatchSize: maxBatch };
  if (dynamic === undefined) return batching;
  const d = read.record(dynamic, 'dynamic_batching', DYNAMIC_KEYS);
  if (d['max_queue_delay_microseconds'] !== undefined) {
    batching['maxQueueDelayMicros'] = read.int(d['max_queue_delay_microseconds'], 'max_queue_delay_microseconds', 0);
  }
  const preferred = d['preferred_batch_size'];
  if (Array.isArray(preferred)) {
    batching['preferredBatchSizes'] = preferred.map((p) => read.int(p, 'preferred_batch_size[]', 1));
  } else if (preferred !== undefined) read.mistakes.push('dynamic_batching.preferred_batch_size must be an array');
  if (d['default_queue_policy'] !== undefined) {
    const policy = read.record(d['default_queue_policy'], 'dynamic_batching.default_queue_policy', ['max_queue_size']);
    if (policy['max_queue_size'] !== undefined) {
      batching['maxQueueSize'] = read.int(policy['max_queue_size'], 'max_queue_size', 1);
    }
  }
  return batching;
}

/** instance_group as `instances` and, for KIND_GPU, `executionProviders` (see the module comment). */
function instancesOf(groups: unknown, settings: ModelSettings, read: Reader): void {
  if (!Array.isArray(groups)) {
    read.mistakes.push('instance_group must be an array');
    return;
  }
  if (groups.length === 0) return;
  let instances = 0;
  let gpu = false;
  const devices = new Set<number>();
  for (const group of groups) {
    const g = read.record(group, 'instance_group[]', ['name', 'kind', 'count', 'gpus']);
    instances += g['count'] === undefined ? 1 : (read.int(g['count'], 'instance_group[].count', 1) ?? 0);
    if (g['kind'] === 'KIND_GPU') gpu = true;
    else if (g['kind'] !== undefined && g['kind'] !== 'KIND_CPU' && g['kind'] !== 'KIND_AUTO') {
      read.mistakes.push(`instance_group[].kind ${JSON.stringify(g['kind'])}: KIND_CPU, KIND_GPU or KIND_AUTO`);
    }
    const gpus = g['gpus'] ?? [];
    if (!Array.isArray(gpus)) read.mistakes.push('instance_group[].gpus must be an array');
    else for (const id of gpus) devices.add(read.int(id, 'instance_group[].gpus[]', 0) ?? 0);
  }
  if (devices.size > 1) read.mistakes.push(`instance_group[].gpus: one GPU per model, got ${[...devices].join(', ')}`);
  settings['instances'] = instances;
  if (gpu)
    settings['executionProviders'] = devices.size === 1 ? [{ name: 'cuda', deviceId: [...devices][0] }] : ['cuda'];
}

/**
 * Model settings from Triton's configuration `config` (see the module comment); `where` names it in errors.
 * With `onIgnored`, keys graphserve does not take are handed to it (once, all of them) instead of refused:
 * a config.pbtxt written for Triton loads with what graphserve can apply.
 */
export function settingsOfTritonConfig(
  config: Record<string, unknown>,
  where: string,
  onIgnored?: (keys: string[]) => void,
): ModelSettings {
  const read = new Reader(onIgnored !== undefined);
  read.record(config, '', [...KNOWN_KEYS]);
  const settings: ModelSettings = {};
  if (typeof config['name'] === 'string') settings.name = config['name'];
  else if (config['name'] !== undefined) read.mistakes.push('name must be a string');
  if (config['platform'] !== undefined && !PLATFORMS.has(config['platform'] as string)) {
    read.mistakes.push(
      `platform ${JSON.stringify(config['platform'])} is not served; graphserve serves onnxruntime_onnx`,
    );
  }
  if (config['backend'] !== undefined && !BACKENDS.has(config['backend'] as string)) {
    read.mistakes.push(`backend ${JSON.stringify(config['backend'])} is not served; graphserve serves onnxruntime`);
  }
  const batching = batchingOf(config, read);
  if (batching !== undefined) settings['batching'] = batching;
  if (config['instance_group'] !== undefined) instancesOf(config['instance_group'], settings, read);
  if (config['version_policy'] !== undefined) {
    settings.versionPolicy = config['version_policy'] as ModelSettings['versionPolicy'];
  }
  if (config['parameters'] !== undefined) {
    const parameters = read.record(config['parameters'], 'parameters', Object.keys(THREAD_PARAMETERS));
    for (const [key, option] of Object.entries(THREAD_PARAMETERS)) {
      if (parameters[key] === undefined) continue;
      const value = read.record(parameters[key], `parameters.${key}`, ['string_value']);
      settings[option] = read.int(value['string_value'], `parameters.${key}.string_value`, 0);
    }
  }
  for (const key of ['input', 'output']) {
    if (config[key] !== undefined && !Array.isArray(config[key])) read.mistakes.push(`${key} must be an array`);
  }
  if (read.mistakes.length > 0) {
    throw new InvalidOptionError(`${where} (Triton's model configuration) has mistakes: ${read.mistakes.join('; ')}`);
  }
  if (read.ignored.length > 0) onIgnored?.([...new Set(read.ignored)]);
  return settings;
}
