/**
 * Barrier: Python's `threading.Barrier`, CPython's four-state machine on a Condition(Lock()), its
 * state shared by every thread it is passed to.
 *
 * States: FILLING (0) threads arrive; DRAINING (1) the last one arrived and the others leave;
 * RESETTING (-1) `reset()` was called while threads waited; BROKEN (-2).
 */
import { checkOptions, checkSignal, checkTimeout, deadlineOf, remaining, type WaitOptions } from "../internal/options.js";
import { registerShareable } from "../internal/codec.js";
import { Condition, type ConditionState } from "./condition.js";
import { BrokenBarrierError } from "./errors.js";
import { Lock } from "./lock.js";
import { ThreadHold } from "./hold.js";
import { allocateWords, checkWords, HEADER_WORDS, notAcrossProcesses, recall, remember } from "./shared.js";

const STATE = HEADER_WORDS;
const COUNT = HEADER_WORDS + 1;
const PARTIES = HEADER_WORDS + 2;
const TIMEOUT = HEADER_WORDS + 3; // default timeout in ms, -1 for none
const WORDS = 4;

const FILLING = 0;
const DRAINING = 1;
const RESETTING = -1;
const BROKEN = -2;

/** Options of a Barrier. */
export interface BarrierOptions {
  /** Called (synchronously) by one of the threads when all have arrived, before any is released. */
  action?: (() => void) | undefined;
  /** Default timeout of `wait`, in milliseconds. */
  timeout?: number | undefined;
}

/** Shared state of a Barrier, as sent to another thread. */
export interface BarrierState {
  readonly cond: ConditionState;
  readonly words: Int32Array;
}

let adopting: { cond: Condition; words: Int32Array } | undefined;

/** A fixed number of threads wait until all of them have arrived, then go on together. */
export class Barrier {
  readonly #cond: Condition;
  readonly #hold: ThreadHold;
  readonly #words: Int32Array;
  readonly #action: (() => void) | undefined;

  /**
   * @param parties how many threads must arrive (an integer >= 1).
   * @throws RangeError on a bad `parties` or timeout; TypeError when action is not a function.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    if (adopting !== undefined) {
      this.#cond = adopting.cond;
      this.#words = adopting.words;
      this.#action = undefined;
      adopting = undefined;
    } else {
      if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1 || parties > 2 ** 31 - 1) {
        throw new RangeError(`Barrier: parties must be an integer >= 1: got ${String(parties)}`);
      }
      checkOptions(options, "Barrier");
      const timeout = checkTimeout(options.timeout, "Barrier: timeout");
      if (options.action !== undefined && typeof options.action !== "function") throw new TypeError("Barrier: action must be a function");
      this.#cond = new Condition(new Lock());
      this.#words = allocateWords(WORDS);
      this.#words[PARTIES] = parties;
      this.#words[TIMEOUT] = timeout === undefined || timeout === Infinity ? -1 : Math.ceil(timeout);
      this.#action = options.action;
    }
    this.#hold = new ThreadHold(this.#cond.lock as Lock);
    remember("Barrier", this.#words, this);
  }

  /** This thread's Barrier for shared state received from another thread. */
  static fromShared(data: unknown): Barrier {
    const state = data as Partial<BarrierState> | null;
    const words = checkWords(state?.words, WORDS, "Barrier");
    const existing = recall<Barrier>("Barrier", words);
    if (existing !== undefined) return existing;
    adopting = { cond: Condition.fromShared(state!.cond), words };
    return new Barrier(1);
  }

