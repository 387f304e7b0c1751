/**
 * Helpers for tests that run `graphserve serve` in a child process: each test file compiles its own
 * copy of the sources (so parallel test files never write over each other's build) and spawns the CLI
 * with the repository's addon.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const ADDON = join(ROOT, 'build', 'Release', 'graphserve.node');

/** Compiles the sources into `.cache/cli-test-build-<tag>`; returns that folder. */
export function compileSources(tag: string): string {
  const outDir = join(ROOT, '.cache', `cli-test-build-${tag}`);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: ROOT });
  return outDir;
}

/**
 * A model repository of user classes under `root`: `root/models.js` (the --module file) holds
 * `classes`, with V2ModelServer of `build` in scope, and exports every class `folders` names; each
 * folder `root/repo/<folder>` serves its class. Resolves to the repository and the module's paths.
 */
export function writeUserRepo(
  build: string,
  root: string,
  classes: string,
  folders: Record<string, string>,
): { dir: string; module: string } {
  const dir = join(root, 'repo');
  for (const [folder, className] of Object.entries(folders)) {
    mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, folder, 'model-settings.json'), JSON.stringify({ className }));
  }
  const module = join(root, 'models.js');
  const v2 = JSON.stringify(join(build, 'src', 'model', 'v2-model-server.js'));
  const exported = [...new Set(Object.values(folders))].join(', ');
  writeFileSync(module, `const { V2ModelServer } = require(${v2});\n${classes}\nmodule.exports = { ${exported} };\n`);
  return { dir, module };
}

/** A running CLI and everything it wrote so far (stdout and stderr together). */
export interface CliChild {
  child: ChildProcess;
  output: { text: string };
  /** Resolves with the exit code once the child has exited and its output is read. */
  exited: Promise<number | null>;
}

/** Every child startCli spawned in this test file (jest loads this module once per test file). */
const started: CliChild[] = [];

/** Spawns `node <build>/src/cli/main.js serve ...args` on 127.0.0.1, port 0, with `env` added. */
export function startCli(build: string, args: string[], env: Record<string, string> = {}): CliChild {
  const child = spawn(process.execPath, [join(build, 'src', 'cli', 'main.js'), 'serve', ...args], {
    env: { ...process.env, GRAPHSERVE_ADDON: ADDON, GRAPHSERVE_HOST: '127.0.0.1', GRAPHSERVE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const cli = { child, output, exited };
  started.push(cli);
  return cli;
}

/** Resolves with the match once the output matches `pattern`; rejects if the child exits first. */
export function waitForOutput({ child, output, exited }: CliChild, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(output.text);
      if (!match) return;
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      resolve(match);
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((code) => {
      check();
      reject(new Error(`exited ${code} before ${pattern}: ${output.text}`));
    });
    check();
  });
}

/** Waits for the "listening on" line; resolves with the server's URL. */
export async function listeningUrl(cli: CliChild): Promise<string> {
  return (await waitForOutput(cli, /listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
}

/** Kills the child if it still runs. */
export function stopCli(cli: CliChild | undefined): void {
  if (cli && cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
}

/** Kills every child startCli spawned in this test file that still runs (for afterAll). */
export function stopAllClis(): void {
  started.forEach(stopCli);
}
