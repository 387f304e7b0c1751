#!/usr/bin/env node
/**
 * The graphserve command line.
 *
 *   graphserve serve --model-repository DIR [--module FILE] [--host H] [--port P] [--body-limit BYTES]
 *                    [--no-strict-readiness] [--exit-on-error]
 *   graphserve serve GRAPH.yaml [--module FILE] [...]   (a graph spec, JSON or YAML: see src/cli/spec-server.ts)
 *
 * Every option has an environment equivalent (GRAPHSERVE_MODEL_REPOSITORY, GRAPHSERVE_MODULE,
 * GRAPHSERVE_HOST, GRAPHSERVE_PORT, GRAPHSERVE_BODY_LIMIT, GRAPHSERVE_STRICT_READINESS=true|false,
 * GRAPHSERVE_EXIT_ON_ERROR=true|false). It prints one line per model (ready or FAILED) and a count;
 * with --exit-on-error it then exits 1 if any model failed, else it prints the URL it listens on (the
 * bound port with --port 0). SIGTERM or SIGINT stop accepting connections, let requests in flight
 * finish, release the models and exit 0. Errors no request owns (a user model's unawaited rejection,
 * a throw from its timer) are logged and counted, and the server keeps serving (src/server/process-guard.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { kDefaultHttpOptions, serve, type RunningServer } from '../server/http';
import { guardProcess } from '../server/process-guard';
import { ROUTER_DEFAULTS } from '../graph/router';
import { buildRepositoryServer, disposeModels, REPOSITORY_SERVER_DEFAULTS } from './repository-server';
import { buildSpecServer } from './spec-server';

const STRICT_READINESS_ENV = 'GRAPHSERVE_STRICT_READINESS';
const EXIT_ON_ERROR_ENV = 'GRAPHSERVE_EXIT_ON_ERROR';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

interface ServeFlags {
  modelRepository?: string;
  module?: string;
  host: string;
  port: number;
  bodyLimit: number;
  strictReadiness?: boolean;
  exitOnError?: boolean;
}

/** A boolean flag: its command-line value, else its environment variable ('true' | 'false'), else `fallback`. */
function flagOrEnv(value: boolean | undefined, env: string, fallback: boolean): boolean {
  if (value !== undefined) return value;
  const text = (process.env[env] ?? '').trim().toLowerCase();
  if (text === '') return fallback;
  if (text !== 'true' && text !== 'false') throw new InvalidArgumentError(`${env} must be true or false, not ${text}`);
  return text === 'true';
}

/** Stops on the first SIGTERM/SIGINT: drain HTTP, release models, exit 0 (1 if the drain fails). */
function exitOnSignals(running: RunningServer, release: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    print(`graphserve: ${signal} received, draining requests in flight`);
    running
      .close()
      .then(release)
      .then(
        () => {
          print('graphserve: stopped');
          process.exit(0);
        },
        (err: unknown) => {
          console.error(`graphserve: shutdown failed: ${String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function runServe(specFile: string | undefined, flags: ServeFlags): Promise<void> {
  if ((specFile === undefined) === (flags.modelRepository === undefined)) {
    throw new InvalidArgumentError('give either a graph spec file or --model-repository, not both or neither');
  }
  // One model's stray rejection or timer throw is logged and counted, never the end of the others.
  guardProcess({ error: (message) => console.error(`graphserve: ${message}`) });
  const graphServer = specFile
    ? await buildSpecServer({ spec: specFile, module: flags.module }, print)
    : await buildRepositoryServer(
        {
          modelRepository: flags.modelRepository!,
          module: flags.module,
          strictReadiness: flagOrEnv(flags.strictReadiness, STRICT_READINESS_ENV, ROUTER_DEFAULTS.strictReadiness),
          exitOnError: flagOrEnv(flags.exitOnError, EXIT_ON_ERROR_ENV, REPOSITORY_SERVER_DEFAULTS.exitOnError),
        },
        print,
      );
  const running = await serve(graphServer, { host: flags.host, port: flags.port, bodyLimit: flags.bodyLimit });
  exitOnSignals(running, () => (specFile ? graphServer.waitForCompletion() : disposeModels(graphServer)));
  print(`graphserve: listening on ${running.url}`);
}

export function buildProgram(): Command {
  const program = new Command('graphserve').description('Model serving for Node.js (Open Inference Protocol)');
  program
    .command('serve')
    .description('serve a model repository folder, or a graph spec file (JSON/YAML), over HTTP')
    .argument('[spec]', 'graph spec file (JSON or YAML) to serve instead of a model repository')
    .addOption(
      new Option('--model-repository <dir>', 'folder with one sub-folder per model').env('GRAPHSERVE_MODEL_REPOSITORY'),
    )
    .addOption(new Option('--module <file>', 'JS module exporting user model classes').env('GRAPHSERVE_MODULE'))
    .addOption(
      new Option('--host <host>', 'interface to listen on').env('GRAPHSERVE_HOST').default(kDefaultHttpOptions.host),
    )
    .addOption(
      new Option('--port <port>', 'TCP port; 0 = any free port')
        .env('GRAPHSERVE_PORT')
        .argParser(integer('port', 0, 65535))
        .default(kDefaultHttpOptions.port),
    )
    .addOption(
      new Option('--body-limit <bytes>', 'largest request body')
        .env('GRAPHSERVE_BODY_LIMIT')
        .argParser(integer('body limit', 1, Number.MAX_SAFE_INTEGER))
        .default(kDefaultHttpOptions.bodyLimit),
    )
    .addOption(
      new Option('--strict-readiness', `ready when every model is (default; env: ${STRICT_READINESS_ENV}=true|false)`),
    )
    .addOption(new Option('--no-strict-readiness', 'ready when at least one model is'))
    .addOption(
      new Option(
        '--exit-on-error',
        `exit 1 after the report if any model failed (env: ${EXIT_ON_ERROR_ENV}=true|false)`,
      ),
    )
    .addOption(new Option('--no-exit-on-error', 'serve the models that loaded (default)'))
    .action((specFile: string | undefined, flags: ServeFlags) => runServe(specFile, flags));
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`graphserve: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
