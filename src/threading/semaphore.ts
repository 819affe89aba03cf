/**
 * Semaphore: Python's `threading.Semaphore`, built as CPython builds it, on a Condition(Lock()),
 * its counter shared by every thread it is passed to.
 *
 * The inner lock is only ever held inside synchronous code (a few instructions), so `release()`
 * stays synchronous as in Python, and the uncontended `acquire` never waits at all.
 */
import { deadlineOf, describe, remaining, type WaitOptions } from "../internal/options.js";
import { registerShareable } from "../internal/codec.js";
import { Condition, type ConditionState } from "./condition.js";
import { acquireTimeout, enterHolding, Lock, runHolding, RESOLVED_TRUE, type AcquireOptions, type Held } from "./lock.js";
import { ThreadHold } from "./hold.js";
import { allocateWords, checkWords, HEADER_WORDS, notAcrossProcesses, recall, remember } from "./shared.js";

const VALUE = HEADER_WORDS;
const INITIAL = HEADER_WORDS + 1;
const WORDS = 2;

/** Shared state of a Semaphore, as sent to another thread. */
export interface SemaphoreState {
  readonly cond: ConditionState;
  readonly words: Int32Array;
}

let adopting: { cond: Condition; words: Int32Array } | undefined;

/** A counter of permits: `acquire` takes one (waiting while there is none), `release` gives back. */
export class Semaphore {
  readonly #cond: Condition;
  readonly #hold: ThreadHold;
  readonly #words: Int32Array;

  /** @param value the number of permits, an integer >= 0 (default 1). */
  constructor(value = 1) {
    if (adopting !== undefined) {
      this.#cond = adopting.cond;
      this.#words = adopting.words;
      adopting = undefined;
    } else {
      if (typeof value !== "number") throw new TypeError(`${new.target.name}: initial value must be a number: got ${describe(value)}`);
      if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
        throw new RangeError(`${new.target.name}: initial value must be an integer >= 0: got ${String(value)}`);
      }
      this.#cond = new Condition(new Lock());
      this.#words = allocateWords(WORDS);
      this.#words[VALUE] = value;
      this.#words[INITIAL] = value;
    }
    this.#hold = new ThreadHold(this.#cond.lock as Lock);
    remember("Semaphore", this.#words, this);
  }

  /** This thread's Semaphore (or BoundedSemaphore) for shared state received from another thread. */
  static fromShared<S extends Semaphore>(this: new (value?: number) => S, data: unknown): S {
    const state = data as Partial<SemaphoreState> | null;
    const words = checkWords(state?.words, WORDS, "Semaphore");
    const existing = recall<S>("Semaphore", words);
    if (existing !== undefined) return existing;
    adopting = { cond: Condition.fromShared(state!.cond), words };
    return new this();
  }

  /** The shared state, for sending this semaphore to another thread. */
  get sharedState(): SemaphoreState {
    return { cond: this.#cond.sharedState, words: this.#words };
  }

  /** The permits available now (Python's private `_value`). */
  get value(): number {
    return Atomics.load(this.#words, VALUE);
  }

  /** @internal The initial value (for BoundedSemaphore). */
  protected get initialValue(): number {
    return this.#words[INITIAL]!;
  }

  /** Takes a permit if one is available, at once. */
  tryAcquire(): boolean {
    this.#hold.enter();
    try {
      return this.#take();
    } finally {
      this.#hold.exit();
    }
  }

  #take(): boolean {
    const value = this.#words[VALUE]!;
    if (value === 0) return false;
    this.#words[VALUE] = value - 1;
    return true;
  }

  /** Waits for a permit. Resolves `true` once taken, `false` at the timeout. */
  acquire(options?: AcquireOptions): Promise<boolean> {
    if (options === undefined && this.tryAcquire()) return RESOLVED_TRUE;
    return this.#acquireSlow(options);
  }

  async #acquireSlow(options: AcquireOptions | undefined): Promise<boolean> {
    const timeout = acquireTimeout(options, `${this.constructor.name}.acquire`);
    const deadline = deadlineOf(timeout);
    this.#hold.enter();
    try {
      while (!this.#take()) {
        const left = remaining(deadline);
        if (left <= 0) return false;
        await this.#cond._waitAcquireSync({ timeout: left === Infinity ? undefined : left, signal: options?.signal }, `${this.constructor.name}.acquire`);
      }
      return true;
    } finally {
      this.#hold.exit();
    }
  }

  /** Blocking twin of `acquire`, for worker threads. */
  acquireSync(options?: { timeout?: number | undefined; blocking?: boolean | undefined }): boolean {
    const timeout = acquireTimeout(options, `${this.constructor.name}.acquireSync`);
    const deadline = deadlineOf(timeout);
    this.#hold.enter();
    try {
      while (!this.#take()) {
        const left = remaining(deadline);
        if (left <= 0) return false;
        this.#cond.waitSync({ timeout: left === Infinity ? undefined : left });
      }
      return true;
    } finally {
      this.#hold.exit();
    }
  }

  /**
   * Gives back `n` permits, waking up to `n` waiters.
   * @throws RangeError when n is not an integer >= 1.
   */
  release(n = 1): void {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw new RangeError(`${this.constructor.name}.release: n must be an integer >= 1: got ${String(n)}`);
    this.#hold.enter();
    try {
      this.checkRelease(this.#words[VALUE]!, n);
      this.#words[VALUE] = this.#words[VALUE]! + n;
      this.#cond.notify(n);
    } finally {
      this.#hold.exit();
    }
  }

  /** Hook for BoundedSemaphore: throws when releasing `n` more would go past the bound. */
  protected checkRelease(_value: number, _n: number): void {}

  /** `using _ = await sem.enter()`: holds a permit until disposed. */
  enter(options?: WaitOptions): Promise<Held> {
    return enterHolding(this, options, this.constructor.name);
  }

  /** Runs `fn` holding a permit. */
  withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    return runHolding(this, fn, options, this.constructor.name);
  }
}


registerShareable<Semaphore, SemaphoreState>({
  kind: "threading.Semaphore",
  module: import.meta.url,
  // BoundedSemaphores register their own kind (bounded-semaphore.ts).
  is: (value): value is Semaphore => value instanceof Semaphore && value.constructor.name !== "BoundedSemaphore",
  encode(semaphore, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("Semaphore", where);
    return semaphore.sharedState;
  },
  decode: (data) => Semaphore.fromShared(data),
});
