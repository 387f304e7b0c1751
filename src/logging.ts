/**
 * Logging: every line graphserve prints goes through pino (fastify's own logger). JSON lines by default,
 * one object per line with `level`, `time`, `msg` and fields; `format: 'text'` writes the same lines for
 * people (`<ISO time> <LEVEL> [<request id>] <msg> key=value …`).
 *
 * Request ids: the transports run each request inside withRequestId(id) (the client's `x-request-id`, else
 * a UUID). graphserve's own lines about a request (access log, failures) always carry it as `reqId`. With
 * the request-id scope 'all' (setRequestIdScope), every line logged while the request's work runs, by a
 * model through `context.logger` too, carries it: that scope is an AsyncLocalStorage, whose promise hooks
 * cost about a fifth of the small-request throughput on Node 20, so it is opt-in.
 *
 * Writes are synchronous (a line is out before `process.exit()` returns): no worker-thread transport.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = Object.freeze(['json', 'text'] as const);
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOptions {
  /** Lowest level written. */
  level?: LogLevel;
  /** 'json' (one JSON object a line) or 'text' (for people). */
  format?: LogFormat;
  /** A file descriptor (1 = stdout) or a stream with write(line). */
  destination?: number | DestinationStream;
}

export const kDefaultLogOptions: Readonly<Required<LogOptions>> = Object.freeze({
  level: 'info',
  format: 'json',
  destination: 1, // stdout
});

/** The key request ids are logged under (fastify's own). */
export const REQUEST_ID_KEY = 'reqId';

/**
 * Which lines carry the request id: 'server' (default) graphserve's own lines about the request; 'all' also
 * every line logged while its work runs, a model's `context.logger` lines included.
 */
export const REQUEST_ID_SCOPES = Object.freeze(['server', 'all'] as const);
export type RequestIdScope = (typeof REQUEST_ID_SCOPES)[number];
export const kDefaultRequestIdScope: RequestIdScope = 'server';

const requestScope = new AsyncLocalStorage<string>();
let scopeAll = false;

/** Sets the request-id scope of the process (see REQUEST_ID_SCOPES); takes effect for requests that start after. */
export function setRequestIdScope(scope: RequestIdScope): void {
  scopeAll = scope === 'all';
}

/** Runs `work`; with the scope 'all', with `id` as the request id of every line logged while it (and what it starts) runs. */
export function withRequestId<T>(id: string, work: () => T): T {
  return scopeAll ? requestScope.run(id, work) : work();
}

const NO_FIELDS = Object.freeze({});

/**
 * Adds `reqId` to lines logged inside a request, unless the logger is a child that binds one (fastify's).
 * Returns a new object each time: pino assigns the line's fields into it.
 */
function requestIdMixin(_merge: object, _level: number, logger: Logger): object {
  const id = requestScope.getStore();
  if (id === undefined) return {};
  const bound = (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
  return typeof bound === 'string' && bound.includes(`"${REQUEST_ID_KEY}"`) ? {} : { [REQUEST_ID_KEY]: id };
}

const LEVEL_NAMES: Readonly<Record<number, string>> = Object.freeze({
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
});

function textValue(value: unknown): string {
  return typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value);
}

/** One JSON line as text: time, level, request id, message, the other fields as key=value, an error's stack. */
export function formatTextLine(line: string): string {
  const fields = JSON.parse(line) as Record<string, unknown>;
  const { time, level, msg, pid: _pid, hostname: _host, [REQUEST_ID_KEY]: reqId, err, ...rest } = fields;
  const parts = [String(time), LEVEL_NAMES[level as number] ?? String(level)];
  if (reqId !== undefined) parts.push(`[${String(reqId)}]`);
  if (msg !== undefined) parts.push(String(msg));
  for (const [key, value] of Object.entries(rest)) parts.push(`${key}=${textValue(value)}`);
  const stack = (err as { stack?: unknown } | undefined)?.stack;
  return `${parts.join(' ')}${typeof stack === 'string' ? `\n${stack}` : ''}\n`;
}

/** A destination that writes each JSON line as text to `sink`. */
function textStream(sink: DestinationStream): DestinationStream {
  return { write: (line: string) => sink.write(formatTextLine(line)) };
}

/** A pino logger with graphserve's options (see the file comment). */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? kDefaultLogOptions.level;
  const format = options.format ?? kDefaultLogOptions.format;
  const target = options.destination ?? kDefaultLogOptions.destination;
  const sink = typeof target === 'number' ? pino.destination({ fd: target, sync: true }) : target;
  return pino(
    { level, mixin: requestIdMixin, timestamp: pino.stdTimeFunctions.isoTime },
    format === 'text' ? textStream(sink) : sink,
  );
}

/** A synchronous destination: 'stdout', 'stderr', or a file appended to (created, with its folders). */
export function openDestination(target: string): DestinationStream {
  if (target === 'stdout' || target === 'stderr')
    return pino.destination({ fd: target === 'stdout' ? 1 : 2, sync: true });
  return pino.destination({ dest: target, append: true, mkdir: true, sync: true });
}

/**
 * Process warnings (process.emitWarning: the engine's CUDA fallback, Node's deprecations) as `warn`
 * lines of `logger` instead of Node's own text on stderr. For a process that logs through pino only (the CLI).
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    logger.warn({ warning: warning.name, code: warning.code }, warning.message);
  });
}

/** The four methods of a ServingLogger (src/step/context.ts), written to a pino logger. */
export interface LineLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** `logger` behind the ServingLogger contract: `extra`'s keys become fields of the line. */
export function lineLoggerOf(logger: Logger): LineLogger {
  return Object.freeze({
    debug: (message: string, extra?: Record<string, unknown>) => logger.debug(extra ?? NO_FIELDS, message),
    info: (message: string, extra?: Record<string, unknown>) => logger.info(extra ?? NO_FIELDS, message),
    warn: (message: string, extra?: Record<string, unknown>) => logger.warn(extra ?? NO_FIELDS, message),
    error: (message: string, extra?: Record<string, unknown>) => logger.error(extra ?? NO_FIELDS, message),
  });
}
