/**
 * MLRun's field names for the options of built-in steps, all the way down: a graph spec written for MLRun
 * (`class_args: {model_path, vote_type, prediction_col_name, url_expression, …}`) loads, and toDict()
 * writes those names. In TypeScript the options are camelCase (`modelPath`, `voteType`); both spellings
 * are accepted wherever a spec is read, and the camelCase one wins when a spec has both.
 *
 * Only the names of graphserve's own options (OPTION_KEYS) are translated, for every class (a subclass of
 * V2ModelServer gets `modelPath` from `model_path`): any other class argument keeps the key its author
 * wrote, so a user class reads `getParam('my_param')` as it was written.
 *
 * Options whose value is a function (urlExpression, bodyExpression, keyFn) are written by the function's
 * name and, in a loaded spec, name a function of the namespace: MLRun's Python expressions are never
 * evaluated.
 */
import { InvalidOptionError } from '../errors';
import type { Namespace } from './registry';

/** The camelCase options of graphserve's classes that MLRun spells in snake_case. */
export const OPTION_KEYS: readonly string[] = Object.freeze([
  // V2ModelServer, OnnxModelServer
  'modelPath',
  'loadMode',
  'inputPath',
  'resultPath',
  'modelCacheDir',
  'requestTimeout',
  'executionProviders',
  'intraOpThreads',
  'interOpThreads',
  'timeoutMs',
  'graphOptimizationLevel',
  'cpuMemArena',
  // routers and ensembles
  'urlPrefix',
  'healthPrefix',
  'strictReadiness',
  'voteType',
  'formatResponseWithColNameFlag',
  'predictionColName',
  'executorType',
  'onChildError',
  'extendEvent',
  'workerExecArgv',
  // RemoteStep, BatchHttpRequests
  'urlExpression',
  'bodyExpression',
  'returnJson',
  'maxInFlight',
  'backoffFactor',
  'backoffMax',
  // Merge
  'keyFn',
  'expectedNumEvents',
  'maxBehind',
]);

/** Options whose value is a function: strings in a spec name a function of the namespace. */
export const FUNCTION_KEYS: readonly string[] = Object.freeze(['urlExpression', 'bodyExpression', 'keyFn']);

/** 'modelPath' → 'model_path'. */
export function toSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const CAMEL_OF = new Map(OPTION_KEYS.map((key) => [toSnake(key), key]));
const SNAKE_OF = new Map(OPTION_KEYS.map((key) => [key, toSnake(key)]));

/** Class args with MLRun's snake_case option names turned into graphserve's camelCase ones (see the file comment). */
export function camelArgs(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const camel = CAMEL_OF.get(key);
    if (camel === undefined) out[key] = value;
    else if (!(camel in args)) out[camel] = value;
  }
  return out;
}

/** Class args as MLRun writes them: known options in snake_case, functions by their name. */
export function snakeArgs(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const written = typeof value === 'function' && FUNCTION_KEYS.includes(key) ? value.name : value;
    out[SNAKE_OF.get(key) ?? key] = written;
  }
  return out;
}

/**
 * Resolves function options given by name (a loaded spec) in the namespace; throws InvalidOptionError for
 * a name it does not hold. Returns `args` itself when nothing needed resolving.
 */
export function resolveFunctionArgs(args: Record<string, unknown>, namespace: Namespace, step: string) {
  let out = args;
  for (const key of FUNCTION_KEYS) {
    const value = args[key];
    if (typeof value !== 'string') continue;
    const found = Object.hasOwn(namespace, value) ? namespace[value] : undefined;
    if (typeof found !== 'function') {
      throw new InvalidOptionError(
        `step ${step}: ${toSnake(key)} ${JSON.stringify(value)} is not a function of the namespace (expressions are not evaluated)`,
      );
    }
    out = { ...out, [key]: found };
  }
  return out;
}
