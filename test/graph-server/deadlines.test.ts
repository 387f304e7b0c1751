/**
 * Deadlines (src/graph-server/deadlines.ts): each target expires once, no earlier than its duration, in the
 * order added; a removed one never does; an emptied list leaves no timer behind (nothing keeps the process
 * up); durations are independent. Jest's fake timers drive setTimeout and performance.now together.
 */
import { type Deadline, Deadlines, type Expiring } from '../../src/graph-server/deadlines';

function target(log: string[], name: string): Expiring {
  return { expire: () => log.push(name) };
}

describe('Deadlines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires each target once, no earlier than its duration, in the order they were added', () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    deadlines.add(100, target(log, 'a'));
    jest.advanceTimersByTime(40);
    deadlines.add(100, target(log, 'b'));
    jest.advanceTimersByTime(59);
    expect(log).toEqual([]);
    jest.advanceTimersByTime(1); // a's 100 ms
    expect(log).toEqual(['a']);
    jest.advanceTimersByTime(39);
    expect(log).toEqual(['a']);
    jest.advanceTimersByTime(1); // b's 100 ms
    expect(log).toEqual(['a', 'b']);
    jest.advanceTimersByTime(1000);
    expect(log).toEqual(['a', 'b']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never expires a removed target, and an emptied list clears its timer', () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    const a = deadlines.add(100, target(log, 'a'));
    const b = deadlines.add(100, target(log, 'b'));
    const c = deadlines.add(100, target(log, 'c'));
    deadlines.remove(b); // the middle
    deadlines.remove(a); // the head: the timer stays for c
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(100);
    expect(log).toEqual(['c']);
    deadlines.remove(c); // expired already: nothing
    const d = deadlines.add(100, target(log, 'd'));
    expect(jest.getTimerCount()).toBe(1);
    deadlines.remove(d);
    deadlines.remove(d); // twice: nothing
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(log).toEqual(['c']);
  });

  it('keeps durations apart: a shorter one added later expires first', () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    deadlines.add(500, target(log, 'long'));
    deadlines.add(50, target(log, 'short'));
    jest.advanceTimersByTime(50);
    expect(log).toEqual(['short']);
    jest.advanceTimersByTime(450);
    expect(log).toEqual(['short', 'long']);
    const given: number[] = [];
    deadlines.add(50, { expire: (ms) => given.push(ms) });
    jest.advanceTimersByTime(50);
    expect(given).toEqual([50]); // each target hears the duration it was given
  });

  it('a target that expires may remove another due at the same moment: that one does not expire', () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    const holder: { b?: Deadline } = {};
    deadlines.add(100, { expire: () => (log.push('a'), deadlines.remove(holder.b!)) });
    holder.b = deadlines.add(100, target(log, 'b'));
    jest.advanceTimersByTime(100);
    expect(log).toEqual(['a']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