  /** The shared state, for sending this barrier to another thread. */
  get sharedState(): BarrierState {
    return { cond: this.#cond.sharedState, words: this.#words };
  }

  /** Whether the barrier has an action (a function cannot go to another thread). */
  get hasAction(): boolean {
    return this.#action !== undefined;
  }

  /** How many threads must arrive. */
  get parties(): number {
    return this.#words[PARTIES]!;
  }

  /** How many threads wait now. */
  get nWaiting(): number {
    return Atomics.load(this.#words, STATE) === FILLING ? Atomics.load(this.#words, COUNT) : 0;
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    return Atomics.load(this.#words, STATE) === BROKEN;
  }

  #timeoutOf(options: WaitOptions | undefined, where: string): number | undefined {
    checkOptions(options, where);
    const timeout = checkTimeout(options?.timeout, `${where}: timeout`);
    if (timeout !== undefined) return timeout;
    const fallback = this.#words[TIMEOUT]!;
    return fallback < 0 ? undefined : fallback;
  }

  /**
   * Waits until all parties have arrived. Resolves this thread's arrival index (0 … parties-1).
   * @throws BrokenBarrierError when the barrier is or becomes broken, is reset, or the wait times out
   *   (which breaks it).
   */
  async wait(options?: WaitOptions): Promise<number> {
    const deadline = deadlineOf(this.#timeoutOf(options, "Barrier.wait"));
    const signal = checkSignal(options?.signal, "Barrier.wait: signal");
    const words = this.#words;
    this.#hold.enter();
    try {
      while (words[STATE] === DRAINING || words[STATE] === RESETTING) await this.#cond._waitAcquireSync({ signal }, "Barrier.wait");
      if (words[STATE]! < 0) throw new BrokenBarrierError();
      const index = words[COUNT]!;
      Atomics.store(words, COUNT, index + 1);
      try {
        if (index + 1 === words[PARTIES]) this.#release();
        else {
          while (words[STATE] === FILLING) {
            const left = remaining(deadline);
            if (left <= 0) {
              this.#break();
              throw new BrokenBarrierError("Barrier broken: wait timed out");
            }
            try {
              await this.#cond._waitAcquireSync({ timeout: left === Infinity ? undefined : left, signal }, "Barrier.wait");
            } catch (error) {
              this.#break();
              throw error;
            }
          }
          if (words[STATE]! < 0) throw new BrokenBarrierError();
        }
        return index;
      } finally {
        Atomics.store(words, COUNT, words[COUNT]! - 1);
        this.#exit();
      }
    } finally {
      this.#hold.exit();
    }
  }

  /** Blocking twin of `wait`, for worker threads. */
  waitSync(options?: { timeout?: number | undefined }): number {
    const deadline = deadlineOf(this.#timeoutOf(options, "Barrier.waitSync"));
    const words = this.#words;
    this.#hold.enter();
    try {
      while (words[STATE] === DRAINING || words[STATE] === RESETTING) this.#cond.waitSync();
      if (words[STATE]! < 0) throw new BrokenBarrierError();
      const index = words[COUNT]!;
      Atomics.store(words, COUNT, index + 1);
      try {
        if (index + 1 === words[PARTIES]) this.#release();
        else {
          while (words[STATE] === FILLING) {
            const left = remaining(deadline);
            if (left <= 0) {
              this.#break();
              throw new BrokenBarrierError("Barrier broken: wait timed out");
            }
            this.#cond.waitSync({ timeout: left === Infinity ? undefined : left });
          }
          if (words[STATE]! < 0) throw new BrokenBarrierError();
        }
        return index;
      } finally {
        Atomics.store(words, COUNT, words[COUNT]! - 1);
        this.#exit();
      }
    } finally {
      this.#hold.exit();
    }
  }

  /** The last thread arrived: run the action, then let everyone go. */
  #release(): void {
    try {
      this.#action?.();
      Atomics.store(this.#words, STATE, DRAINING);
      this.#cond.notifyAll();
    } catch (error) {
      this.#break();
      throw error;
    }
  }

  /** The last thread to leave a draining or resetting barrier makes it fill again. */
  #exit(): void {
    const words = this.#words;
    if (words[COUNT] === 0 && (words[STATE] === RESETTING || words[STATE] === DRAINING)) {
      Atomics.store(words, STATE, FILLING);
      this.#cond.notifyAll();
    }
  }

  #break(): void {
    Atomics.store(this.#words, STATE, BROKEN);
    this.#cond.notifyAll();
  }

  /** Returns the barrier to its empty state; threads waiting on it get BrokenBarrierError. */
  reset(): void {
    const words = this.#words;
    this.#hold.enter();
    try {
      if (words[COUNT]! > 0) {
        if (words[STATE] === FILLING || words[STATE] === BROKEN) Atomics.store(words, STATE, RESETTING);
      } else Atomics.store(words, STATE, FILLING);
      this.#cond.notifyAll();
    } finally {
      this.#hold.exit();
    }
  }

  /** Breaks the barrier: current and future waiters get BrokenBarrierError (until `reset()`). */
  abort(): void {
    this.#hold.enter();
    try {
      this.#break();
    } finally {
      this.#hold.exit();
    }
  }
}

registerShareable<Barrier, BarrierState>({
  kind: "threading.Barrier",
  module: import.meta.url,
  is: (value): value is Barrier => value instanceof Barrier,
  encode(barrier, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("Barrier", where);
    if (barrier.hasAction) {
      throw new TypeError(
        `${where}: cannot send a Barrier with an action to a worker thread: the action is a function of this thread; ` +
          `create the Barrier without one and let the thread whose wait() resolves 0 run it`,
      );
    }
    return barrier.sharedState;
  },
  decode: (data) => Barrier.fromShared(data),
});
