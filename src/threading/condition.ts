/**
 * Condition: Python's `threading.Condition`, shared by every thread it is passed to.
 *
 * Waiters take tickets in order (under the lock); `notify(n)` moves the shared WOKEN mark past the
 * next n live tickets, so exactly the n oldest waiters wake, whichever threads they are in. A
 * waiter that times out or is aborted marks its ticket cancelled, so a later notify skips it and
 * wakes someone who is still waiting (no notification is lost to a waiter that gave up).
 *
 * At most CAPACITY tickets are out at once (the cancelled bitmap has a bit per ticket). Past that,
 * an async waiter shares the last live ticket of its thread: a notify that reaches the ticket
 * wakes them all, as a condition variable may wake more waiters than notified. shoal's own
 * primitives check their state again after each wake, so for them this only costs a recheck;
 * a thread's waiters are never refused while it has a live ticket.
 *
 * Async waiters of one thread queue locally; one pump per thread parks on `Atomics.waitAsync` for
 * WOKEN to change. A notify from the same thread wakes its local waiters directly, and calls
 * `Atomics.notify` only when other threads sleep on the condition.
 *
 * A waiter gives the lock up and takes it back the way it holds it. Plain code holds the lock
 * with `acquire`: its async waiters take it back asynchronously (`Lock.acquire`), so several
 * waiters of one thread woken together queue for it behind each other instead of blocking the
 * thread. shoal's own primitives (Semaphore, Event, Barrier, queues) hold it as a thread hold
 * (`Lock._enterHold`, for state touched only in synchronous stretches): their waiters give up
 * their own hold and take a hold back, sharing it with the thread's other stretches, so a
 * synchronous `release()`/`set()`/`putNowait()` never waits behind a waiter whose code has not
 * resumed yet.
 */
import { checkOptions, checkSignal, checkTimeout, deadlineOf, describe, remaining, type WaitOptions } from "../internal/options.js";
import { registerShareable } from "../internal/codec.js";
import { ThreadError } from "./errors.js";
import { enterHolding, Lock, type AcquireOptions, type Held } from "./lock.js";
import { RLock, type RLockState } from "./rlock.js";
import { allocateWords, checkWords, HEADER_WORDS, notAcrossProcesses, recall, remember, waitAsync } from "./shared.js";
import { WaiterQueue } from "./waiters.js";
import { ParkedHold } from "./parked-hold.js";

/** Checks of WOKEN by a blocking wait before it parks (a few microseconds). */
const WAIT_SPINS = 2000;
const NEXT = HEADER_WORDS; // next ticket to hand out
const WOKEN = HEADER_WORDS + 1; // every ticket before this one has been notified (or cancelled)
const SLEEPERS = HEADER_WORDS + 2; // threads parked on WOKEN
const CANCELLED = HEADER_WORDS + 3; // bitmap of cancelled tickets, indexed by ticket % CAPACITY
const CAPACITY = 8192; // most waiters at once on one condition
const WORDS = 3 + CAPACITY / 32;

/** Whether ticket `a` comes before ticket `b` (tickets wrap around at 2^32). */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** The lock of a Condition: a Lock or an RLock. */
export type ConditionLock = Lock | RLock;

/** Shared state of a Condition, as sent to another thread. */
export interface ConditionState {
  readonly words: Int32Array;
  readonly lock: { readonly kind: "Lock"; readonly state: Int32Array } | { readonly kind: "RLock"; readonly state: RLockState };
}

let adopting: { words: Int32Array; lock: ConditionLock } | undefined;

/** A condition variable: threads wait on it until another notifies them, holding its lock around both. */
export class Condition {
  readonly #lock: ConditionLock;
  readonly #words: Int32Array;
  readonly #waiters = new WaiterQueue();
  #pumping = false;
  readonly #parkedHold = new ParkedHold(this.#waiters);
  /** Tickets shared by several waiters of this thread: how many besides the first still wait. */
  readonly #sharers = new Map<number, number>();

