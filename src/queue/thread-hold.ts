import type { Lock } from "../threading/lock.js";

/** Looks at the lock this many times before sleeping on it: critical sections are a few hundred nanoseconds. */
const SPINS = 2000;

/**
 * The queue's lock, held by this thread as a whole.
 *
 * The lock keeps other threads out of the storage; within one thread, JavaScript already runs one
 * synchronous stretch at a time, and the queue touches its storage only in such stretches. But an
 * async waiter that a Condition has just handed the lock back to holds it for a few microtasks
 * before its code resumes, and a synchronous `putNowait`, `taskDone` or another waiter's wake-up
 * running in between must not sleep on a lock its own thread holds (it would never wake).
 * So each thread counts its holds: the first takes the shared lock, the others share it, the last
 * releases it. The Conditions give the lock up and take it back through this count too.
 */
export class ThreadHold {
  readonly #lock: Lock;
  #count = 0;

  constructor(lock: Lock) {
    this.#lock = lock;
    // The Conditions over this lock release and retake it through these (see threading/condition.ts).
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
      // Test and test-and-set: read until it looks free, then try; a failed exchange costs far more
      // than a read, and slows the holder down too.
      let spins = SPINS;
      while (lock.locked() || !lock.tryAcquire()) {
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
