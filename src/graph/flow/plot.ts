/**
 * Pictures of serving graphs: Graphviz DOT text from a serialized graph (flow or router), and SVG
 * rendered in-process by @viz-js/viz (Graphviz compiled to WebAssembly: no `dot` binary, no network).
 *
 * Shapes: `start` and `respond` are ovals; task steps rounded boxes; routers 3-D boxes with their
 * routes as ellipses on dotted edges; queues `cds` arrows; error handlers dashed red boxes, reached by
 * dashed red `error` edges; the responder has a double border and an edge to `respond`.
 */
import type { FlowDict, FlowStepDict } from './types';
import type { StepDict } from '../../step/step';

const START = '__start';
const RESPOND = '__respond';

/** A DOT double-quoted ID. */
function q(id: string): string {
  return `"${id.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function attrs(map: Record<string, string>): string {
  return `[${Object.entries(map)
    .map(([k, v]) => `${k}=${q(v)}`)
    .join(', ')}]`;
}

function nodeAttrs(step: FlowStepDict, name: string): Record<string, string> {
  const label = { label: name };
  if (step.kind === 'router') return { ...label, shape: 'box3d' };
  if (step.kind === 'queue') return { ...label, shape: 'cds' };
  if (step.kind === 'error_step') return { ...label, shape: 'box', style: 'rounded,dashed', color: 'red' };
  const extra: Record<string, string> = step.responder ? { peripheries: '2' } : {};
  return { ...label, shape: 'box', style: 'rounded', ...extra };
}

function routeLines(name: string, routes: Record<string, StepDict> | undefined): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(routes ?? {})) {
    const id = `${name}/${key}`;
    lines.push(`  ${q(id)} ${attrs({ label: key, shape: 'ellipse' })};`);
    lines.push(`  ${q(name)} -> ${q(id)} ${attrs({ style: 'dotted', arrowhead: 'none' })};`);
  }
  return lines;
}

function stepLines(flow: FlowDict, name: string, step: FlowStepDict): string[] {
  const lines = [`  ${q(name)} ${attrs(nodeAttrs(step, name))};`, ...routeLines(name, step.routes)];
  const after = step.after ?? [];
  if (after.length === 0 && step.kind !== 'error_step') lines.push(`  ${q(START)} -> ${q(name)};`);
  for (const before of after) lines.push(`  ${q(before)} -> ${q(name)};`);
  const handler = step.kind === 'error_step' ? undefined : (step.on_error ?? flow.on_error);
  if (handler !== undefined) {
    lines.push(`  ${q(name)} -> ${q(handler)} ${attrs({ style: 'dashed', color: 'red', label: 'error' })};`);
  }
  if (step.responder) lines.push(`  ${q(name)} -> ${q(RESPOND)};`);
  return lines;
}

function header(title: string): string[] {
  return [
    `digraph ${q(title)} {`,
    '  rankdir="LR";',
    `  node ${attrs({ fontname: 'Helvetica' })};`,
    `  ${q(START)} ${attrs({ label: 'start', shape: 'oval', style: 'filled', fillcolor: 'lightgrey' })};`,
  ];
}

/** DOT text of a flow graph (FlowSpec.toDict()). */
export function flowToDot(flow: FlowDict, title = 'flow'): string {
  const lines = header(title);
  const steps = Object.entries(flow.steps);
  if (steps.some(([, step]) => step.responder)) {
    lines.push(
      `  ${q(RESPOND)} ${attrs({ label: 'respond', shape: 'oval', style: 'filled', fillcolor: 'lightgrey' })};`,
    );
  }
  for (const [name, step] of steps) lines.push(...stepLines(flow, name, step));
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** DOT text of a router topology (RouterSpec.toDict(), or a built router's route keys). */
export function routerToDot(router: StepDict, title = 'router'): string {
  const name = router.name ?? router.class_name ?? 'router';
  const lines = header(title);
  lines.push(`  ${q(name)} ${attrs({ label: name, shape: 'box3d' })};`, `  ${q(START)} -> ${q(name)};`);
  lines.push(...routeLines(name, router.routes), '}');
  return `${lines.join('\n')}\n`;
}

interface Viz {
  renderString(dot: string, options: { format: string }): string;
}
let viz: Promise<Viz> | undefined;

/** Renders DOT text to an SVG document. The WebAssembly module is compiled on first use, once. */
export async function renderSvg(dot: string): Promise<string> {
  // Loaded lazily: about 1.5 MB of WebAssembly that graphs which are never drawn do not need.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  viz ??= (require('@viz-js/viz') as { instance(): Promise<Viz> }).instance();
  return (await viz).renderString(dot, { format: 'svg' });
}
