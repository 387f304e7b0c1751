/**
 * The README's flow example: preprocess → a router of models → postprocess (the responder), an audit
 * branch beside it, and a graph error handler that answers instead of failing. test/examples/flow.test.ts
 * runs it; test/flow/flow-plot.test.ts draws it.
 */
import { V2ModelServer, newFunction, type Event, type FlowSpec, type ModelRequest, type ServingFunction } from '../src';

export class Doubler extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest<number>): number[] {
    return request.inputs.map((x) => x * 2);
  }
}

export const audited: unknown[] = [];

// Handlers are named functions: a serialized graph refers to them by name (see toDict()).
export function clean(body: { inputs: unknown[] }) {
  return { inputs: body.inputs.map(Number) };
}
export function summarize(response: { model_name: string; outputs: number[] }) {
  return { model: response.model_name, total: response.outputs.reduce((a, b) => a + b, 0) };
}
export function audit(body: unknown) {
  audited.push(body);
}
export function apologise(event: Event) {
  return { failed: event.origin_state, error: (event.error as Error).message };
}

export function buildFlow(): { fn: ServingFunction; graph: FlowSpec } {
  const fn = newFunction('flow-demo');
  const graph = fn.setTopology('flow', { engine: 'async' });
  graph
    .to({ name: 'preprocess', handler: clean })
    .to({ name: 'models', className: '*' }) // a ModelRouter: picks the model from the URL
    .to({ name: 'postprocess', handler: summarize })
    .respond();
  graph.addStep({ name: 'audit', handler: audit, after: 'preprocess' }); // a branch, on a copy of the event
  graph.errorHandler({ name: 'on-error', handler: apologise, fullEvent: true });
  fn.addModel('double', { className: Doubler });
  return { fn, graph };
}

export async function demo() {
  const { fn, graph } = buildFlow();
  const server = await fn.toMockServer({ namespace: { Doubler, clean, summarize, audit, apologise } });
  const answer = await server.test('/v2/models/double/infer', { inputs: ['1', 2, 3] });
  // → { model: 'double', total: 12 }
  const fallback = await server.test('/v2/models/triple/infer', { inputs: [1] });
  // → { failed: 'models', error: 'model triple does not exist, available models: double' }
  await server.waitForCompletion(); // the audit branch has run once this resolves
  const dot = graph.plot(); // Graphviz DOT text; graph.plotSvg() renders it as SVG
  return { answer, fallback, dot };
}
