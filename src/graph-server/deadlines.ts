/**
 * Request deadlines without a timer per request: a setTimeout and its clearTimeout cost about a third of a
 * microsecond (a Timeout object, async ids, Node's timer lists, a read of the loop's clock), on every
 * request. Requests given the same duration expire in the order they started, so a Deadlines keeps one
 * list per duration in that order, its head the next to expire, and one Node timer for that head.
 *
 * Contract: `add` returns a handle; `expire(ms)` of its target is called once, no earlier than `ms` after
 * `add`, unless the handle was removed first. While a list holds a deadline its timer keeps the process
 * alive, as a request's own setTimeout did; an emptied list clears its timer.
 */

/** What expires; `ms` is the duration it was given (Deadlines.add). */
export interface Expiring {
  expire(ms: number): void;
}

/** One deadline in its list (see Deadlines.add). */
export interface Deadline {
  readonly at: number;
  readonly target: Expiring;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  list: DeadlineList | undefined;
}

class DeadlineList {
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #fire = (): void => this.fire();

  constructor(private readonly ms: number) {}

  add(target: Expiring): Deadline {
    const entry: Deadline = { at: performance.now() + this.ms, target, prev: this.#tail, next: undefined, list: this };
    if (this.#tail === undefined) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
    this.#timer ??= setTimeout(this.#fire, this.ms);
    return entry;
  }

  remove(entry: Deadline): void {
    if (entry.prev === undefined) this.#head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.#tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = entry.next = entry.list = undefined;
    if (this.#head === undefined && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Expires every deadline that is due, then waits for the next. */
  private fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (let head = this.#head; head !== undefined && head.at <= now; head = this.#head) {
      this.remove(head);
      head.target.expire(this.ms);
    }
    // Node's timer runs on the loop's clock, which may be a little behind this one: at least 1 ms more.
    if (this.#head !== undefined && this.#timer === undefined) {
      this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(this.#head.at - now)));
    }
  }
}

export class Deadlines {
  readonly #lists = new Map<number, DeadlineList>();

  /** Calls `target.expire()` in `ms` milliseconds (an integer > 0), unless remove() comes first. */
  add(ms: number, target: Expiring): Deadline {
    let list = this.#lists.get(ms);
    if (list === undefined) this.#lists.set(ms, (list = new DeadlineList(ms)));
    return list.add(target);
  }

  /** Forgets `deadline`; nothing when it has expired or was removed already. */
  remove(deadline: Deadline): void {
    deadline.list?.remove(deadline);
  }
}
