/**
 * The server side of a managed `Barrier`: Python's four states. A waiter that times out, is
 * cancelled or whose client disconnects breaks the barrier for the others, as a timeout does in
 * Python.
 */
import { BrokenBarrierError } from "../../../threading/errors.js";
import { kContextual, waitOptions, type CallContext, type Contextual } from "./context.js";
import { Waiters } from "./waiters.js";

type State = "filling" | "draining" | "resetting" | "broken";

export class ServedBarrier implements Contextual {
  readonly [kContextual] = true as const;
  readonly #parties: number;
  readonly #timeout: number | undefined;
  #state: State = "filling";
  #count = 0;
  readonly #waiters = new Waiters();

  constructor(parties: number, options?: { timeout?: number | undefined }) {
    if (!Number.isInteger(parties) || parties < 1) throw new RangeError(`Barrier: parties must be a positive integer: got ${parties}`);
    this.#parties = parties;
    this.#timeout = options?.timeout;
  }

  async wait(ctx: CallContext, options?: unknown): Promise<number> {
    const timeout = waitOptions(options, "Barrier.wait").timeout ?? this.#timeout;
    await this.#enter(ctx);
    const index = this.#count;
    this.#count += 1;
    try {
      if (index + 1 === this.#parties) {
        this.#state = "draining";
        this.#waiters.notifyAll();
      } else {
        await this.#waitDrain(ctx, timeout);
      }
      return index;
    } finally {
      this.#count -= 1;
      if (this.#count === 0 && (this.#state === "resetting" || this.#state === "draining")) {
        this.#state = "filling";
        this.#waiters.notifyAll();
      }
    }
  }

  reset(_ctx: CallContext): void {
    if (this.#count > 0) {
      if (this.#state === "filling") this.#state = "resetting";
      else if (this.#state === "broken") this.#state = "resetting";
    } else {
      this.#state = "filling";
    }
    this.#waiters.notifyAll();
  }

  abort(_ctx: CallContext): void {
    this.#break();
  }

  parties(_ctx: CallContext): number {
    return this.#parties;
  }

  nWaiting(_ctx: CallContext): number {
    return this.#state === "filling" ? this.#count : 0;
  }

  broken(_ctx: CallContext): boolean {
    return this.#state === "broken";
  }

  async #enter(ctx: CallContext): Promise<void> {
    while (this.#state === "draining" || this.#state === "resetting") await this.#waiters.wait(ctx, undefined);
    if (this.#state === "broken") throw new BrokenBarrierError("Cannot wait at barrier: barrier is broken");
  }

  async #waitDrain(ctx: CallContext, timeout: number | undefined): Promise<void> {
    const end = timeout === undefined ? Infinity : performance.now() + timeout;
    while (this.#state === "filling") {
      let woken: boolean;
      try {
        woken = await this.#waiters.wait(ctx, end === Infinity ? undefined : Math.max(0, end - performance.now()));
      } catch (error) {
        this.#break();
        throw error;
      }
      if (!woken && this.#state === "filling") {
        this.#break();
        throw new BrokenBarrierError(`Cannot pass barrier: timed out after ${timeout} ms, barrier is now broken`);
      }
    }
    if (this.#state !== "draining") throw new BrokenBarrierError("Cannot pass barrier: barrier was broken or reset");
  }

  #break(): void {
    this.#state = "broken";
    this.#waiters.notifyAll();
  }
}
