/**
 * A FIFO list of calls waiting on a served object (the server's stand-in for a condition
 * variable: one event loop, so no lock around it). A woken waiter re-checks what it waits for.
 */
import { CallCancelled, type CallContext } from "./context.js";

interface Waiter {
  wake(): void;
}

export class Waiters {
  #list: Waiter[] = [];

  get length(): number {
    return this.#list.length;
  }

  /**
   * Waits until notified (resolves true) or `timeout` ms (resolves false). Rejects `CallCancelled`
   * when the call is cancelled or its client disconnects.
   */
  wait(ctx: CallContext, timeout: number | undefined): Promise<boolean> {
    const signal = ctx.signal;
    if (signal.aborted) return Promise.reject(new CallCancelled());
    if (timeout !== undefined && timeout <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        wake: () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          resolve(true);
        },
      };
      const remove = (): void => {
        const index = this.#list.indexOf(waiter);
        if (index >= 0) this.#list.splice(index, 1);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        remove();
        reject(new CallCancelled());
      };
      if (timeout !== undefined && timeout !== Infinity) {
        timer = setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          remove();
          resolve(false);
        }, Math.min(timeout, 2 ** 31 - 1));
      }
      signal.addEventListener("abort", onAbort, { once: true });
      this.#list.push(waiter);
    });
  }

  /** Wakes up to `n` waiters, oldest first; returns how many. */
  notify(n = 1): number {
    const woken = this.#list.splice(0, n);
    for (const waiter of woken) waiter.wake();
    return woken.length;
  }

  notifyAll(): number {
    return this.notify(this.#list.length);
  }
}

/** Milliseconds left until `deadline` (a `performance.now()` time, or Infinity). */
export function left(deadline: number): number | undefined {
  return deadline === Infinity ? undefined : Math.max(0, deadline - performance.now());
}

export function deadline(timeout: number | undefined): number {
  return timeout === undefined ? Infinity : performance.now() + timeout;
}
