/**
 * RLock: Python's reentrant lock. The owner is a thread (an event-loop Thread, a worker Thread, or
 * the thread that plain async code runs on): it may acquire again, and must release as many times.
 *
 * Built as CPython's `_PyRLock`: an inner Lock plus (owner, count), shared with every thread the
 * RLock is passed to. Only the owner writes owner and count, so plain reads are enough.
 */
import type { WaitOptions } from "../internal/options.js";
import { registerShareable } from "../internal/codec.js";
import { currentIdent } from "./current.js";
import { ThreadError } from "./errors.js";
import { acquireTimeout, enterHolding, Lock, runHolding, RESOLVED_TRUE, type AcquireOptions, type Held } from "./lock.js";
import { allocateWords, checkWords, HEADER_WORDS, notAcrossProcesses, recall, remember } from "./shared.js";

const OWNER_HIGH = HEADER_WORDS; // ident / 2^21 (the owner's worker threadId)
const OWNER_LOW = HEADER_WORDS + 1; // ident % 2^21; 0 with OWNER_HIGH 0 means "no owner"
const COUNT = HEADER_WORDS + 2;
const WORDS = 3;
const SPLIT = 2 ** 21;

/** Shared state of an RLock, as sent to another thread. */
export interface RLockState {
  readonly lock: Int32Array;
  readonly words: Int32Array;
}

let adopting: RLockState | undefined;

/** A reentrant lock owned by the thread that acquired it. */
export class RLock {
  readonly #lock: Lock;
  readonly #words: Int32Array;

  constructor() {
    if (adopting !== undefined) {
      this.#lock = Lock.fromShared(adopting.lock);
      this.#words = adopting.words;
      adopting = undefined;
    } else {
      this.#lock = new Lock();
      this.#words = allocateWords(WORDS);
    }
    remember("RLock", this.#words, this);
  }

  /** This thread's RLock for shared state received from another thread. */
  static fromShared(data: unknown): RLock {
    const state = data as Partial<RLockState> | null;
    const words = checkWords(state?.words, WORDS, "RLock");
    const existing = recall<RLock>("RLock", words);
    if (existing !== undefined) return existing;
    adopting = { lock: state!.lock!, words };
    return new RLock();
  }

  /** The shared state, for sending this lock to another thread. */
  get sharedState(): RLockState {
    return { lock: this.#lock.sharedState, words: this.#words };
  }

  #isMine(ident: number): boolean {
    return this.#words[OWNER_LOW] === ident % SPLIT && this.#words[OWNER_HIGH] === Math.floor(ident / SPLIT);
  }

  #own(ident: number, count: number): void {
    this.#words[OWNER_HIGH] = Math.floor(ident / SPLIT);
    this.#words[OWNER_LOW] = ident % SPLIT;
    this.#words[COUNT] = count;
  }

  #disown(): void {
    this.#words[OWNER_HIGH] = 0;
    this.#words[OWNER_LOW] = 0;
    this.#words[COUNT] = 0;
  }

  /** Takes the lock at once if it is free or already this thread's. */
  tryAcquire(): boolean {
    const me = currentIdent();
    if (this.#isMine(me)) {
      this.#words[COUNT]!++;
      return true;
    }
    if (!this.#lock.tryAcquire()) return false;
    this.#own(me, 1);
    return true;
  }

  /** Waits for the lock (at once if this thread owns it). Resolves `true`, or `false` at the timeout. */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const me = currentIdent();
    if (options !== undefined) {
      // Bad options are reported whatever the lock's state, as CPython does.
      try {
        acquireTimeout(options, "RLock.acquire");
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#isMine(me)) {
      this.#words[COUNT]!++;
      return RESOLVED_TRUE;
    }
    if (options === undefined && this.#lock.tryAcquire()) {
      this.#own(me, 1);
      return RESOLVED_TRUE;
    }
    return this.#acquireSlow(me, options);
  }

  async #acquireSlow(me: number, options: AcquireOptions | undefined): Promise<boolean> {
    const timeout = acquireTimeout(options, "RLock.acquire");
    if (timeout === 0) return this.tryAcquire();
    if (!(await this.#lock.acquire(options))) return false;
    this.#own(me, 1);
    return true;
  }

  /** Blocking twin of `acquire`, for worker threads. */
  acquireSync(options?: { timeout?: number | undefined; blocking?: boolean | undefined }): boolean {
    const me = currentIdent();
    if (options !== undefined) acquireTimeout(options, "RLock.acquireSync");
    if (this.#isMine(me)) {
      this.#words[COUNT]!++;
      return true;
    }
    if (!this.#lock.acquireSync(options)) return false;
    this.#own(me, 1);
    return true;
  }

  /**
   * Releases one level; the lock is free when the count reaches zero.
   * @throws ThreadError when this thread does not own it.
   */
  release(): void {
    if (!this.#isMine(currentIdent())) throw new ThreadError("Cannot release un-acquired lock: this thread does not own the RLock");
    const count = this.#words[COUNT]! - 1;
    if (count > 0) {
      this.#words[COUNT] = count;
      return;
    }
    this.#disown();
    this.#lock.release();
  }

  /** Whether any thread holds the lock. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /** `using _ = await rlock.enter()`. */
  enter(options?: WaitOptions): Promise<Held> {
    return enterHolding(this, options, "lock");
  }

  /** Runs `fn` holding the lock, releasing it however `fn` ends. */
  withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    return runHolding(this, fn, options, "lock");
  }

  /** For Condition: see `Lock._afterRelease`. */
  _afterRelease(wake: () => void): boolean {
    return this.#lock._afterRelease(wake);
  }

  /** For Condition: whether the current thread owns the lock. */
  _isOwned(): boolean {
    return this.#isMine(currentIdent());
  }

  /** For Condition: releases every level at once, returning the count. */
  _releaseSave(): number {
    if (!this._isOwned()) throw new ThreadError("Cannot release un-acquired lock");
    const count = this.#words[COUNT]!;
    this.#disown();
    this.#lock.release();
    return count;
  }

  /** For Condition: takes the lock again with the saved count. */
  async _acquireRestore(count: number): Promise<void> {
    const me = currentIdent();
    await this.#lock.acquire();
    this.#own(me, count);
  }

  /** For Condition: blocking twin of `_acquireRestore`. */
  _acquireRestoreSync(count: number): void {
    const me = currentIdent();
    this.#lock.acquireSync();
    this.#own(me, count);
  }

  get [Symbol.toStringTag](): string {
    return this.locked() ? `RLock (locked, count ${this.#words[COUNT]})` : "RLock (unlocked)";
  }
}

registerShareable<RLock, RLockState>({
  kind: "threading.RLock",
  module: import.meta.url,
  is: (value): value is RLock => value instanceof RLock,
  encode(rlock, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("RLock", where);
    return rlock.sharedState;
  },
  decode: (data) => RLock.fromShared(data),
});
