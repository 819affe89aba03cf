/**
 * The local FIFO of async waiters of one primitive in one thread.
 *
 * Many async waiters in one thread share a single `Atomics.waitAsync` (the primitive's "pump");
 * each waiter here only holds its promise, its timer and its signal listener.
 */
import { currentIsDaemon } from "./current.js";

export interface Waiter {
  /** Settles the waiter's promise with `true` (got it) or `false` (timed out). */
  resolve(value: boolean): void;
  reject(reason: unknown): void;
  done: boolean;
  readonly daemon: boolean;
  /** A Condition's ticket; unused by locks. */
  ticket: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class WaiterQueue {
  #items: Array<Waiter | undefined> = [];
  #head = 0;
  /** Waiters not settled yet. */
  live = 0;
  /** Live waiters of non-daemon threads (they keep the process alive while waiting on another thread). */
  liveNonDaemon = 0;

  /**
   * A new waiter at the end of the queue. `onTimeout` runs when its timeout fires (the waiter is
   * already settled `false` by then); `onAbort` likewise when its signal aborts (rejected with the reason).
   */
  add(timeout: number | undefined, signal: AbortSignal | undefined, ticket = 0, onGiveUp?: (waiter: Waiter) => void): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        done: false,
        daemon: currentIsDaemon(),
        ticket,
        timer: undefined,
        signal,
        onAbort: undefined,
      };
      if (timeout !== undefined && timeout !== Infinity) {
        waiter.timer = setTimeout(() => {
          waiter.timer = undefined;
          if (this.settle(waiter)) {
            resolve(false);
            onGiveUp?.(waiter);
          }
        }, Math.min(timeout, 2 ** 31 - 1));
        if (waiter.daemon) waiter.timer.unref();
      }
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (this.settle(waiter)) {
            reject(signal.reason);
            onGiveUp?.(waiter);
          }
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#items.push(waiter);
      this.live++;
      if (!waiter.daemon) this.liveNonDaemon++;
    });
  }

  /** Marks a waiter settled (timers and listeners removed); false if it already was. */
  settle(waiter: Waiter): boolean {
    if (waiter.done) return false;
    waiter.done = true;
    this.live--;
    if (!waiter.daemon) this.liveNonDaemon--;
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener("abort", waiter.onAbort);
    return true;
  }

  /** The oldest live waiter, without removing it. */
  peek(): Waiter | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const waiter = items[this.#head]!;
      if (!waiter.done) return waiter;
      items[this.#head++] = undefined;
    }
    this.#compact();
    return undefined;
  }

  /** The newest live waiter, without removing it. */
  newest(): Waiter | undefined {
    const items = this.#items;
    for (let i = items.length - 1; i >= this.#head; i--) {
      const waiter = items[i]!;
      if (!waiter.done) return waiter;
    }
    return undefined;
  }

  /** Removes the oldest live waiter and settles it (the caller resolves it). */
  shift(): Waiter | undefined {
    const waiter = this.peek();
    if (waiter === undefined) return undefined;
    this.#items[this.#head++] = undefined;
    this.settle(waiter);
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) this.#compact();
    return waiter;
  }

  #compact(): void {
    if (this.#head === 0) return;
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}
