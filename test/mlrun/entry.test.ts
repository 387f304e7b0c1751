/**
 * The package entry exports every built-in step class and registers each by name when it is loaded, so
 * `{ className: 'OnnxModelServer' }` resolves for any user of the package (examples/library.ts checks the
 * same from the packed tarball, in test/packaging/pack.test.ts).
 */
import * as graphserve from '../../src';

const BUILT_INS = [
  'V2ModelServer',
  'OnnxModelServer',
  'ModelRouter',
  'VotingEnsemble',
  'ParallelRun',
  'Merge',
  'RemoteStep',
  'BatchHttpRequests',
] as const;

describe('the package entry', () => {
  it.each(BUILT_INS)('exports %s and registers it under its name', (name) => {
    const exported = (graphserve as Record<string, unknown>)[name];
    expect(typeof exported).toBe('function');
    expect(graphserve.registeredClass(name)).toBe(exported);
  });

  it("registers MLRun's aliases: '*' (ModelRouter) and '$remote' (RemoteStep)", () => {
    expect(graphserve.resolveClass('*')).toBe(graphserve.ModelRouter);
    expect(graphserve.resolveClass('$remote')).toBe(graphserve.RemoteStep);
  });

  it('resolves a built-in by name in a spec without a namespace', async () => {
    const fn = graphserve.newFunction('by-name');
    fn.setTopology('router', { className: 'ParallelRun' });
    fn.addModel('a', { handler: (body: { x: number }) => ({ a: body.x }) });
    const server = await fn.toMockServer();
    expect(await server.test('/', { x: 1 })).toEqual({ a: 1 });
  });
});
