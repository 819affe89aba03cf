/**
 * `ParkedHold`: keeps a thread alive while its pump (the one `Atomics.waitAsync` a Lock or a
 * Condition parks on behalf of this thread's async waiters) waits for another thread, as long as a
 * non-daemon waiter is among them. A pending `waitAsync` does not keep a thread alive; a timer does
 * (`holdAlive`), and it is released as soon as the pump stops waiting or the last non-daemon
 * waiter gives up.
 */
import { holdAlive, releaseAlive } from "./shared.js";
import type { WaiterQueue } from "./waiters.js";

export class ParkedHold {
  readonly #waiters: WaiterQueue;
  #parked = false;
  #holding = false;

  constructor(waiters: WaiterQueue) {
    this.#waiters = waiters;
  }

  /** Whether the pump is parked in `waitAsync` now. */
  get parked(): boolean {
    return this.#parked;
  }

  /** The pump parks (`true`) or stops waiting (`false`). */
  setParked(parked: boolean): void {
    this.#parked = parked;
    this.update();
  }

  /** A waiter left (gave up, or was served): drop the hold if no non-daemon waiter is left. */
  readonly onGiveUp = (): void => {
    if (this.#holding) this.update();
  };

  /** Takes or drops the hold as the parked state and the waiters now want. */
  update(): void {
    const want = this.#parked && this.#waiters.liveNonDaemon > 0;
    if (want === this.#holding) return;
    this.#holding = want;
    if (want) holdAlive();
    else releaseAlive();
  }
}
