import { demo } from '../../examples/multiplier';

describe("the README's example", () => {
  it('serves a V2ModelServer subclass through a router and the mock server', async () => {
    const res = (await demo()) as Record<string, unknown>;
    expect(res['model_name']).toBe('triple');
    expect(res['outputs']).toEqual([3, 6, 15]);
    expect(typeof res['id']).toBe('string');
  });
});
