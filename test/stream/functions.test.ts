/**
 * One graph, several functions: the mock server runs the whole graph in one process (queues pass events
 * through) or one function's part, as MLRun's mock does; the parts' checks and their bad input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphError, InvalidOptionError, newFunction, silentLogger, StreamUnavailableError } from '../../src';
import type { ServingFunction } from '../../src';
import { functionFromDict } from '../../src/function/function';
import { parseGraphText } from '../../src/graph/flow/dict';
import { functionPart } from '../../src/graph/flow/functions';
import type { FlowSpec } from '../../src/graph/flow/spec';
import { STEPS } from './harness';

/** pre (root) → kafka queue → enrich (function enrich, responds). Nothing listens on port 1. */
function twoFunctions(path = 'kafka://127.0.0.1:1/q1'): ServingFunction {
  const fn = newFunction('parts');
  fn.setTopology('flow')
    .to({ name: 'pre', handler: 'pre' })
    .to({ name: 'q1', className: '>>', path, shards: 2 })
    .to({ name: 'enrich', handler: 'enrich', function: 'enrich' })
    .respond();
  return fn;
}

describe('the mock server and function parts', () => {
  it('runs the whole multi-function graph in one process by default (queues pass events through)', async () => {
    const server = await twoFunctions().toMockServer({ namespace: STEPS, logger: silentLogger });
    expect(await server.test('/', { seq: 1 })).toEqual({ seq: 1, pre: true, enriched: true });
    await server.close();
  });

  it("runs one function's part: the steps after the queue that feeds it", async () => {
    const fn = twoFunctions();
    const server = await fn.toMockServer({ namespace: STEPS, logger: silentLogger, currentFunction: 'enrich' });
    expect(await server.test('/', { seq: 1 })).toEqual({ seq: 1, enriched: true });
    await server.close();
  });

  it('keeps the queue options and functions through the spec (toDict and back)', () => {
    const dict = twoFunctions().toDict();
    const steps = (dict.spec.graph as { steps: Record<string, { class_args?: unknown; function?: string }> }).steps;
    expect(steps.q1!.class_args).toEqual({ path: 'kafka://127.0.0.1:1/q1', shards: 2 });
    expect(steps.enrich!.function).toBe('enrich');
  });

  it('refuses a function no stream queue feeds', async () => {
    const build = twoFunctions().toMockServer({ namespace: STEPS, currentFunction: 'nope' });
    await expect(build).rejects.toThrow(GraphError);
    await expect(build).rejects.toThrow(/did not find steps pointing to the current function \(nope\)/);
  });

  it('refuses a step of another function after one of this function without a stream queue between', async () => {
    const fn = newFunction('bad');
    fn.setTopology('flow').to({ name: 'pre', handler: 'pre' }).to({ name: 'enrich', handler: 'enrich', function: 'x' });
    await expect(fn.toGraphServer({ namespace: STEPS })).rejects.toThrow(
      /step enrich \(function 'x'\) follows step pre of function '' without a stream queue/,
    );
  });

  it('refuses a queue path with an unknown scheme, even in the mock', async () => {
    const build = twoFunctions('v3io:///projects/p/stream').toMockServer({ namespace: STEPS });
    await expect(build).rejects.toThrow(InvalidOptionError);
    await expect(build).rejects.toThrow(/unknown scheme v3io:/);
    expect(() => newFunction('x').setErrorStream('http://host:1/errors')).toThrow(/unknown scheme http:/);
  });

  it('fails the start clearly when the broker of a queue cannot be reached', async () => {
    const build = twoFunctions('redis://127.0.0.1:1/q1').toGraphServer({ namespace: STEPS, logger: silentLogger });
    await expect(build).rejects.toThrow(StreamUnavailableError);
    await expect(build).rejects.toThrow(/redis redis:\/\/127\.0\.0\.1:1\/q1: connecting failed/);
  });

  it('checks the tracking options', () => {
    const fn = newFunction('t');
    expect(() => fn.setTracking({ streamPath: 'redis://h:1/t', sample: 0 })).toThrow(/sample must be an integer >= 1/);
    expect(() => fn.setTracking({ streamPath: '' })).toThrow(/needs a streamPath/);
  });

  it("loads the README's multi-function spec: its parts, its error stream and tracking", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const text = /```yaml\n# pipeline\.yaml[^\n]*\n([\s\S]*?)```/.exec(readme)![1]!;
    const fn = functionFromDict(parseGraphText(text));
    expect(fn.toDict().spec).toMatchObject({
      error_stream: 'redis://redis:6379/pipeline-errors',
      tracking: { stream_path: 'kafka://kafka:9092/monitoring', sample: 10, batch: 100 },
    });
    const enrich = functionPart(fn.spec as FlowSpec, 'enrich');
    expect(enrich.feed?.name).toBe('q1');
    expect(enrich.starts.map((step) => step.name)).toEqual(['enrich']);
    expect([...functionPart(fn.spec as FlowSpec, '').local].sort()).toEqual(['pre', 'q1']);
  });
});
