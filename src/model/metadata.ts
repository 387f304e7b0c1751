/**
 * What a model server answers at `GET /v2/models/<m>` (OIP model metadata) unless it overrides
 * metadata(): the inputs, outputs and platform its class or its spec declares.
 */
import { InvalidOptionError } from '../errors';
import { isPlainObject } from '../step/paths';
import type { DeclaredMetadata, ModelMetadata, ModelServerOptions, ModelSpec } from './types';

/** The `metadata` option of a model server, checked (InvalidOptionError) and frozen. */
export function declaredMetadata(options: ModelServerOptions): Readonly<DeclaredMetadata> {
  const declared = options.metadata ?? {};
  if (!isPlainObject(declared)) throw new InvalidOptionError('metadata must be an object {inputs, outputs, platform}');
  for (const key of ['inputs', 'outputs'] as const) {
    const list = declared[key];
    if (
      list !== undefined &&
      !(Array.isArray(list) && list.every((t) => isPlainObject(t) && typeof t.name === 'string'))
    ) {
      throw new InvalidOptionError(`metadata.${key} must be a list of {name, datatype, shape}`);
    }
  }
  return Object.freeze({ ...declared });
}

/**
 * The metadata answer: name and version; inputs and outputs as declared, else the model spec's features
 * (getModel()), else empty; the platform when declared.
 */
export function modelMetadata(
  name: string,
  version: string,
  declared: Readonly<DeclaredMetadata>,
  spec: ModelSpec | undefined,
): ModelMetadata {
  const meta: ModelMetadata = {
    name,
    version,
    inputs: [...(declared.inputs ?? spec?.inputs ?? [])],
    outputs: [...(declared.outputs ?? spec?.outputs ?? [])],
  };
  if (declared.platform !== undefined) meta.platform = declared.platform;
  return meta;
}
