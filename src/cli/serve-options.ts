/**
 * The options of `graphserve serve`: each flag, its environment variable and its default (the defaults
 * are the libraries' own, declared once in kDefaultHttpOptions and kDefaultGraphServerOptions), and the
 * conversion of parsed flags into the HTTP and GraphServer options.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { MAX_EVENT_LOOP_SPIN_MICROS, kDefaultEventLoopSpinMicros } from '../../bindings/event-loop-spin';
import { MODEL_CONTROL_MODES, type ModelControlMode } from '../graph/repository/model-registry';
import { REPOSITORY_SERVER_DEFAULTS } from './repository-server';
import { kDefaultGraphServerOptions, type GraphServerOptions } from '../graph-server/graph-server';
import { kDefaultGrpcOptions, type GrpcOptions } from '../server/grpc/grpc';
import { HTTP2_DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES } from '../server/grpc/flow-control';
import { kDefaultHttpOptions, type HttpOptions } from '../server/http/http';
import { MAX_HEAP_GROWING_PERCENT, kDefaultV8GcOptions } from './v8-gc';
import {
  kDefaultLogOptions,
  kDefaultRequestIdScope,
  LOG_FORMATS,
  LOG_LEVELS,
  REQUEST_ID_SCOPES,
  type LogFormat,
  type LogLevel,
  type RequestIdScope,
} from '../logging';

export const STRICT_READINESS_ENV = 'GRAPHSERVE_STRICT_READINESS';
export const EXIT_ON_ERROR_ENV = 'GRAPHSERVE_EXIT_ON_ERROR';
export const MEMORY_REDUCER_ENV = 'GRAPHSERVE_MEMORY_REDUCER';

/** What commander parses for `serve` (camelCase flag names). */
export interface ServeFlags {
  modelRepository?: string;
  module?: string;
  /** --function: the function of a multi-function graph spec to run (default: the root). */
  function?: string;
  /** --source: a stream (kafka://… or redis://…) of request bodies, consumed beside HTTP. */
  source?: string;
  modelControlMode: ModelControlMode;
  loadModel?: string[];
  repositoryPollSecs: number;
  modelName?: string;
  host: string;
  port: number;
  bodyLimit: number;
  requestTimeout: number;
  drainTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
  keepAliveTimeout: number;
  maxConnections: number;
  /** -1 = no gRPC server. */
  grpcPort: number;
  grpcMaxMessageSize: number;
  grpcFlowControlWindow: number;
  strictReadiness?: boolean;
  exitOnError?: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  logRequestIds: RequestIdScope;
  /** true (stdout), or a file to append to; undefined = no access log (see accessLogTarget()). */
  accessLog?: string | boolean;
  corsOrigin?: string;
  /** V8's old-generation growing percent (./v8-gc.ts); 0 = V8's own heuristic. */
  heapGrowingPercent: number;
  /** Whether V8's memory reducer runs (./v8-gc.ts); undefined = its environment variable, else off. */
  memoryReducer?: boolean;
  /** How long the event loop spins when the engine goes idle after a run on the JS thread, µs (bindings/event-loop-spin.ts). */
  eventLoopSpinMicros: number;
  config?: string;
}

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** Seconds, decimals allowed (0.5), at least `min`. */
function seconds(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value.trim()) || n < min) {
      throw new InvalidArgumentError(`${name} must be a number of seconds >= ${min}`);
    }
    return n;
  };
}

/** The non-empty items of a comma-separated list, trimmed. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** --load-model: repeatable, each value may list several names separated by commas (the env form). */
function modelNames(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...commaList(value)];
}

/** The model repository's options from the flags (see RepositoryServerOptions). */
export function repositoryOptionsOf(flags: ServeFlags): {
  modelControlMode: ModelControlMode;
  loadModels: string[];
  repositoryPollSecs: number;
  modelName?: string;
} {
  if (flags.loadModel !== undefined && flags.modelControlMode !== 'explicit') {
    throw new InvalidArgumentError('--load-model takes --model-control-mode explicit');
  }
  const options = {
    modelControlMode: flags.modelControlMode,
    loadModels: flags.loadModel ?? [],
    repositoryPollSecs: flags.repositoryPollSecs,
  };
  return flags.modelName === undefined ? options : { ...options, modelName: flags.modelName };
}

/** A boolean flag: its command-line value, else its environment variable ('true' | 'false'), else `fallback`. */
export function flagOrEnv(value: boolean | undefined, env: string, fallback: boolean): boolean {
  if (value !== undefined) return value;
  const text = (process.env[env] ?? '').trim().toLowerCase();
  if (text === '') return fallback;
  if (text !== 'true' && text !== 'false') throw new InvalidArgumentError(`${env} must be true or false, not ${text}`);
  return text === 'true';
}

