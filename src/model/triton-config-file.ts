/**
 * A Triton model folder's config.pbtxt read as model settings, when the folder has no model-settings.json:
 * a repository written for Triton keeps its batching, instances, version policy and threads. The file is
 * protobuf text format (./pbtxt.ts), then Triton's configuration (./triton-model-config.ts); its `name` is
 * not taken (Triton requires it to be the folder's, which is served). Fields graphserve does not take
 * (optimization, model_warmup, …) are left out with a process warning GRAPHSERVE_TRITON_CONFIG naming them;
 * a value graphserve cannot serve (another platform or backend, a malformed number) fails the model's load.
 */
import { readFile } from 'node:fs/promises';
import { parseTextFormat } from './pbtxt';
import { settingsOfTritonConfig } from './triton-model-config';
import type { ModelSettings } from './model-repository';

export const TRITON_CONFIG_FILE = 'config.pbtxt';

/** ModelConfig's repeated fields and maps (model_config.proto), as text format writes them. */
const SCHEMA = Object.freeze({
  repeated: new Set(['input', 'output', 'instance_group', 'dims', 'gpus', 'preferred_batch_size', 'versions']),
  maps: new Set(['parameters']),
});

/** The warnings given: a file is read again by every poll scan and load, its warning is given once. */
const warned = new Set<string>();

/** The settings of the config.pbtxt at `path` (see the module comment); unchecked (the caller checks them). */
export async function readTritonConfigFile(path: string): Promise<ModelSettings> {
  const config = parseTextFormat(await readFile(path, 'utf8'), path, SCHEMA);
  delete config['name'];
  return settingsOfTritonConfig(config, path, (keys) => {
    const message = `${path}: fields graphserve does not take, left out: ${keys.join(', ')}`;
    if (warned.has(message)) return;
    warned.add(message);
    process.emitWarning(message, { code: 'GRAPHSERVE_TRITON_CONFIG' });
  });
}