  /** @param lock the lock to use; a new RLock by default (as in Python). */
  constructor(lock?: ConditionLock) {
    if (adopting !== undefined) {
      this.#lock = adopting.lock;
      this.#words = adopting.words;
      adopting = undefined;
    } else {
      if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
        throw new TypeError("Condition: lock must be a Lock or an RLock");
      }
      this.#lock = lock ?? new RLock();
      this.#words = allocateWords(WORDS);
    }
    remember("Condition", this.#words, this);
  }

  /** This thread's Condition for shared state received from another thread. */
  static fromShared(data: unknown): Condition {
    const state = data as Partial<ConditionState> | null;
    const words = checkWords(state?.words, WORDS, "Condition");
    const existing = recall<Condition>("Condition", words);
    if (existing !== undefined) return existing;
    const lockState = state!.lock;
    const lock = lockState?.kind === "RLock" ? RLock.fromShared(lockState.state) : Lock.fromShared(lockState?.state);
    adopting = { words, lock };
    return new Condition();
  }

  /** The shared state, for sending this condition to another thread. */
  get sharedState(): ConditionState {
    const lock = this.#lock;
    return {
      words: this.#words,
      lock: lock instanceof RLock ? { kind: "RLock", state: lock.sharedState } : { kind: "Lock", state: lock.sharedState },
    };
  }

  /** The underlying lock. */
  get lock(): ConditionLock {
    return this.#lock;
  }

  /** Acquires the underlying lock. */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  /** Blocking twin of `acquire`. */
  acquireSync(options?: { timeout?: number | undefined; blocking?: boolean | undefined }): boolean {
    return this.#lock.acquireSync(options);
  }

  /** Releases the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /** `using _ = await cond.enter()`: holds the underlying lock until disposed. */
  enter(options?: WaitOptions): Promise<Held> {
    return enterHolding(this.#lock, options, "condition");
  }

  /** Runs `fn` holding the underlying lock. */
  withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    return this.#lock.withLock(fn, options);
  }

  /**
   * Releases the lock, waits until notified or the timeout passes, and takes the lock back before
   * settling (also when the signal aborts). Resolves `true` when notified, `false` on timeout.
   * The lock must be held (a rejection with ThreadError otherwise).
   */
  wait(options?: WaitOptions): Promise<boolean> {
    return this.#wait(options, "Condition.wait");
  }

  /**
   * The same as `wait`, for shoal's primitives built on a Condition (`where` names their call in
   * errors).
   */
  _waitAcquireSync(options?: WaitOptions, where = "Condition.wait"): Promise<boolean> {
    return this.#wait(options, where);
  }

  async #wait(options: WaitOptions | undefined, where: string): Promise<boolean> {
    checkOptions(options, where);
    const timeout = checkTimeout(options?.timeout, `${where}: timeout`);
    const signal = checkSignal(options?.signal, `${where}: signal`);
    const ticket = this.#takeTicket(where, true);
    const lock = this.#lock;
    const holding = lock instanceof Lock && lock._holds > 0;
    const promise = this.#waiters.add(timeout, signal, ticket, this.#parkedHold.onGiveUp);
    let saved = 0;
    if (holding) lock._exitHold();
    else saved = lock._releaseSave();
    if (!this.#pumping) void this.#pump();
    else this.#parkedHold.update();
    let notified = false;
    let failure: { error: unknown } | undefined;
    try {
      notified = await promise;
    } catch (error) {
      failure = { error };
    }
    if (holding) lock._enterHold();
    else await lock._acquireRestore(saved);
    if (!notified) notified = this.#giveUp(ticket, failure !== undefined);
    if (failure !== undefined) throw failure.error;
    return notified;
  }

