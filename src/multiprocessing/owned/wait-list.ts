/**
 * FIFO of callers waiting in an owner process, each with its own timeout and cancellation. The
 * owner-side state machines (`owned/*.ts`) are single-threaded (one event loop), so a wake-up can
 * hand the awaited resource over directly: whoever is woken already has it.
 */
export interface Waiter<T> {
  /** Wakes the waiter: its `wait` resolves `value`. */
  wake(value: T): void;
}

/** Waiters in arrival order. */
export class WaitList<T> {
  readonly #waiters = new Set<Waiter<T> & { data: unknown }>();

  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Waits to be woken (resolving the value given to `wake`), or `timeout` ms (resolving
   * `onTimeout`), or until `signal` aborts (rejecting its reason). `data` rides along for `first`.
   */
  wait(timeout: number | undefined, signal: AbortSignal | undefined, onTimeout: T, data?: unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter = {
        data,
        wake: (value: T): void => {
          finish();
          resolve(value);
        },
      };
      const onAbort = (): void => {
        finish();
        reject(signal!.reason);
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      this.#waiters.add(waiter);
      if (timeout !== undefined) timer = setTimeout(() => waiter.wake(onTimeout), timeout);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** The longest-waiting waiter and its data, without waking it. */
  first(): (Waiter<T> & { data: unknown }) | undefined {
    for (const waiter of this.#waiters) return waiter;
    return undefined;
  }

  /** Wakes up to `n` waiters in order with `value`; returns how many. */
  wake(n: number, value: T): number {
    let woken = 0;
    for (const waiter of [...this.#waiters]) {
      if (woken >= n) break;
      waiter.wake(value);
      woken++;
    }
    return woken;
  }

  /** Every waiter, in order (a copy). */
  all(): Array<Waiter<T> & { data: unknown }> {
    return [...this.#waiters];
  }
}
