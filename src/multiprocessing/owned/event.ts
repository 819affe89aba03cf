/** Owner-side state of a process-shared `Event`: a flag and the callers waiting for it. */
import { WaitList } from "./wait-list.js";

export class OwnedEvent {
  flag = false;
  readonly #queue = new WaitList<boolean>();

  set(): void {
    this.flag = true;
    this.#queue.wake(Infinity, true);
  }

  clear(): void {
    this.flag = false;
  }

  wait(timeout: number | undefined, signal: AbortSignal): Promise<boolean> {
    if (this.flag) return Promise.resolve(true);
    if (timeout === 0) return Promise.resolve(false);
    return this.#queue.wait(timeout, signal, false);
  }
}
