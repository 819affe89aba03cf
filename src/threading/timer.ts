/** Timer: a Thread that calls a function after an interval, unless cancelled first (Python's `threading.Timer`). */
import { Event } from "./event.js";
import { checkTimeout, describe } from "../internal/options.js";
import { Thread } from "./thread.js";

/** Calls `fn(...args)` after `interval` ms, once started; `cancel()` before that stops it. */
export class Timer<A extends unknown[] = unknown[]> extends Thread {
  readonly #interval: number;
  readonly #fn: (...args: A) => unknown;
  readonly #args: A;
  /** Set when the timer has fired or was cancelled. */
  readonly finished = new Event();

  /**
   * @param interval milliseconds to wait after `start()`.
   * @throws RangeError for a negative interval or one past TIMEOUT_MAX; TypeError when fn is not a
   *   function or args not an array.
   */
  constructor(interval: number, fn: (...args: A) => unknown, args?: A, options: { name?: string; daemon?: boolean } = {}) {
    if (typeof interval !== "number" || Number.isNaN(interval)) throw new TypeError("Timer: interval must be a number of milliseconds");
    checkTimeout(interval, "Timer: interval");
    if (typeof fn !== "function") throw new TypeError("Timer: fn must be a function");
    if (args !== undefined && !Array.isArray(args)) throw new TypeError(`Timer: args must be an array: got ${describe(args)}`);
    super({ name: options.name, daemon: options.daemon });
    this.#interval = interval;
    this.#fn = fn;
    this.#args = args ?? ([] as unknown as A);
  }

  /** Stops the timer if it has not fired yet. */
  cancel(): void {
    this.finished.set();
  }

  override async run(): Promise<void> {
    await this.finished.wait({ timeout: this.#interval });
    if (!this.finished.isSet()) await this.#fn(...this.#args);
    this.finished.set();
  }
}
