/**
 * Pictures of graphs: DOT text of the README's flow example, its SVG rendered in-process, and the
 * /graph.dot and /graph.svg paths of the server (mock and HTTP).
 */
// light-my-request (app.inject) requires cookie@2, which is ESM-only and cannot be required by jest on
// Node 20; these tests send no cookies (as test/server/http-app.test.ts).
jest.mock('cookie', () => ({ stringifySetCookie: (): string => '' }));

import { buildFlow, Doubler } from '../../examples/flow';
import { GraphServer, newFunction, renderSvg } from '../../src';
import { buildApp } from '../../src/server/http/http';

describe('graph.plot()', () => {
  it('draws the steps, links, routes, responder and error handler of a flow as DOT', () => {
    const dot = buildFlow().graph.plot();
    expect(dot).toMatch(/^digraph "flow" \{/);
    expect(dot).toContain('"__start" -> "preprocess";');
    expect(dot).toContain('"preprocess" -> "models";');
    expect(dot).toContain('"models" -> "postprocess";');
    expect(dot).toContain('"preprocess" -> "audit";');
    expect(dot).toContain('"models" [label="models", shape="box3d"];');
    expect(dot).toContain('"models" -> "models/double" [style="dotted", arrowhead="none"];');
    expect(dot).toContain('"postprocess" [label="postprocess", shape="box", style="rounded", peripheries="2"];');
    expect(dot).toContain('"postprocess" -> "__respond";');
    expect(dot).toContain('"models" -> "on-error" [style="dashed", color="red", label="error"];');
    expect(dot).not.toContain('"on-error" -> "on-error"');
  });

  it('renders the DOT as SVG with every node label, without any external binary', async () => {
    // Graphviz writes '-' in text as '&#45;'.
    const svg = (await buildFlow().graph.plotSvg()).replace(/&#45;/g, '-');
    expect(svg).toMatch(/<svg[\s>]/);
    for (const label of ['start', 'preprocess', 'models', 'double', 'postprocess', 'audit', 'on-error', 'respond']) {
      expect(svg).toContain(`>${label}</text>`);
    }
  });

  it('escapes quotes in names', async () => {
    const fn = newFunction('quotes');
    fn.setTopology('flow').to({ name: 'say "hi"', handler: () => 1 });
    const dot = (fn.spec as ReturnType<typeof buildFlow>['graph']).plot();
    expect(dot).toContain('"say \\"hi\\"" [label="say \\"hi\\""');
    expect(await renderSvg(dot)).toContain('say &quot;hi&quot;');
  });
});

describe('the picture paths of a server', () => {
  let server: GraphServer;
  beforeAll(async () => {
    server = await buildFlow().fn.toGraphServer({ namespace: { Doubler } });
  });

  it('answers GET /graph.dot and /graph.svg through the mock server', async () => {
    const mock = await buildFlow().fn.toMockServer({ namespace: { Doubler } });
    expect(await mock.test('/graph.dot')).toContain('"preprocess" -> "models";');
    expect(await mock.test('/graph.svg')).toContain('>postprocess</text>');
  });

  it('answers the same over HTTP, with Graphviz and SVG content types', async () => {
    const app = buildApp(server);
    const dot = await app.inject({ method: 'GET', url: '/graph.dot' });
    expect(dot.statusCode).toBe(200);
    expect(dot.headers['content-type']).toMatch(/^text\/vnd\.graphviz/);
    expect(dot.body).toBe(buildFlow().graph.plot());
    const svg = await app.inject({ method: 'GET', url: '/graph.svg' });
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.body).toContain('>double</text>');
    await app.close();
  });

  it('draws a router topology as its routes', async () => {
    const fn = newFunction('routes');
    fn.addModel('m1', { className: Doubler });
    const mock = await fn.toMockServer();
    expect(await mock.test('/graph.dot')).toContain('"router" -> "router/m1"');
  });
});
