import { Cancellation } from '../src/cancellation';

describe('Cancellation', () => {
  it('runs each callback once with the reason, and later calls do nothing', () => {
    const c = new Cancellation();
    const seen: unknown[] = [];
    c.onAbort((r) => seen.push(['a', r]));
    c.onAbort((r) => seen.push(['b', r]));
    c.abort('first');
    c.abort('second');
    expect(seen).toEqual([
      ['a', 'first'],
      ['b', 'first'],
    ]);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe('first');
  });

  it('calls a callback added after the abort at once', () => {
    const c = new Cancellation();
    c.abort('gone');
    const seen: unknown[] = [];
    c.onAbort((r) => seen.push(r));
    expect(seen).toEqual(['gone']);
  });

  it('forgets a removed callback', () => {
    const c = new Cancellation();
    const seen: string[] = [];
    const remove = c.onAbort(() => seen.push('removed'));
    c.onAbort(() => seen.push('kept'));
    remove();
    c.abort('x');
    expect(seen).toEqual(['kept']);
  });

  it('gives a standard AbortSignal that follows it, whenever it is first asked for', () => {
    const before = new Cancellation();
    const signal = before.signal;
    expect(signal.aborted).toBe(false);
    before.abort('late');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('late');

    const after = new Cancellation();
    after.abort('early');
    expect(after.signal.aborted).toBe(true);
    expect(after.signal.reason).toBe('early');
    expect(after.signal).toBe(after.signal);
  });
});
