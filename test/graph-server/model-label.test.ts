import { modelLabel } from '../../src/graph-server/metrics';
import { ModelRouter } from '../../src/graph/router';
import type { GraphStep } from '../../src/step/step';

function step(name: string): GraphStep {
  return { name, doEvent: async () => null } as unknown as GraphStep;
}

describe('modelLabel', () => {
  const router = new ModelRouter();
  router.addRoute('m', step('m')).addRoute('m:2', step('m')).addRoute('n', step('n'));

  it.each<[string, string]>([
    ['/v2/models/m/infer', 'm'],
    ['/v2/models/m', 'm'],
    ['/v2/models/n/ready', 'n'],
  ])('names the route a model path resolves to: %s → %s', (path, label) => {
    expect(modelLabel(router, path)).toBe(label);
  });

  it.each<[string, string]>([
    ['/v2/models/m/versions/2/infer', 'm:2'],
    ['/v2/models/m/versions/2', 'm:2'],
    ['/v2/models/m/versions/7/infer', 'm'],
    ['/v2/models/n/versions/1/infer', 'n'],
    ['/v2/models/m/versions/', 'm'],
  ])('names a version by its versioned key when the graph routes it, else the model: %s → %s', (path, label) => {
    expect(modelLabel(router, path)).toBe(label);
  });

  it.each(['/v2/models/made-up/infer', '/v2/modelsm/infer', '/v2/health/ready', '/v2/models'])(
    'is empty for unknown models and paths outside the prefix: %s',
    (path) => {
      expect(modelLabel(router, path)).toBe('');
    },
  );

  it('is empty for a graph that is not a router', () => {
    expect(modelLabel(step('x'), '/v2/models/m/infer')).toBe('');
  });
});
