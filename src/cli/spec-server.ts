/**
 * Serving a graph spec file (JSON or YAML, as ServingFunction.toDict() writes it, or a bare graph
 * with kind flow/router): classes and handler functions named in it come from --module's exports,
 * then the registry. Prints one line for the graph, then the CLI prints the URL.
 */
import { readFile } from 'node:fs/promises';
import { parseGraphText } from '../graph/flow/dict';
import { functionFromDict } from '../function/function';
import type { GraphServer, GraphServerOptions } from '../graph-server/graph-server';
import { consoleLogger, type ServingLogger } from '../step/context';
import { loadNamespace, type Print } from './repository-server';
import { startStreamTriggers } from './stream-triggers';

export interface SpecServerOptions extends GraphServerOptions {
  /** Path of the JSON/YAML spec file. */
  spec: string;
  /** A JS module whose exports are the classes and functions the spec names. */
  module?: string;
  /** Where the steps' lines go (the CLI's pino logger); default consoleLogger. */
  logger?: ServingLogger;
  /** --function: the function of a multi-function graph to run (default: the root). */
  currentFunction?: string;
  /** --source: a stream of request bodies to consume (else the spec's `source`). */
  source?: string;
}

/** Builds the GraphServer for a spec file; rejects when the file, the module or the graph is invalid. */
export async function buildSpecServer(options: SpecServerOptions, print: Print): Promise<GraphServer> {
  const text = await readFile(options.spec, 'utf8');
  const fn = functionFromDict(parseGraphText(text));
  const namespace = loadNamespace(options.module);
  const graphServer = await fn.toGraphServer({
    namespace,
    requestTimeout: options.requestTimeout,
    logger: options.logger,
    currentFunction: options.currentFunction ?? '',
  });
  const source = options.source ?? fn.source;
  const logger = options.logger ?? consoleLogger;
  await startStreamTriggers(fn, graphServer, { currentFunction: options.currentFunction, source, logger }, print);
  const kind = fn.spec?.kind ?? 'graph';
  const size =
    fn.spec && 'steps' in fn.spec ? `${fn.spec.steps.size} step(s)` : `${fn.spec?.routes.size ?? 0} route(s)`;
  print(`graph ${fn.name}: ready (${kind}, ${size}) from ${options.spec}`);
  return graphServer;
}
