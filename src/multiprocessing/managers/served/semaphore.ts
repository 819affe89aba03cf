/** The server side of a managed `Semaphore` and `BoundedSemaphore`. */
import { kContextual, waitOptions, type CallContext, type Contextual } from "./context.js";
import { Waiters, deadline, left } from "./waiters.js";

export class ServedSemaphore implements Contextual {
  readonly [kContextual] = true as const;
  protected value: number;
  readonly #waiters = new Waiters();

  constructor(value = 1) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`Semaphore: initial value must be a non-negative integer: got ${value}`);
    this.value = value;
  }

  async acquire(ctx: CallContext, options?: unknown): Promise<boolean> {
    const { block, timeout } = waitOptions(options, "Semaphore.acquire");
    if (this.value > 0) {
      this.value -= 1;
      return true;
    }
    if (!block) return false;
    const end = deadline(timeout);
    while (this.value === 0) {
      if (!(await this.#waiters.wait(ctx, left(end))) && this.value === 0) return false;
    }
    this.value -= 1;
    return true;
  }

  release(_ctx: CallContext, n = 1): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Semaphore.release: n must be a positive integer: got ${n}`);
    this.value += n;
    this.#waiters.notify(n);
  }

  getValue(_ctx: CallContext): number {
    return this.value;
  }
}

export class ServedBoundedSemaphore extends ServedSemaphore {
  readonly #initial: number;

  constructor(value = 1) {
    super(value);
    this.#initial = value;
  }

  override release(ctx: CallContext, n = 1): void {
    if (Number.isInteger(n) && this.value + n > this.#initial) throw new RangeError("Cannot release semaphore: released too many times");
    super.release(ctx, n);
  }
}
