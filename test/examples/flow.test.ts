import { audited, demo } from '../../examples/flow';

describe("the README's flow example", () => {
  it('answers through the router and postprocess, falls back through the graph error handler, and audits', async () => {
    const { answer, fallback, dot } = await demo();
    expect(answer).toEqual({ model: 'double', total: 12 });
    expect(fallback).toEqual({ failed: 'models', error: expect.stringContaining('model triple does not exist') });
    expect(audited).toEqual([{ inputs: [1, 2, 3] }, { inputs: [1] }]);
    expect(dot).toContain('"preprocess" -> "audit"');
  });
});
