/**
 * The stream triggers of `graphserve serve GRAPH.yaml`: with `--function NAME`, the stream queue that feeds
 * that function's part of the graph, consumed in the consumer group NAME; with `--source URL` (or the spec's
 * `source`), a stream of request bodies, consumed in the group of the function (NAME, else the graph's name).
 * Both stop before the server's last events are awaited (GraphServer.close's 'stop' phase).
 */
import { hostname } from 'node:os';
import { ALL_FUNCTIONS, functionPart, streamPathOf } from '../graph/flow/functions';
import { FlowSpec } from '../graph/flow/spec';
import type { ServingFunction } from '../function/function';
import type { GraphServer } from '../graph-server/graph-server';
import { StreamTrigger, type StreamTriggerMode } from '../server/stream/stream-trigger';
import type { ServingLogger } from '../step/context';
import { StreamPool, redactUrl } from '../streams';
import { InvalidOptionError } from '../errors';
import type { Print } from './repository-server';

export interface TriggerOptions {
  /** The function whose part runs here ('' or undefined: the root). */
  currentFunction?: string;
  /** A stream of request bodies to consume (MLRun's stream trigger). */
  source?: string;
  logger: ServingLogger;
}

/** The stream queue feeding `current`'s part of the function's graph (undefined for the root). */
function feedOf(fn: ServingFunction, current: string | undefined): string | undefined {
  if (current === undefined || current === '' || current === ALL_FUNCTIONS) return undefined;
  const graph = fn.spec;
  if (!(graph instanceof FlowSpec)) throw new InvalidOptionError(`--function ${current} needs a flow graph`);
  const feed = functionPart(graph, current).feed;
  return feed && streamPathOf(feed);
}

/** Starts the triggers asked for; rejects (after stopping those started) when a broker cannot be reached. */
export async function startStreamTriggers(
  fn: ServingFunction,
  graphServer: GraphServer,
  options: TriggerOptions,
  print: Print,
): Promise<StreamTrigger[]> {
  const group = options.currentFunction || fn.name;
  const wanted: [string, StreamTriggerMode][] = [];
  const feed = feedOf(fn, options.currentFunction);
  if (feed !== undefined) wanted.push([feed, 'queue']);
  if (options.source !== undefined) wanted.push([options.source, 'source']);
  if (wanted.length === 0) return [];
  const pool = new StreamPool();
  graphServer.onClose(() => pool.close(), 'stop');
  const triggers: StreamTrigger[] = [];
  try {
    for (const [url, mode] of wanted) {
      const consumerName = `${group}-${hostname()}`;
      const trigger = new StreamTrigger(graphServer, pool, { url, mode, group, consumerName, logger: options.logger });
      await trigger.start();
      triggers.push(trigger);
      print(`consuming ${redactUrl(url)} (${mode}) in group ${group}`);
    }
  } catch (err) {
    await pool.close();
    throw err;
  }
  return triggers;
}
