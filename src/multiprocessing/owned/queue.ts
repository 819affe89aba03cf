/**
 * Owner-side state of a process-shared queue: the items (as the bytes they were sent as: the owner
 * relays them without deserializing), the callers waiting to get and to put, and for a
 * `JoinableQueue` the count of unfinished tasks.
 *
 * Gets take batches: a caller asks for up to `max` items and receives what is there (at least one).
 * When several callers wait, arriving items are shared out between them.
 */
import { WaitList } from "./wait-list.js";
import { Empty, Full } from "../../queue/errors.js";

export class OwnedQueue {
  readonly maxsize: number;
  readonly joinable: boolean;
  #items: Buffer[] = [];
  #head = 0;
  unfinished = 0;
  readonly #getters = new WaitList<Buffer[] | null>();
  readonly #putters = new WaitList<boolean>();
  readonly #joiners = new WaitList<boolean>();

  constructor(maxsize: number, joinable: boolean) {
    this.maxsize = maxsize;
    this.joinable = joinable;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  full(): boolean {
    return this.maxsize > 0 && this.size >= this.maxsize;
  }

  /** Adds items, waiting for room when bounded; rejects `Full` at the timeout. */
  async put(items: Buffer[], timeout: number | undefined, signal: AbortSignal, front = false): Promise<void> {
    if (front) {
      this.#items = [...items, ...this.#items.slice(this.#head)];
      this.#head = 0;
      this.#deliver();
      return;
    }
    for (const item of items) {
      while (this.full()) {
        if (timeout === 0 || !(await this.#putters.wait(timeout, signal, false))) {
          throw new Full(
            timeout ? `Cannot put an item: the queue stayed full (maxsize ${this.maxsize}) for ${timeout} ms` : `Cannot put an item: the queue is full (maxsize ${this.maxsize})`,
            { maxsize: this.maxsize, timeout: timeout ?? 0 },
          );
        }
      }
      this.#items.push(item);
      if (this.joinable) this.unfinished += 1;
    }
    this.#deliver();
  }

  /** Takes between 1 and `max` items, waiting for one; rejects `Empty` at the timeout. */
  async get(max: number, timeout: number | undefined, signal: AbortSignal): Promise<Buffer[]> {
    if (this.size > 0 && this.#getters.size === 0) return this.#take(max, 1);
    if (timeout === 0) throw new Empty("Cannot get an item: the queue is empty");
    const items = await this.#getters.wait(timeout, signal, null, max);
    if (items === null) throw new Empty(`Cannot get an item: the queue stayed empty for ${timeout} ms`, { timeout: timeout ?? 0 });
    return items;
  }

  taskDone(n: number): void {
    if (n > this.unfinished) throw new RangeError("Cannot mark a task done: task_done() called more times than there were items");
    this.unfinished -= n;
    if (this.unfinished === 0) this.#joiners.wake(Infinity, true);
  }

  join(timeout: number | undefined, signal: AbortSignal): Promise<boolean> {
    if (this.unfinished === 0) return Promise.resolve(true);
    return this.#joiners.wait(timeout, signal, false);
  }

  #take(max: number, sharers: number): Buffer[] {
    const n = Math.max(1, Math.min(max, Math.ceil(this.size / sharers)));
    const taken = this.#items.slice(this.#head, this.#head + n);
    this.#head += n;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.maxsize > 0) this.#putters.wake(n, true);
    return taken;
  }

  #deliver(): void {
    while (this.size > 0) {
      const getter = this.#getters.first();
      if (getter === undefined) return;
      getter.wake(this.#take(getter.data as number, this.#getters.size));
    }
  }
}
