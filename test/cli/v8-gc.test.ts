/**
 * The V8 flags `graphserve serve` sets for its garbage collector (src/cli/v8-gc.ts): the growing percentage
 * as V8 spells it and no memory reducer by default, nothing for V8's own settings, and nothing for a flag node
 * was given itself (that one wins). The CLI's use of them is in operating.test.ts; what they do for a server is
 * measured by the bench scenario v8-gc.
 */
import { kDefaultV8GcOptions, v8GcFlags } from '../../src/cli/v8-gc';

describe('v8GcFlags', () => {
  it('sets a growth of 300% and no memory reducer by default', () => {
    expect(v8GcFlags(kDefaultV8GcOptions, [])).toEqual(['--heap-growing-percent=300', '--no-memory-reducer']);
    expect(v8GcFlags({}, ['--enable-source-maps'])).toEqual(['--heap-growing-percent=300', '--no-memory-reducer']);
    expect(v8GcFlags({ heapGrowingPercent: 50 }, [])).toEqual(['--heap-growing-percent=50', '--no-memory-reducer']);
  });

  it("sets nothing for V8's own settings: a growth of 0, the memory reducer on", () => {
    expect(v8GcFlags({ heapGrowingPercent: 0, memoryReducer: true }, [])).toEqual([]);
  });

  it('sets nothing node was given itself, in either spelling', () => {
    expect(v8GcFlags({}, ['--heap-growing-percent=80'])).toEqual(['--no-memory-reducer']);
    expect(v8GcFlags({}, ['--heap_growing_percent', '80', '--memory-reducer'])).toEqual([]);
    expect(v8GcFlags({}, ['--no-memory_reducer'])).toEqual(['--heap-growing-percent=300']);
    expect(v8GcFlags({}, ['--memory-reducer-for-small-heaps'])).toEqual([
      '--heap-growing-percent=300',
      '--no-memory-reducer',
    ]);
  });
});
