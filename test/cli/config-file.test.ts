/**
 * The server settings file (src/cli/config-file.ts) on the real `serve` command: keys derived from the
 * option declarations, values checked as the command line checks them, and the precedence command line >
 * environment > file > defaults, boolean flags read by hand (strict readiness) included.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { applySettingsFile, envVarOf, settingsKeys } from '../../src/cli/config-file';
import { addServeOptions, type ServeFlags } from '../../src/cli/serve-options';

const dir = mkdtempSync(join(tmpdir(), 'gs-config-'));

/** The flags `serve` would act on for `args`, the environment `env` and a settings file holding `settings`. */
function flagsOf(settings: unknown, args: string[] = [], env: Record<string, string> = {}): ServeFlags {
  const file = join(dir, `settings-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(settings));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const command = addServeOptions(new Command('serve').exitOverride());
    command.parse(['--config', file, ...args], { from: 'user' });
    applySettingsFile(command);
    return command.opts<ServeFlags>();
  } finally {
    for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

describe('the settings file', () => {
  it('has a key for every option of serve, named as the option, and none for --config itself', () => {
    const command = addServeOptions(new Command('serve'));
    const keys = [...settingsKeys(command).keys()];
    const names = new Set(command.options.map((o) => o.attributeName()));
    names.delete('config');
    expect(keys.sort()).toEqual([...names].sort());
    expect(envVarOf(command.options.find((o) => o.long === '--no-strict-readiness')!)).toBe(
      'GRAPHSERVE_STRICT_READINESS',
    );
  });

  it('sets options the command line and the environment leave at their defaults', () => {
    const flags = flagsOf({ port: 9000, requestTimeout: 2.5, logFormat: 'text', strictReadiness: false });
    expect(flags).toMatchObject({ port: 9000, requestTimeout: 2.5, logFormat: 'text', strictReadiness: false });
  });

  it('takes a list for a repeatable option', () => {
    expect(flagsOf({ modelControlMode: 'explicit', loadModel: ['a', 'b,c'] }).loadModel).toEqual(['a', 'b', 'c']);
  });

  it('gives way to the environment, flags read by hand included, and to the command line', () => {
    const env = { GRAPHSERVE_PORT: '7000', GRAPHSERVE_STRICT_READINESS: 'true' };
    const fromEnv = flagsOf({ port: 9000, strictReadiness: false }, [], env);
    expect(fromEnv.port).toBe(7000);
    expect(fromEnv.strictReadiness).toBeUndefined(); // left to GRAPHSERVE_STRICT_READINESS (flagOrEnv)
    expect(flagsOf({ port: 9000 }, ['--port', '6000'], env).port).toBe(6000);
  });

  it('reports every unknown key and bad value at once', () => {
    expect(() =>
      flagsOf({ port: 'eighty', logLevel: 'loud', colour: 'blue', exitOnError: 'yes', accessLog: [1] }),
    ).toThrow(
      /: port: port must be an integer from 0 to 65535; logLevel: must be one of fatal, .*, not loud; colour: not a setting; exitOnError: must be true or false; accessLog: must be a string or a boolean \(keys: /,
    );
  });

  it('refuses a file that is not a JSON object', () => {
    const file = join(dir, 'list.json');
    writeFileSync(file, '[1, 2]');
    const command = addServeOptions(new Command('serve').exitOverride());
    command.parse(['--config', file], { from: 'user' });
    expect(() => applySettingsFile(command)).toThrow(`settings file ${file} must hold a JSON object`);
  });
});
