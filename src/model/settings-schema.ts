/**
 * model-settings.json's JSON Schema (schemas/model-settings.schema.json, shipped in the package so that
 * editors can check a file with `$schema`) and the check made with it when a model folder is read: ajv
 * with allErrors, so that every mistake of a file is reported at once, each with its JSON pointer:
 *
 *   …/model-settings.json has 3 mistakes: /batching/maxBatchSize must be >= 1; /executionProviders/0 must
 *   be one of "cpu", "cuda"; / has unknown keys maxBatch (known: name, version, …)
 *
 * The schema is the one declaration of the settings' keys and value ranges; the engine checks the same
 * ranges again when it builds a session (bindings/options.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidOptionError } from '../errors';
import { SERVER_NAME } from '../version';

/** The schema's path inside the package. */
export const SETTINGS_SCHEMA_FILE = join('schemas', 'model-settings.schema.json');

/** The package's root: the nearest folder above this file whose package.json is graphserve's. */
function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === SERVER_NAME
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`cannot find ${SERVER_NAME}'s package.json above ${__dirname}`);
  }
}

/** The absolute path of schemas/model-settings.schema.json. */
export function settingsSchemaPath(): string {
  return join(packageRoot(), SETTINGS_SCHEMA_FILE);
}

interface Schema {
  properties: Record<string, unknown>;
}

let compiled: { schema: Schema; validate: ValidateFunction } | undefined;

/** The schema and its validator, read and compiled once. */
function validator(): { schema: Schema; validate: ValidateFunction } {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(settingsSchemaPath(), 'utf8')) as Schema;
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    compiled = { schema, validate: ajv.compile(schema) };
  }
  return compiled;
}

/** The keys a model-settings.json may hold, as the schema declares them ($schema left out). */
export function settingsKeys(): string[] {
  return Object.keys(validator().schema.properties).filter((key) => key !== '$schema');
}

function quoted(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => JSON.stringify(v)).join(', ') : JSON.stringify(values);
}

/** One ajv error as "<pointer> <what is wrong>". */
function describe(error: ErrorObject): string {
  const at = error.instancePath || '/';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      return `${at} must be one of ${quoted(params['allowedValues'])}, not ${JSON.stringify(error.data)}`;
    case 'const':
      return `${at} must be ${quoted(params['allowedValue'])}`;
    case 'type':
      return `${at} must be ${String(params['type']).replace(',', ' or ')}, not ${JSON.stringify(error.data)}`;
    default:
      return `${at} ${error.message ?? 'is invalid'}`;
  }
}

/** The unknown keys of each object, one line per object: "<pointer> has unknown keys a, b (known: …)". */
function unknownKeys(errors: ErrorObject[]): string[] {
  const byObject = new Map<string, { keys: string[]; known: string[] }>();
  for (const error of errors) {
    const entry = byObject.get(error.instancePath) ?? {
      keys: [],
      known: Object.keys((error.parentSchema as Partial<Schema> | undefined)?.properties ?? {}),
    };
    entry.keys.push(String((error.params as Record<string, unknown>)['additionalProperty']));
    byObject.set(error.instancePath, entry);
  }
  return [...byObject].map(
    ([at, { keys, known }]) =>
      `${at || '/'} has unknown keys ${keys.join(', ')} (known: ${known.filter((k) => k !== '$schema').join(', ')})`,
  );
}

/** Every mistake of `settings` against the schema, one line each ([] when it is valid). */
export function settingsMistakes(settings: unknown): string[] {
  const { validate } = validator();
  if (validate(settings)) return [];
  // An if/then failure repeats what the branch's own errors say.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const unknown = errors.filter((e) => e.keyword === 'additionalProperties');
  const others = errors.filter((e) => e.keyword !== 'additionalProperties').map(describe);
  return [...new Set([...unknownKeys(unknown), ...others])];
}

/** `settings` when valid; else InvalidOptionError listing every mistake, `where` (the file) first. */
export function checkSettings(settings: unknown, where: string): Record<string, unknown> {
  const mistakes = settingsMistakes(settings);
  if (mistakes.length === 0) return settings as Record<string, unknown>;
  const count = mistakes.length === 1 ? 'a mistake' : `${mistakes.length} mistakes`;
  throw new InvalidOptionError(`${where} has ${count}: ${mistakes.join('; ')}`);
}
