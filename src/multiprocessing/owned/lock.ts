/**
 * Owner-side state of a process-shared `Lock` or `RLock`. The owner is a string key: the caller's
 * id (Lock), or caller id and thread ident (RLock, which must be released by its owner). A release
 * hands the lock straight to the longest waiter (no barging), as a fair lock should across processes.
 *
 * A process that dies holding the lock does not keep it forever: when its connection ends, the
 * lock is released, a `SHOAL_LOCK_OWNER_DIED` warning is emitted in the owner process, and `stolen`
 * counts it (`Lock.ownerDiedCount()`).
 */
import { ThreadError } from "../../threading/errors.js";
import type { Caller } from "../server.js";
import { WaitList } from "./wait-list.js";

export class OwnedLock {
  readonly reentrant: boolean;
  readonly label: string;
  holder: string | null = null;
  count = 0;
  /** How many times a holder died with the lock. */
  stolen = 0;
  readonly #queue = new WaitList<boolean>();
  readonly #hooked = new Set<number>();

  constructor(reentrant: boolean, label: string) {
    this.reentrant = reentrant;
    this.label = label;
  }

  /** Acquires for `owner`; resolves false at the timeout (0 = do not wait). */
  acquire(caller: Caller, owner: string, timeout: number | undefined, signal: AbortSignal): Promise<boolean> {
    if (this.holder === null && this.#queue.size === 0) {
      this.#grant(caller, owner);
      return Promise.resolve(true);
    }
    if (this.reentrant && this.holder === owner) {
      this.count += 1;
      return Promise.resolve(true);
    }
    if (timeout === 0) return Promise.resolve(false);
    return this.#queue.wait(timeout, signal, false, { caller, owner });
  }

  /** Releases once; `owner` must hold an RLock. */
  release(owner: string): void {
    if (this.holder === null) throw new ThreadError(this.reentrant ? "Cannot release un-acquired lock" : "Cannot release lock: lock is not acquired");
    if (this.reentrant && this.holder !== owner) throw new ThreadError("Cannot release un-acquired lock: it is owned by another process or thread");
    this.count -= 1;
    if (this.count > 0) return;
    this.#handOver();
  }

  /** Releases completely, returning the recursion count (Condition.wait). */
  releaseAll(owner: string): number {
    if (this.holder !== owner && (this.reentrant || this.holder === null)) throw new ThreadError("Cannot wait on un-acquired lock");
    const count = this.count;
    this.count = 0;
    this.#handOver();
    return count;
  }

  /** Re-acquires with a saved recursion count (Condition.wait). */
  async restore(caller: Caller, owner: string, count: number): Promise<void> {
    await this.acquire(caller, owner, undefined, new AbortController().signal);
    this.count = count;
  }

  locked(): boolean {
    return this.holder !== null;
  }

  ownedBy(owner: string): boolean {
    return this.holder === owner;
  }

  #handOver(): void {
    this.holder = null;
    this.count = 0;
    const next = this.#queue.first();
    if (next === undefined) return;
    const { caller, owner } = next.data as { caller: Caller; owner: string };
    this.#grant(caller, owner);
    next.wake(true);
  }

  #grant(caller: Caller, owner: string): void {
    this.holder = owner;
    this.count = 1;
    if (caller.id === 0 || this.#hooked.has(caller.id)) return;
    this.#hooked.add(caller.id);
    caller.onDisconnect(() => {
      this.#hooked.delete(caller.id);
      const prefix = `${caller.id}`;
      if (this.holder !== null && (this.holder === prefix || this.holder.startsWith(`${prefix}/`))) {
        this.stolen += 1;
        process.emitWarning(`${this.label} was held by a process that ended without releasing it; it has been released`, {
          code: "SHOAL_LOCK_OWNER_DIED",
        });
        this.#handOver();
      }
    });
  }
}
