/**
 * Lock: Python's `threading.Lock`, shared by every thread it is passed to.
 *
 * State (shared): word STATE is 0 (free) or the holding thread's `threadId + 1` (held; any thread
 * may still release it, as Python's Lock has no owner: the holder is only used to know whether
 * this thread holds it, see `_afterRelease`); word SLEEPERS counts the threads parked on
 * STATE (blocked `acquireSync` calls and at most one async "pump" per thread). A release stores 0
 * and wakes one sleeper only when there is one, so an uncontended acquire+release is two atomic
 * operations and no system call.
 *
 * Async waiters of one thread queue locally (FIFO); only the thread's pump parks on
 * `Atomics.waitAsync`. When the holder releases while local waiters wait and no other thread
 * sleeps on the lock, the lock passes straight to the next local waiter without touching memory
 * other threads watch.
 */
import { checkOptions, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { registerShareable } from "../internal/codec.js";
import { ThreadError } from "./errors.js";
import { allocateWords, checkWords, HEADER_WORDS, notAcrossProcesses, recall, remember, waitAsync } from "./shared.js";
import { WaiterQueue } from "./waiters.js";
import { ParkedHold } from "./parked-hold.js";
import { threadId } from "node:worker_threads";

const STATE = HEADER_WORDS;
const SLEEPERS = HEADER_WORDS + 1;
const WORDS = 2;
/** What this thread writes into STATE when it takes the lock. */
const HELD = threadId + 1;
/** Tries of a blocking acquire before it sleeps (a few microseconds). */
const SPIN = 20;
/** Looks of a thread hold at the lock before it sleeps: the holds guard critical sections of a few hundred nanoseconds. */
const HOLD_SPINS = 2000;

/** Options of `acquire`. */
export interface AcquireOptions extends WaitOptions {
  /** `false` makes the call return at once (like `tryAcquire`); a timeout then is an error. Default `true`. */
  blocking?: boolean | undefined;
}

export const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);
export const RESOLVED_FALSE: Promise<boolean> = Promise.resolve(false);

/**
 * Validates acquire options. Returns the timeout (`0` for non-blocking, `undefined` = forever).
 * @throws RangeError/TypeError on bad options, the signal's reason when it has aborted.
 */
export function acquireTimeout(options: AcquireOptions | undefined, where: string): number | undefined {
  if (options === undefined) return undefined;
  checkOptions(options, where);
  const timeout = checkTimeout(options.timeout, `${where}: timeout`);
  checkSignal(options.signal, `${where}: signal`);
  if (options.blocking === false) {
    if (timeout !== undefined) throw new RangeError(`${where}: cannot specify a timeout for a non-blocking call`);
    return 0;
  }
  return timeout;
}

/** A held lock (or semaphore): disposing it releases it (`using _ = await lock.enter()`). */
export interface Held extends Disposable {
  release(): void;
}

let adopting: Int32Array | undefined;

/** A mutual-exclusion lock, not owned by any thread (any thread may release it). */
export class Lock {
  readonly #words: Int32Array;
  readonly #waiters = new WaiterQueue();
  #pumping = false;
  readonly #parkedHold = new ParkedHold(this.#waiters);
  /** Wake-ups to send once the lock is released (see `_afterRelease`). */
  #deferred: Array<() => void> | undefined;
  /** This thread's holds (see `_enterHold`). */
  #holds = 0;