/** Adds every option of `serve` to `command`. */
export function addServeOptions(command: Command): Command {
  const http = kDefaultHttpOptions;
  const option = (flags: string, description: string, env: string): Option =>
    new Option(flags, description).env(`GRAPHSERVE_${env}`);
  return command
    .addOption(option('--model-repository <dir>', 'folder with one sub-folder per model', 'MODEL_REPOSITORY'))
    .addOption(option('--module <file>', 'JS module exporting user model classes', 'MODULE'))
    .addOption(option('--function <name>', "run only this function's part of a multi-function graph", 'FUNCTION'))
    .addOption(
      option(
        '--source <url>',
        'consume request bodies from kafka://host:port/topic or redis://host:port/key',
        'SOURCE',
      ),
    )
    .addOption(
      option(
        '--model-control-mode <mode>',
        'none: load every model at start; explicit: by API; poll',
        'MODEL_CONTROL_MODE',
      )
        .choices(MODEL_CONTROL_MODES)
        .default(REPOSITORY_SERVER_DEFAULTS.modelControlMode),
    )
    .addOption(
      option(
        '--load-model <name>',
        'explicit mode: a model to load at start (repeatable; env: comma-separated)',
        'LOAD_MODEL',
      ).argParser(modelNames),
    )
    .addOption(
      option(
        '--repository-poll-secs <seconds>',
        'poll mode: seconds between scans of the repository',
        'REPOSITORY_POLL_SECS',
      )
        .argParser(seconds('repository poll interval', 0.01))
        .default(REPOSITORY_SERVER_DEFAULTS.repositoryPollSecs),
    )
    .addOption(option('--model-name <name>', "KServe's layout: the repository's root is this one model", 'MODEL_NAME'))
    .addOption(option('--host <host>', 'interface to listen on', 'HOST').default(http.host))
    .addOption(
      option('--port <port>', 'TCP port; 0 = any free port', 'PORT')
        .argParser(integer('port', 0, 65535))
        .default(http.port),
    )
    .addOption(
      option('--body-limit <bytes>', 'largest request body, after decompression', 'BODY_LIMIT')
        .argParser(integer('body limit', 1, Number.MAX_SAFE_INTEGER))
        .default(http.bodyLimit),
    )
    .addOption(
      option(
        '--request-timeout <seconds>',
        'longest a request may take, queueing included; 0 = none',
        'REQUEST_TIMEOUT',
      )
        .argParser(seconds('request timeout', 0))
        .default(kDefaultGraphServerOptions.requestTimeout),
    )
    .addOption(
      option('--drain-timeout <seconds>', 'on SIGTERM, longest wait for requests in flight', 'DRAIN_TIMEOUT')
        .argParser(seconds('drain timeout', 0))
        .default(http.drainTimeout),
    )
    .addOption(
      option('--headers-timeout <seconds>', "longest wait for a request's headers", 'HEADERS_TIMEOUT')
        .argParser(seconds('headers timeout', 0.001))
        .default(http.headersTimeout),
    )
    .addOption(
      option('--body-timeout <seconds>', 'longest wait for a whole request; 0 = none', 'BODY_TIMEOUT')
        .argParser(seconds('body timeout', 0))
        .default(http.bodyTimeout),
    )
    .addOption(
      option('--keep-alive-timeout <seconds>', 'how long an idle connection stays open', 'KEEP_ALIVE_TIMEOUT')
        .argParser(seconds('keep-alive timeout', 0))
        .default(http.keepAliveTimeout),
    )
    .addOption(
      option('--max-connections <n>', 'open connections at most, HTTP and gRPC each; 0 = no limit', 'MAX_CONNECTIONS')
        .argParser(integer('max connections', 0, 1_000_000))
        .default(http.maxConnections),
    )
    .addOption(
      option('--grpc-port <port>', 'gRPC port; 0 = any free port, -1 = no gRPC', 'GRPC_PORT')
        .argParser(grpcPort)
        .default(kDefaultGrpcOptions.port),
    )
    .addOption(
      option('--grpc-max-message-size <bytes>', 'largest gRPC message received or sent', 'GRPC_MAX_MESSAGE_SIZE')
        .argParser(integer('gRPC max message size', 1, 2 ** 31 - 1))
        .default(kDefaultGrpcOptions.maxMessageSize),
    )
    .addOption(
      option(
        '--grpc-flow-control-window <bytes>',
        'HTTP/2 window a gRPC client may send ahead of the server, per connection and per call',
        'GRPC_FLOW_CONTROL_WINDOW',
      )
        .argParser(integer('gRPC flow-control window', HTTP2_DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES))
        .default(kDefaultGrpcOptions.flowControlWindow),
    )
    .addOption(new Option('--strict-readiness', `ready when every model is (default; env ${STRICT_READINESS_ENV})`))
    .addOption(new Option('--no-strict-readiness', 'ready when at least one model is'))
    .addOption(new Option('--exit-on-error', `exit 1 after the report if any model failed (env ${EXIT_ON_ERROR_ENV})`))
    .addOption(new Option('--no-exit-on-error', 'serve the models that loaded (default)'))
    .addOption(option('--config <file>', 'server settings file (JSON): a key per option', 'CONFIG'))
    .addOption(
      option('--log-level <level>', 'lowest level logged', 'LOG_LEVEL')
        .choices(LOG_LEVELS)
        .default(kDefaultLogOptions.level),
    )
    .addOption(
      option('--log-format <format>', 'json lines, or text for people', 'LOG_FORMAT')
        .choices(LOG_FORMATS)
        .default(kDefaultLogOptions.format),
    )
    .addOption(
      option(
        '--log-request-ids <scope>',
        "request ids on graphserve's own lines, or on all of a request's",
        'LOG_REQUEST_IDS',
      )
        .choices(REQUEST_ID_SCOPES)
        .default(kDefaultRequestIdScope),
    )
    .addOption(option('--access-log [file]', 'a JSON line per request, on stdout or appended to file', 'ACCESS_LOG'))
    .addOption(option('--cors-origin <origins>', "CORS: allowed origins, comma-separated, or '*'", 'CORS_ORIGIN'))
    .addOption(
      option(
        '--heap-growing-percent <n>',
        "V8's old-generation growth before a full GC, % of the live heap; 0 = V8's own",
        'HEAP_GROWING_PERCENT',
      )
        .argParser(integer('heap growing percent', 0, MAX_HEAP_GROWING_PERCENT))
        .default(kDefaultV8GcOptions.heapGrowingPercent),
    )
    .addOption(
      new Option('--memory-reducer', `V8's memory reducer: full GCs when the load drops (env ${MEMORY_REDUCER_ENV})`),
    )
    .addOption(new Option('--no-memory-reducer', "no V8 memory reducer (default; see --heap-growing-percent's notes)"))
    .addOption(
      option(
        '--event-loop-spin-micros <n>',
        'how long the event loop keeps polling when the engine goes idle after a run on the JS thread, µs; 0 = never',
        'EVENT_LOOP_SPIN_MICROS',
      )
        .argParser(integer('event-loop spin', 0, MAX_EVENT_LOOP_SPIN_MICROS))
        .default(kDefaultEventLoopSpinMicros),
    );
}