  /** Blocking twin of `wait`, for worker threads. Returns `true` when notified, `false` on timeout. */
  waitSync(options?: { timeout?: number | undefined }): boolean {
    checkOptions(options, "Condition.waitSync");
    const timeout = checkTimeout(options?.timeout, "Condition.waitSync: timeout");
    const words = this.#words;
    const ticket = this.#takeTicket("Condition.waitSync", false);
    const lock = this.#lock;
    const holding = lock instanceof Lock && lock._holds > 0;
    const saved = holding ? lock._releaseHolds() : lock._releaseSave();
    const deadline = deadlineOf(timeout);
    let notified = false;
    Atomics.add(words, SLEEPERS, 1);
    try {
      // A notify often comes within microseconds (a partner thread answering): watching WOKEN for a
      // few microseconds first saves parking and the wake-up, which cost tens of microseconds.
      let spins = timeout === 0 ? 0 : WAIT_SPINS;
      for (;;) {
        const woken = Atomics.load(words, WOKEN);
        if (before(ticket, woken)) {
          notified = true;
          break;
        }
        if (spins > 0) {
          spins--;
          continue;
        }
        const left = remaining(deadline);
        if (left <= 0) break;
        Atomics.wait(words, WOKEN, woken, left);
      }
    } finally {
      Atomics.sub(words, SLEEPERS, 1);
      if (holding) lock._restoreHolds(saved);
      else lock._acquireRestoreSync(saved);
    }
    if (!notified) notified = this.#giveUp(ticket, false);
    return notified;
  }

