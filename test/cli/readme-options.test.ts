/**
 * The README documents every option of `graphserve serve` (flag, environment variable, settings-file key),
 * every GRAPHSERVE_ environment variable the code reads, and every key of model-settings.json: these tests
 * read the README's tables and compare them with the declarations.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { envVarOf, settingsKeys as configKeys } from '../../src/cli/config-file';
import { buildProgram } from '../../src/cli/main';
import { settingsKeys } from '../../src/model/settings-schema';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The rows of the README table whose header row starts with `header`, as lists of cells. */
function table(header: string): string[][] {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => line.startsWith(header));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;

describe('the README', () => {
  it('documents every option of serve with its environment variable and settings key, and no other', () => {
    const documented = table('| flag | environment | settings key |').map(([flags, env, key]) => ({
      flags: [...flags!.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]).sort(),
      env: env!.replace(/`/g, ''),
      key: key!.replace(/`/g, ''),
    }));
    const declared = new Map<string, { flags: string[]; env: string; key: string }>();
    for (const option of serve.options) {
      const name = option.attributeName();
      const entry = declared.get(name) ?? { flags: [], env: envVarOf(option), key: name === 'config' ? '' : name };
      entry.flags = [...entry.flags, option.long!].sort();
      declared.set(name, entry);
    }
    expect(documented.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [...declared.values()].sort((a, b) => a.key.localeCompare(b.key)),
    );
  });

  it('names a settings-file key for every option that has one', () => {
    const keys = table('| flag | environment | settings key |').map((row) => row[2]!.replace(/`/g, ''));
    for (const key of configKeys(serve).keys()) expect(keys).toContain(key);
  });

  it('mentions every GRAPHSERVE_ environment variable the code reads', () => {
    const notEnv = new Set(['GRAPHSERVE_PROVIDER', 'GRAPHSERVE_ASAN']); // a warning code, a CMake option
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|js)$/.test(entry)) {
          for (const m of readFileSync(path, 'utf8').matchAll(/GRAPHSERVE_[A-Z][A-Z_]*[A-Z]/g)) names.add(m[0]);
        }
      }
    };
    for (const dir of ['src', 'bindings', 'scripts', 'bench']) walk(join(ROOT, dir));
    const missing = [...names].filter((name) => !notEnv.has(name) && !README.includes(name));
    expect(missing).toEqual([]);
  });

  it('documents every key of model-settings.json, as the schema declares them', () => {
    const documented = table('| key | type | default | what |').map((row) => row[0]!.replace(/`/g, ''));
    expect(documented.sort()).toEqual(settingsKeys().sort());
  });
});
