/**
 * Owner-side state of a process-shared `Condition`: its lock (an `OwnedLock`, shared with the
 * `Lock`/`RLock` object it was made with) and the callers waiting to be notified. `wait` releases the
 * lock completely, waits, and re-acquires it with the same recursion count, all in the owner.
 */
import { ThreadError } from "../../threading/errors.js";
import type { Caller } from "../server.js";
import type { OwnedLock } from "./lock.js";
import { WaitList } from "./wait-list.js";

export class OwnedCondition {
  readonly lock: OwnedLock;
  readonly #queue = new WaitList<boolean>();

  constructor(lock: OwnedLock) {
    this.lock = lock;
  }

  async wait(caller: Caller, owner: string, timeout: number | undefined, signal: AbortSignal): Promise<boolean> {
    const saved = this.lock.releaseAll(owner);
    let notified = false;
    let failure: unknown;
    try {
      notified = await this.#queue.wait(timeout, signal, false);
    } catch (error) {
      failure = error;
    }
    await this.lock.restore(caller, owner, saved);
    if (failure !== undefined) throw failure;
    return notified;
  }

  notify(owner: string, n: number): void {
    if (!this.lock.ownedBy(owner) && (this.lock.reentrant || !this.lock.locked())) throw new ThreadError("Cannot notify on un-acquired lock");
    this.#queue.wake(n, true);
  }
}
