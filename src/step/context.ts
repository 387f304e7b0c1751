/**
 * The serving context: what the graph hands to every step it builds (MLRun's `context`). One per
 * GraphServer; shared, never copied, so steps must treat it as read-only.
 */
import { createLogger, lineLoggerOf } from '../logging';

/** Where steps write their log lines. Levels as pino's; every method may be a no-op. */
export interface ServingLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** One model-monitoring record: pushed after each predict/explain when the context has a monitor. */
export interface TrackingRecord {
  model: string;
  version: string;
  op: string;
  id: string;
  /** Request start, as the response timestamp. */
  when: string;
  /** Duration of the request in microseconds. */
  microsec: number;
  inputs: unknown;
  outputs: unknown;
  metrics: Record<string, unknown>;
  /** The predict failure's message, when it failed. */
  error?: string;
}

export interface ServingContext {
  /** The serving function's name. */
  readonly functionName: string;
  /** Function-level parameters: the last place `getParam` looks before its default. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly logger: ServingLogger;
  /** Receives tracking records (model monitoring); called synchronously, must not throw. */
  readonly monitor?: (record: TrackingRecord) => void;
}

/**
 * The default logger of library users: debug and info are dropped; warnings and errors are JSON lines
 * on stderr (pino, see src/logging.ts; `graphserve serve` passes its own, set by --log-level/--log-format).
 */
export const consoleLogger: ServingLogger = lineLoggerOf(createLogger({ level: 'warn', destination: 2 }));

/** A logger that drops everything (tests that expect failures). */
export const silentLogger: ServingLogger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

export function createContext(options: Partial<ServingContext> = {}): ServingContext {
  return Object.freeze({
    functionName: options.functionName ?? '',
    parameters: Object.freeze({ ...(options.parameters ?? {}) }),
    logger: options.logger ?? consoleLogger,
    monitor: options.monitor,
  });
}
