/**
 * The inner lock of Semaphore, Event, Barrier and the queues, held by this thread as a whole.
 *
 * These primitives touch their shared state only in synchronous stretches, so within one thread
 * run-to-completion already keeps them apart; the lock only has to keep other threads out. The
 * Lock itself counts this thread's holds (`Lock._enterHold`) and its Conditions give a hold up and
 * take it back while waiting (see condition.ts): this is the handle the primitives keep.
 */
import type { Lock } from "./lock.js";

export class ThreadHold {
  readonly #lock: Lock;

  constructor(lock: Lock) {
    this.#lock = lock;
  }

  /** Takes the lock for this thread, or shares this thread's hold. Waits only for other threads. */
  enter(): void {
    this.#lock._enterHold();
  }

  /** Gives up one hold; the last one releases the lock. */
  exit(): void {
    this.#lock._exitHold();
  }
}