/** Where the access log goes: undefined (none), 'stdout', or a file path. */
export function accessLogTarget(value: string | boolean | undefined): string | undefined {
  if (value === undefined || value === false) return undefined;
  const text = value === true ? 'true' : value.trim();
  if (text === 'false' || text === '') return undefined;
  return text === 'true' || text === '-' ? 'stdout' : text;
}

/** --grpc-port: an integer from -1 (no gRPC) to 65535. */
function grpcPort(value: string): number {
  const n = Number(value);
  if (!/^(-1|\d+)$/.test(value.trim()) || n > 65535) {
    throw new InvalidArgumentError('gRPC port must be an integer from 0 to 65535, or -1 for no gRPC');
  }
  return n;
}

/** The gRPC server's options from the flags; undefined when gRPC is off (--grpc-port -1). */
export function grpcOptionsOf(flags: ServeFlags): GrpcOptions | undefined {
  if (flags.grpcPort < 0) return undefined;
  return {
    host: flags.host,
    port: flags.grpcPort,
    maxMessageSize: flags.grpcMaxMessageSize,
    flowControlWindow: flags.grpcFlowControlWindow,
    maxConnections: flags.maxConnections,
    drainTimeout: flags.drainTimeout,
  };
}

/** The HTTP server's options from the flags. */
export function httpOptionsOf(flags: ServeFlags): HttpOptions {
  return {
    host: flags.host,
    port: flags.port,
    bodyLimit: flags.bodyLimit,
    drainTimeout: flags.drainTimeout,
    headersTimeout: flags.headersTimeout,
    bodyTimeout: flags.bodyTimeout,
    keepAliveTimeout: flags.keepAliveTimeout,
    maxConnections: flags.maxConnections,
    corsOrigins: commaList(flags.corsOrigin ?? ''),
  };
}

/** GraphServer's options from the flags. */
export function graphServerOptionsOf(flags: ServeFlags): GraphServerOptions {
  return { requestTimeout: flags.requestTimeout };
}
