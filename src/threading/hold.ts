/**
 * The inner lock of Semaphore, Event and Barrier, held by this thread as a whole.
 *
 * These primitives touch their shared state only in synchronous stretches, so within one thread
 * JavaScript's run-to-completion already keeps them apart; the lock only has to keep other threads
 * out. But an async waiter that its Condition has just woken takes the lock back a few microtasks
 * before its own code resumes, and a synchronous `release()`/`set()` or another waiter's wake-up
 * running in between must not sleep on a lock its own thread holds (it would never wake). So each
 * thread counts its holds: the first takes the shared lock, the others share it, the last releases
 * it; the Condition gives the lock up and takes it back through this count too.
 */
import type { Lock } from "./lock.js";

const SPINS = 50;

export class ThreadHold {
  readonly #lock: Lock;
  #count = 0;

  constructor(lock: Lock) {
    this.#lock = lock;
    // A waiter gives up its own hold only: a wake-up sharing the hold still has its stretch to run.
    lock._releaseSave = (): number => {
      this.exit();
      return 0;
    };
    lock._acquireRestoreSync = (): void => this.enter();
    lock._acquireRestore = (): Promise<void> => {
      this.enter();
      return Promise.resolve();
    };
  }

  /** Takes the lock for this thread, or shares this thread's hold. Waits only for other threads. */
  enter(): void {
    if (this.#count > 0) {
      this.#count++;
      return;
    }
    const lock = this.#lock;
    if (!lock.tryAcquire()) {
      let spins = SPINS;
      while (!lock.tryAcquire()) {
        if (--spins === 0) {
          lock.acquireSync();
          break;
        }
      }
    }
    this.#count = 1;
  }

  /** Gives up one hold; the last one releases the lock. */
  exit(): void {
    if (--this.#count === 0) this.#lock.release();
  }
}
