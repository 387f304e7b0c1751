/**
 * The server settings file, as MLServer's settings.json: `graphserve serve --config settings.json` (env
 * GRAPHSERVE_CONFIG) reads a JSON object with a key per option of `serve`, the option's camelCase name:
 *
 *   {"modelRepository": "./models", "port": 9000, "requestTimeout": 30, "logFormat": "text",
 *    "strictReadiness": false, "accessLog": "/var/log/graphserve/access.log", "corsOrigin": "*"}
 *
 * The keys are derived from the option declarations (./serve-options.ts), so every option declared there
 * has one, with the same checks as on the command line. Precedence: command line > environment > settings
 * file > defaults. Paths in the file are taken as on the command line (relative to the working folder).
 * Every mistake of the file is reported at once.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command, type Option } from 'commander';

/** The option that names the settings file itself (it has no key in the file). */
const CONFIG_KEY = 'config';

/** An option's environment variable: the declared one, or GRAPHSERVE_<NAME> for flags read by hand. */
export function envVarOf(option: Option): string {
  return (
    option.envVar ??
    `GRAPHSERVE_${option
      .attributeName()
      .replace(/[A-Z]/g, (c) => `_${c}`)
      .toUpperCase()}`
  );
}

/** Each settings key with the options it sets (a flag and its --no- twin share one key). */
export function settingsKeys(command: Command): Map<string, Option[]> {
  const keys = new Map<string, Option[]>();
  for (const option of command.options) {
    const key = option.attributeName();
    if (key === CONFIG_KEY || key === 'help') continue;
    keys.set(key, [...(keys.get(key) ?? []), option]);
  }
  return keys;
}

/** The option's value for a settings-file value, checked as the command line checks it. */
function convert(option: Option, value: unknown): unknown {
  if (option.isBoolean()) {
    if (typeof value !== 'boolean') throw new InvalidArgumentError('must be true or false');
    return value;
  }
  if (option.optional && typeof value === 'boolean') return value;
  const items = Array.isArray(value) && option.parseArg ? value : [value];
  let result: unknown = undefined;
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') {
      throw new InvalidArgumentError(`must be a ${option.optional ? 'string or a boolean' : 'string or a number'}`);
    }
    const text = String(item);
    if (option.argChoices && !option.argChoices.includes(text)) {
      throw new InvalidArgumentError(`must be one of ${option.argChoices.join(', ')}, not ${text}`);
    }
    result = option.parseArg ? option.parseArg(text, result) : text;
  }
  return result;
}

function readSettingsFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`settings file ${file}: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`settings file ${file} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Applies the settings file named by --config (or GRAPHSERVE_CONFIG) to `command`'s parsed options: each
 * key whose option was not given on the command line nor in the environment. Throws InvalidArgumentError
 * listing every unknown key and bad value.
 */
export function applySettingsFile(command: Command): void {
  const file = command.getOptionValue(CONFIG_KEY) as string | undefined;
  if (file === undefined || file === '') return;
  const keys = settingsKeys(command);
  const mistakes: string[] = [];
  for (const [key, value] of Object.entries(readSettingsFile(file))) {
    const options = keys.get(key);
    if (options === undefined) {
      mistakes.push(`${key}: not a setting`);
      continue;
    }
    const source = command.getOptionValueSource(key);
    if (source === 'cli' || source === 'env' || options.some((o) => process.env[envVarOf(o)] !== undefined)) continue;
    try {
      command.setOptionValueWithSource(key, convert(options[0]!, value), 'config');
    } catch (err) {
      mistakes.push(`${key}: ${(err as Error).message}`);
    }
  }
  if (mistakes.length > 0) {
    const known = [...keys.keys()].join(', ');
    throw new InvalidArgumentError(`settings file ${file}: ${mistakes.join('; ')} (keys: ${known})`);
  }
}