  /**
   * Waits until `predicate()` is truthy (checked with the lock held), or the timeout passes.
   * Resolves the predicate's last value. The deadline is computed once.
   */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    if (typeof predicate !== "function") throw new TypeError("Condition.waitFor: predicate must be a function");
    checkOptions(options, "Condition.waitFor");
    const timeout = checkTimeout(options?.timeout, "Condition.waitFor: timeout");
    const deadline = deadlineOf(timeout);
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left <= 0) break;
      await this.wait({ timeout: left === Infinity ? undefined : left, signal: options?.signal });
      result = predicate();
    }
    return result;
  }

  /** Blocking twin of `waitFor`. */
  waitForSync<T>(predicate: () => T, options?: { timeout?: number | undefined }): T {
    if (typeof predicate !== "function") throw new TypeError("Condition.waitForSync: predicate must be a function");
    checkOptions(options, "Condition.waitForSync");
    const deadline = deadlineOf(checkTimeout(options?.timeout, "Condition.waitForSync: timeout"));
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left <= 0) break;
      this.waitSync({ timeout: left === Infinity ? undefined : left });
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters (the oldest first). The lock must be held.
   * @throws ThreadError when the lock is not held; RangeError when n is negative.
   */
  notify(n = 1): void {
    if (typeof n !== "number") throw new TypeError(`Condition.notify: n must be a number: got ${describe(n)}`);
    if (Number.isNaN(n) || n < 0) throw new RangeError(`Condition.notify: n must be a number >= 0: got ${String(n)}`);
    if (!this.#lock._isOwned()) throw new ThreadError("Cannot notify on un-acquired lock");
    this.#notify(n);
  }

  /** Wakes every waiter. The lock must be held. */
  notifyAll(): void {
    if (!this.#lock._isOwned()) throw new ThreadError("Cannot notify on un-acquired lock");
    this.#notify(Infinity);
  }

  #notify(n: number): void {
    const words = this.#words;
    const next = Atomics.load(words, NEXT);
    let woken = Atomics.load(words, WOKEN);
    if (woken === next) return;
    while (woken !== next && n > 0) {
      if (!this.#clearCancelled(woken)) n--;
      woken = (woken + 1) | 0;
    }
    while (woken !== next && this.#clearCancelled(woken)) woken = (woken + 1) | 0;
    Atomics.store(words, WOKEN, woken);
    this.#wakeLocal(woken);
    if (Atomics.load(words, SLEEPERS) > (this.#parkedHold.parked ? 1 : 0) && !this.#lock._afterRelease(this.#wakeOthers)) this.#wakeOthers();
  }

  /** Wakes the other threads sleeping on WOKEN (sent once the lock is released, when possible). */
  readonly #wakeOthers = (): void => {
    Atomics.notify(this.#words, WOKEN);
  };

  #takeTicket(where: string, async: boolean): number {
    if (!this.#lock._isOwned()) throw new ThreadError("Cannot wait on un-acquired lock");
    const words = this.#words;
    const ticket = Atomics.load(words, NEXT);
    if (((ticket - Atomics.load(words, WOKEN)) | 0) >= CAPACITY) {
      const shared = async ? this.#shareTicket() : undefined;
      if (shared !== undefined) return shared;
      throw new ThreadError(
        `${where}: too many waiters (at most ${CAPACITY} tickets at once on one Condition, and ` +
          `${async ? "none of them is this thread's to share" : "a blocking wait cannot share one"})`,
      );
    }
    Atomics.store(words, NEXT, (ticket + 1) | 0);
    return ticket;
  }

  /**
   * The ticket of this thread's newest waiter, if it still waits (a live waiter's ticket is never
   * cancelled): sharing the newest keeps the thread's waiters in ticket order.
   */
  #shareTicket(): number | undefined {
    const newest = this.#waiters.newest();
    if (newest === undefined || before(newest.ticket, Atomics.load(this.#words, WOKEN))) return undefined;
    this.#sharers.set(newest.ticket, (this.#sharers.get(newest.ticket) ?? 0) + 1);
    return newest.ticket;
  }

  /**
   * A waiter that timed out or was aborted, holding the lock again. Returns whether it was in fact
   * notified meanwhile; otherwise cancels its ticket. An aborted waiter that was notified passes
   * the notification on.
   */
  #giveUp(ticket: number, aborted: boolean): boolean {
    const words = this.#words;
    if (before(ticket, Atomics.load(words, WOKEN))) {
      if (!aborted) return true;
      this.#notify(1);
      return false;
    }
    const sharers = this.#sharers.size === 0 ? undefined : this.#sharers.get(ticket);
    if (sharers !== undefined) {
      // Others of this thread still wait on the ticket: it stays live for them.
      if (sharers > 1) this.#sharers.set(ticket, sharers - 1);
      else this.#sharers.delete(ticket);
      return false;
    }
    const bit = ticket & (CAPACITY - 1);
    Atomics.or(words, CANCELLED + (bit >>> 5), 1 << (bit & 31));
    // Cancelled tickets at the front are skipped at once, so they never pile up.
    const next = Atomics.load(words, NEXT);
    let woken = Atomics.load(words, WOKEN);
    while (woken !== next && this.#clearCancelled(woken)) woken = (woken + 1) | 0;
    Atomics.store(words, WOKEN, woken);
    return false;
  }

  /** Clears the cancelled bit of `ticket`; true if it was set. */
  #clearCancelled(ticket: number): boolean {
    const bit = ticket & (CAPACITY - 1);
    const mask = 1 << (bit & 31);
    const index = CANCELLED + (bit >>> 5);
    if ((Atomics.load(this.#words, index) & mask) === 0) return false;
    Atomics.and(this.#words, index, ~mask);
    return true;
  }

  /** Resolves this thread's waiters whose tickets come before `woken`. */
  #wakeLocal(woken: number): void {
    const waiters = this.#waiters;
    for (let waiter = waiters.peek(); waiter !== undefined && before(waiter.ticket, woken); waiter = waiters.peek()) {
      waiters.shift();
      waiter.resolve(true);
      if (this.#sharers.size > 0) this.#sharers.delete(waiter.ticket);
    }
    this.#parkedHold.onGiveUp();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    const words = this.#words;
    try {
      while (this.#waiters.live > 0) {
        const woken = Atomics.load(words, WOKEN);
        this.#wakeLocal(woken);
        if (this.#waiters.live === 0) break;
        Atomics.add(words, SLEEPERS, 1);
        this.#parkedHold.setParked(true);
        try {
          const wait = waitAsync(words, WOKEN, woken);
          if (wait.async) await wait.value;
        } finally {
          Atomics.sub(words, SLEEPERS, 1);
          this.#parkedHold.setParked(false);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}

registerShareable<Condition, ConditionState>({
  kind: "threading.Condition",
  module: import.meta.url,
  is: (value): value is Condition => value instanceof Condition,
  encode(condition, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("Condition", where);
    return condition.sharedState;
  },
  decode: (data) => Condition.fromShared(data),
});
