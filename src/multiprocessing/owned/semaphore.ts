/**
 * Owner-side state of a process-shared `Semaphore` / `BoundedSemaphore`: a counter and a FIFO of
 * waiters; a release hands its permit straight to the longest waiter.
 */
import { WaitList } from "./wait-list.js";

export class OwnedSemaphore {
  value: number;
  readonly bound: number | undefined;
  readonly #queue = new WaitList<boolean>();

  constructor(value: number, bound: number | undefined) {
    this.value = value;
    this.bound = bound;
  }

  acquire(timeout: number | undefined, signal: AbortSignal): Promise<boolean> {
    if (this.value > 0 && this.#queue.size === 0) {
      this.value -= 1;
      return Promise.resolve(true);
    }
    if (timeout === 0) return Promise.resolve(false);
    return this.#queue.wait(timeout, signal, false);
  }

  release(n: number): void {
    if (this.bound !== undefined && this.value + n > this.bound) {
      throw new RangeError(`Cannot release semaphore: it would exceed its initial value ${this.bound}`);
    }
    for (let i = 0; i < n; i++) {
      const next = this.#queue.first();
      if (next === undefined) this.value += 1;
      else next.wake(true);
    }
  }
}
