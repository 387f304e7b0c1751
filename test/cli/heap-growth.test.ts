/**
 * The V8 flag `graphserve serve --heap-growing-percent` sets (src/cli/heap-growth.ts): the percentage as V8
 * spells it, none for 0, and none when node itself was given the V8 flag (that one wins). The CLI's use of
 * it is in operating.test.ts; what it does for a server is measured by the bench scenario heap-growth.
 */
import { heapGrowingFlag, kDefaultHeapGrowingPercent } from '../../src/cli/heap-growth';

describe('heapGrowingFlag', () => {
  it("spells the percentage as V8's --heap-growing-percent", () => {
    expect(heapGrowingFlag(kDefaultHeapGrowingPercent, [])).toBe('--heap-growing-percent=300');
    expect(heapGrowingFlag(50, ['--enable-source-maps'])).toBe('--heap-growing-percent=50');
  });

  it("sets nothing for 0 (V8's own heuristic)", () => {
    expect(heapGrowingFlag(0, [])).toBeUndefined();
  });

  it("sets nothing when node was started with V8's flag, in either spelling", () => {
    expect(heapGrowingFlag(300, ['--heap-growing-percent=80'])).toBeUndefined();
    expect(heapGrowingFlag(300, ['--heap_growing_percent', '80'])).toBeUndefined();
  });
});
