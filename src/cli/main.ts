#!/usr/bin/env node
/**
 * The graphserve command line.
 *
 *   graphserve serve --model-repository DIR [--module FILE] [--host H] [--port P] [--body-limit BYTES]
 *                    [--request-timeout S] [--drain-timeout S] [--headers-timeout S] [--body-timeout S]
 *                    [--keep-alive-timeout S] [--max-connections N] [--no-strict-readiness] [--exit-on-error]
 *                    [--model-control-mode none|explicit|poll] [--load-model NAME]... [--repository-poll-secs S]
 *                    [--model-name NAME]   (model control and layouts: see src/graph/repository/model-registry.ts)
 *                    [--heap-growing-percent N] [--memory-reducer]   (V8's garbage collector: see ./v8-gc.ts)
 *                    [--event-loop-spin-micros N]   (polling while the engine is idle: bindings/event-loop-spin.ts)
 *   graphserve serve GRAPH.yaml [--module FILE] [...]   (a graph spec, JSON or YAML: see src/cli/spec-server.ts)
 *                    [--function NAME] [--source URL]   (one function's part of a multi-function graph, fed by its
 *                    stream queue; a stream of request bodies: see src/cli/stream-triggers.ts)
 *
 * Every option has an environment equivalent: GRAPHSERVE_ and the flag's name in capitals
 * (GRAPHSERVE_REQUEST_TIMEOUT …; see ./serve-options.ts). It prints one line per model (ready or
 * FAILED) and a count; with --exit-on-error it then exits 1 if any model failed, else it prints the
 * address it listens on (the one actually bound). SIGTERM or SIGINT drain without losing a request
 * (requests in flight finish, later ones get 503, at most --drain-timeout), release the models and exit
 * 0 (./shutdown.ts). Errors no request owns (a user model's unawaited rejection, a throw from its timer)
 * are logged and counted, and the server keeps serving (src/server/process-guard.ts).
 */
import { Command, InvalidArgumentError } from 'commander';
import { ROUTER_DEFAULTS } from '../graph/router';
import { serve } from '../server/http/http';
import { guardProcess } from '../server/process-guard';
import {
  createLogger,
  lineLoggerOf,
  logProcessWarnings,
  openDestination,
  setRequestIdScope,
  type LogOptions,
} from '../logging';
import { SERVER_VERSION } from '../version';
import { buildRepositoryServer, disposeModels, REPOSITORY_SERVER_DEFAULTS } from './repository-server';
import {
  EXIT_ON_ERROR_ENV,
  MEMORY_REDUCER_ENV,
  STRICT_READINESS_ENV,
  accessLogTarget,
  addServeOptions,
  flagOrEnv,
  graphServerOptionsOf,
  repositoryOptionsOf,
  grpcOptionsOf,
  httpOptionsOf,
  type ServeFlags,
} from './serve-options';
import { withGrpc } from './grpc-server';
import { applySettingsFile } from './config-file';
import { applyV8GcOptions, kDefaultV8GcOptions } from './v8-gc';
import { eventLoopSpinMicros, setEventLoopSpinMicros } from '../../bindings/event-loop-spin';
import { checkPortFree } from './port-check';
import { stopOnSignals } from './shutdown';
import { buildSpecServer } from './spec-server';

/** The log options in force (set from the flags once parsed); a failure to start is logged with them. */
let logOptions: LogOptions = {};

async function runServe(specFile: string | undefined, flags: ServeFlags): Promise<void> {
  logOptions = { level: flags.logLevel, format: flags.logFormat };
  setRequestIdScope(flags.logRequestIds);
  const log = createLogger(logOptions);
  const lines = lineLoggerOf(log);
  const print = (line: string): void => log.info(line);
  if ((specFile === undefined) === (flags.modelRepository === undefined)) {
    throw new InvalidArgumentError('give either a graph spec file or --model-repository, not both or neither');
  }
  if (specFile === undefined && (flags.function !== undefined || flags.source !== undefined)) {
    throw new InvalidArgumentError('--function and --source need a graph spec file');
  }
  // One model's stray rejection or timer throw is logged and counted, never the end of the others.
  guardProcess(lines);
  logProcessWarnings(log);
  setEventLoopSpinMicros(flags.eventLoopSpinMicros);
  const v8Flags = applyV8GcOptions({
    heapGrowingPercent: flags.heapGrowingPercent,
    memoryReducer: flagOrEnv(flags.memoryReducer, MEMORY_REDUCER_ENV, kDefaultV8GcOptions.memoryReducer),
  });
  await checkPortFree(flags.host, flags.port);
  if (flags.grpcPort >= 0) await checkPortFree(flags.host, flags.grpcPort, 'gRPC port');
  const graph = graphServerOptionsOf(flags);
  const graphServer = specFile
    ? await buildSpecServer(
        {
          spec: specFile,
          module: flags.module,
          logger: lines,
          currentFunction: flags.function,
          source: flags.source,
          ...graph,
        },
        print,
      )
    : await buildRepositoryServer(
        {
          modelRepository: flags.modelRepository!,
          module: flags.module,
          logger: lines,
          strictReadiness: flagOrEnv(flags.strictReadiness, STRICT_READINESS_ENV, ROUTER_DEFAULTS.strictReadiness),
          exitOnError: flagOrEnv(flags.exitOnError, EXIT_ON_ERROR_ENV, REPOSITORY_SERVER_DEFAULTS.exitOnError),
          ...repositoryOptionsOf(flags),
          ...graph,
        },
        print,
      );
  const access = accessLogTarget(flags.accessLog);
  const accessLog = access === undefined ? null : openDestination(access);
  const running = await serve(graphServer, { ...httpOptionsOf(flags), loggerInstance: log, accessLog });
  const servers = await withGrpc(running, graphServer, grpcOptionsOf(flags));
  stopOnSignals(servers, () => (specFile ? graphServer.close() : disposeModels(graphServer)), lines);
  const listening = {
    version: SERVER_VERSION,
    v8Flags: v8Flags.join(' ') || null,
    eventLoopSpinMicros: eventLoopSpinMicros(),
  };
  log.info(listening, `listening on ${running.address}`);
  if (servers.grpc) log.info({ grpcAddress: servers.grpc.address }, `gRPC listening on ${servers.grpc.address}`);
}

export function buildProgram(): Command {
  const program = new Command('graphserve')
    .description('Model serving for Node.js (Open Inference Protocol)')
    .version(SERVER_VERSION, '-V, --version', 'print the version of graphserve');
  const serveCommand = program
    .command('serve')
    .description('serve a model repository folder, or a graph spec file (JSON/YAML), over HTTP')
    .argument('[spec]', 'graph spec file (JSON or YAML) to serve instead of a model repository');
  addServeOptions(serveCommand)
    .hook('preAction', (command) => applySettingsFile(command))
    .action((specFile: string | undefined, flags: ServeFlags) => runServe(specFile, flags));
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      // On stderr, as a log line: the server did not start (or stopped) because of it.
      createLogger({ ...logOptions, destination: 2 }).fatal(err instanceof Error ? err.message : String(err));
      process.exit(1);
    });
}