  constructor() {
    this.#words = adopting ?? allocateWords(WORDS);
    adopting = undefined;
    remember("Lock", this.#words, this);
  }

  /** This thread's Lock for shared state received from another thread. */
  static fromShared(data: unknown): Lock {
    const words = checkWords(data, WORDS, "Lock");
    const existing = recall<Lock>("Lock", words);
    if (existing !== undefined) return existing;
    adopting = words;
    return new Lock();
  }

  /** The shared state, for sending this lock to another thread (see internal/codec.ts). */
  get sharedState(): Int32Array {
    return this.#words;
  }

  /** Takes the lock if it is free, at once. */
  tryAcquire(): boolean {
    return Atomics.compareExchange(this.#words, STATE, 0, HELD) === 0;
  }

  /**
   * Waits for the lock. Resolves `true` once held, `false` at the timeout; rejects with the
   * signal's reason when it aborts.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    // The fast path takes no options, so a bad option is reported even when the lock is free.
    if (options === undefined && this.#waiters.live === 0 && Atomics.compareExchange(this.#words, STATE, 0, HELD) === 0) return RESOLVED_TRUE;
    let timeout: number | undefined;
    try {
      timeout = acquireTimeout(options, "Lock.acquire");
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#waiters.live === 0 && this.tryAcquire()) return RESOLVED_TRUE;
    if (timeout === 0) return RESOLVED_FALSE;
    const promise = this.#waiters.add(timeout, options?.signal, 0, this.#parkedHold.onGiveUp);
    if (!this.#pumping) void this.#pump();
    else this.#parkedHold.update();
    return promise;
  }

  /**
   * Blocks this thread until the lock is held (`true`) or the timeout passes (`false`). Meant for
   * worker threads: on the main thread it freezes the event loop while it waits.
   */
  acquireSync(options?: { timeout?: number | undefined; blocking?: boolean | undefined }): boolean {
    const words = this.#words;
    // As in acquire: options are checked even when the lock is free.
    if (options === undefined && Atomics.compareExchange(words, STATE, 0, HELD) === 0) return true;
    const timeout = acquireTimeout(options, "Lock.acquireSync");
    if (Atomics.compareExchange(words, STATE, 0, HELD) === 0) return true;
    if (timeout === 0) return false;
    // Critical sections are short: trying a few more times first may save two system calls.
    for (let i = 0; i < SPIN; i++) {
      if (Atomics.load(words, STATE) === 0 && Atomics.compareExchange(words, STATE, 0, HELD) === 0) return true;
    }
    const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
    Atomics.add(words, SLEEPERS, 1);
    let woken = false;
    try {
      for (;;) {
        const holder = Atomics.compareExchange(words, STATE, 0, HELD);
        if (holder === 0) return true;
        const left = deadline === Infinity ? Infinity : deadline - performance.now();
        if (left <= 0) break;
        // Sleeps while that holder has it (STATE is the holder's thread id + 1, not a flag): a
        // thread that kept retrying instead would take the CPU from a holder that was preempted.
        woken = Atomics.wait(words, STATE, holder, left) === "ok";
      }
    } finally {
      Atomics.sub(words, SLEEPERS, 1);
    }
    // A wake-up meant for a lock we no longer want goes to the next sleeper.
    if (woken) this.#passOnWakeUp();
    return false;
  }

  /**
   * Releases the lock. Any thread may release it.
   * @throws ThreadError when the lock is not held.
   */
  release(): void {
    const words = this.#words;
    if (Atomics.load(words, STATE) === 0) throw new ThreadError("Cannot release lock: lock is not acquired");
    if (this.#waiters.live > 0 && Atomics.load(words, SLEEPERS) === (this.#parkedHold.parked ? 1 : 0)) {
      // Nobody else sleeps on it: hand it to the next waiter of this thread, still held.
      this.#waiters.shift()!.resolve(true);
      this.#parkedHold.onGiveUp();
    } else {
      Atomics.store(words, STATE, 0);
      if (Atomics.load(words, SLEEPERS) > 0) Atomics.notify(words, STATE, 1);
    }
    if (this.#deferred !== undefined) this.#runDeferred();
  }

  #runDeferred(): void {
    const deferred = this.#deferred!;
    this.#deferred = undefined;
    for (const wake of deferred) wake();
  }

  /**
   * For Condition: runs `wake` right after this thread releases the lock, and returns true; or
   * returns false (and does nothing) when this thread does not hold it. A notify waking another
   * thread while the lock is still held would have that thread wake only to sleep on the lock.
   */
  _afterRelease(wake: () => void): boolean {
    if (Atomics.load(this.#words, STATE) !== HELD) return false;
    const deferred = (this.#deferred ??= []);
    if (!deferred.includes(wake)) deferred.push(wake);
    return true;
  }

  /** Whether the lock is held (by any thread). */
  locked(): boolean {
    return Atomics.load(this.#words, STATE) !== 0;
  }

  /** Acquires the lock and returns a handle whose disposal releases it: `using _ = await lock.enter()`. */
  enter(options?: WaitOptions): Promise<Held> {
    return enterHolding(this, options, "lock");
  }

  /** Runs `fn` holding the lock (Python's `with lock:`), releasing it however `fn` ends. */
  withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    return runHolding(this, fn, options, "lock");
  }

  /** Blocking twin of `withLock` for worker threads. */
  withLockSync<T>(fn: () => T, options?: { timeout?: number | undefined }): T {
    checkHoldingFn(this, fn, "withLockSync");
    if (!this.acquireSync(options)) throw new ThreadError(`Cannot enter lock: timed out after ${options?.timeout} ms`);
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /** For Condition: whether the lock is held (a Lock has no owner, so held by anyone counts). */
  _isOwned(): boolean {
    return this.locked();
  }

  /** For Condition: releases, returning what `_acquireRestore` needs. */
  _releaseSave(): number {
    this.release();
    return 0;
  }

  /** For Condition: acquires again after a wait, ignoring timeouts and signals. */
  async _acquireRestore(_saved: number): Promise<void> {
    await this.acquire();
  }

  /** For Condition: blocking twin of `_acquireRestore`. */
  _acquireRestoreSync(_saved: number): void {
    this.acquireSync();
  }

  /**
   * For shoal's primitives (Semaphore, Event, Barrier, queues), which touch their shared state only
   * in synchronous stretches: takes the lock for this thread as a whole, or shares the hold this
   * thread already has. Within one thread run-to-completion keeps those stretches apart; the lock
   * only keeps other threads out. A waiter that its Condition has woken takes a hold back a few
   * microtasks before its code resumes, and a synchronous `release()`/`set()`/`putNowait()` or
   * another woken waiter running in between must not sleep on a lock its own thread holds (it
   * would never wake): it shares the hold instead. Waits only for other threads.
   */
  _enterHold(): void {
    if (this.#holds > 0) {
      this.#holds++;
      return;
    }
    if (Atomics.compareExchange(this.#words, STATE, 0, HELD) !== 0) {
      // Test and test-and-set: read until it looks free, then try; a failed exchange costs far more
      // than a read, and slows the holder down too.
      const words = this.#words;
      let spins = HOLD_SPINS;
      while (Atomics.load(words, STATE) !== 0 || Atomics.compareExchange(words, STATE, 0, HELD) !== 0) {
        if (--spins === 0) {
          this.acquireSync();
          break;
        }
      }
    }
    this.#holds = 1;
  }

  /** Gives up one of this thread's holds (see `_enterHold`); the last one releases the lock. */
  _exitHold(): void {
    if (this.#holds <= 0) throw new ThreadError("Cannot release lock: this thread holds no hold on it");
    if (--this.#holds === 0) this.release();
  }

  /** How many holds this thread has on the lock (see `_enterHold`). */
  get _holds(): number {
    return this.#holds;
  }

  /**
   * For `Condition.waitSync`: gives up every hold of this thread at once (a blocked thread runs
   * none of the stretches that share them), returning the count for `_restoreHolds`.
   */
  _releaseHolds(): number {
    const holds = this.#holds;
    this.#holds = 0;
    this.release();
    return holds;
  }

  /** Blocking twin of `_releaseHolds`' undoing. */
  _restoreHolds(holds: number): void {
    this._enterHold();
    this.#holds = holds;
  }

  /** One pump per thread: waits for the lock on behalf of this thread's async waiters. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    const words = this.#words;
    try {
      while (this.#waiters.live > 0) {
        let holder = Atomics.compareExchange(words, STATE, 0, HELD);
        if (holder === 0) {
          this.#grant();
          continue;
        }
        Atomics.add(words, SLEEPERS, 1);
        this.#parkedHold.setParked(true);
        let woken = false;
        try {
          holder = Atomics.compareExchange(words, STATE, 0, HELD);
          if (holder === 0) {
            this.#grant();
            continue;
          }
          const wait = waitAsync(words, STATE, holder);
          if (wait.async) woken = (await wait.value) === "ok";
        } finally {
          Atomics.sub(words, SLEEPERS, 1);
          this.#parkedHold.setParked(false);
        }
        if (woken && this.#waiters.live === 0) this.#passOnWakeUp();
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** The lock was just taken for the next local waiter. */
  #grant(): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(true);
    else this.release();
  }

  #passOnWakeUp(): void {
    const words = this.#words;
    if (Atomics.load(words, STATE) === 0 && Atomics.load(words, SLEEPERS) > 0) Atomics.notify(words, STATE, 1);
  }

  get [Symbol.toStringTag](): string {
    return this.locked() ? "Lock (locked)" : "Lock (unlocked)";
  }
}

/** What `enter`/`withLock` need of a lock-like primitive. */
interface Acquirable {
  acquire(options?: WaitOptions): Promise<boolean>;
  release(): void;
}

/**
 * Python's `with lock:` entry for every lock-like primitive: acquires, or throws `ThreadError`
 * naming `what` at the timeout; the handle's disposal releases.
 */
export async function enterHolding(lock: Acquirable, options: WaitOptions | undefined, what: string): Promise<Held> {
  if (!(await lock.acquire(options))) throw new ThreadError(`Cannot enter ${what}: timed out after ${options?.timeout} ms`);
  return heldBy(lock);
}

/** Runs `fn` holding `lock` (the `with` block), releasing it however `fn` ends. */
export async function runHolding<T>(lock: Acquirable, fn: () => T | Promise<T>, options: WaitOptions | undefined, what: string): Promise<T> {
  checkHoldingFn(lock, fn);
  if (!(await lock.acquire(options))) throw new ThreadError(`Cannot enter ${what}: timed out after ${options?.timeout} ms`);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Refuses a `withLock` body that is not a function, before anything is acquired. @internal */
export function checkHoldingFn(lock: object, fn: unknown, method = "withLock"): void {
  if (typeof fn !== "function") throw new TypeError(`${lock.constructor.name}.${method}: fn must be a function: got ${describe(fn)}`);
}

function heldBy(lock: { release(): void }): Held {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    lock.release();
  };
  return { release, [Symbol.dispose]: release };
}

export { heldBy };

registerShareable<Lock, Int32Array>({
  kind: "threading.Lock",
  module: import.meta.url,
  is: (value): value is Lock => value instanceof Lock,
  encode(lock, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("Lock", where);
    return lock.sharedState;
  },
  decode: (data) => Lock.fromShared(data),
});
