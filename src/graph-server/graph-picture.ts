/**
 * The picture of the graph a GraphServer runs, at two fixed paths (GET only, before the graph sees
 * the event, so HTTP and the mock server agree):
 *   GET /graph.dot  → Graphviz DOT text (text/vnd.graphviz)
 *   GET /graph.svg  → the same graph rendered as SVG (image/svg+xml)
 * Flows draw their steps; a router topology draws its routes.
 */
import { renderSvg, routerToDot } from '../graph/flow/plot';
import { BaseRouter } from '../graph/router';
import type { GraphStep } from '../step/step';
import type { EventResponse } from '../event';

export const GRAPH_DOT_PATH = '/graph.dot';
export const GRAPH_SVG_PATH = '/graph.svg';

/** DOT text of a built graph: its own toDot() (flows), or its routes (routers); else undefined. */
export function dotOf(graph: GraphStep): string | undefined {
  const drawable = graph as GraphStep & { toDot?: () => string };
  if (typeof drawable.toDot === 'function') return drawable.toDot();
  if (graph instanceof BaseRouter) {
    const routes = Object.fromEntries([...graph.routes.keys()].map((key) => [key, { kind: 'task' }]));
    return routerToDot({ kind: 'router', name: graph.name, routes });
  }
  return undefined;
}

/**
 * The answer for a picture path, or undefined (at once, not a promise: this runs for every request) when
 * `method`/`path` ask for something else or the graph has no picture.
 */
export function graphPicture(graph: GraphStep, method: string, path: string): Promise<EventResponse> | undefined {
  if (method !== 'GET' || (path !== GRAPH_DOT_PATH && path !== GRAPH_SVG_PATH)) return undefined;
  const dot = dotOf(graph);
  if (dot === undefined) return undefined;
  if (path === GRAPH_DOT_PATH) {
    return Promise.resolve({ status: 200, headers: { 'content-type': 'text/vnd.graphviz' }, body: dot });
  }
  return renderSvg(dot).then((svg) => ({ status: 200, headers: { 'content-type': 'image/svg+xml' }, body: svg }));
}
