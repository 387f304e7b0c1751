import { modelLabel } from '../../src/graph-server/metrics';
import { ModelRouter } from '../../src/graph/router';
import type { GraphStep } from '../../src/step/step';

function step(name: string): GraphStep {
  return { name, doEvent: async () => null } as unknown as GraphStep;
}

describe('modelLabel', () => {
  const router = new ModelRouter();
  router.addRoute('m', step('m')).addRoute('m:2', step('m')).addRoute('n', step('n'));

  it('names the route a model path resolves to', () => {
    expect(modelLabel(router, '/v2/models/m/infer')).toBe('m');
    expect(modelLabel(router, '/v2/models/m')).toBe('m');
    expect(modelLabel(router, '/v2/models/n/ready')).toBe('n');
  });

  it('names a version by its versioned key when the graph routes it, else the model', () => {
    expect(modelLabel(router, '/v2/models/m/versions/2/infer')).toBe('m:2');
    expect(modelLabel(router, '/v2/models/m/versions/2')).toBe('m:2');
    expect(modelLabel(router, '/v2/models/m/versions/7/infer')).toBe('m');
    expect(modelLabel(router, '/v2/models/n/versions/1/infer')).toBe('n');
    expect(modelLabel(router, '/v2/models/m/versions/')).toBe('m');
  });

  it('is empty for unknown models and paths outside the prefix', () => {
    expect(modelLabel(router, '/v2/models/made-up/infer')).toBe('');
    expect(modelLabel(router, '/v2/modelsm/infer')).toBe('');
    expect(modelLabel(router, '/v2/health/ready')).toBe('');
    expect(modelLabel(router, '/v2/models')).toBe('');
    expect(modelLabel(step('x'), '/v2/models/m/infer')).toBe('');
  });
});
