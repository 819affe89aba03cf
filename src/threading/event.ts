/**
 * Event: Python's `threading.Event`, built on a Condition(Lock()), its flag shared by every thread
 * it is passed to. `isSet()` and a `wait()` on a set event read the flag without taking the lock.
 */
import { checkOptions, checkSignal, checkTimeout, type WaitOptions } from "../internal/options.js";
import { registerShareable } from "../internal/codec.js";
import { Condition, type ConditionState } from "./condition.js";
import { Lock, RESOLVED_TRUE } from "./lock.js";
import { ThreadHold } from "./hold.js";
import { allocateWords, checkWords, HEADER_WORDS, notAcrossProcesses, recall, remember } from "./shared.js";

const FLAG = HEADER_WORDS;
const WORDS = 1;

/** Shared state of an Event, as sent to another thread. */
export interface EventState {
  readonly cond: ConditionState;
  readonly words: Int32Array;
}

let adopting: { cond: Condition; words: Int32Array } | undefined;

/** A flag threads wait for: `set()` wakes every waiter, `clear()` makes them wait again. */
export class Event {
  readonly #cond: Condition;
  readonly #hold: ThreadHold;
  readonly #words: Int32Array;

  constructor() {
    if (adopting !== undefined) {
      this.#cond = adopting.cond;
      this.#words = adopting.words;
      adopting = undefined;
    } else {
      this.#cond = new Condition(new Lock());
      this.#words = allocateWords(WORDS);
    }
    this.#hold = new ThreadHold(this.#cond.lock as Lock);
    remember("Event", this.#words, this);
  }

  /** This thread's Event for shared state received from another thread. */
  static fromShared(data: unknown): Event {
    const state = data as Partial<EventState> | null;
    const words = checkWords(state?.words, WORDS, "Event");
    const existing = recall<Event>("Event", words);
    if (existing !== undefined) return existing;
    adopting = { cond: Condition.fromShared(state!.cond), words };
    return new Event();
  }

  /** The shared state, for sending this event to another thread. */
  get sharedState(): EventState {
    return { cond: this.#cond.sharedState, words: this.#words };
  }

  /** Whether the flag is set. */
  isSet(): boolean {
    return Atomics.load(this.#words, FLAG) === 1;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    this.#hold.enter();
    try {
      Atomics.store(this.#words, FLAG, 1);
      this.#cond.notifyAll();
    } finally {
      this.#hold.exit();
    }
  }

  /** Clears the flag: later `wait()` calls wait again. */
  clear(): void {
    this.#hold.enter();
    try {
      Atomics.store(this.#words, FLAG, 0);
    } finally {
      this.#hold.exit();
    }
  }

  /**
   * Waits until the flag is set. Resolves the flag: `true` when set (at once if it already is),
   * `false` at the timeout.
   */
  wait(options?: WaitOptions): Promise<boolean> {
    if (options === undefined && Atomics.load(this.#words, FLAG) === 1) return RESOLVED_TRUE;
    return this.#waitSlow(options);
  }

  async #waitSlow(options: WaitOptions | undefined): Promise<boolean> {
    checkOptions(options, "Event.wait");
    checkTimeout(options?.timeout, "Event.wait: timeout");
    checkSignal(options?.signal, "Event.wait: signal");
    this.#hold.enter();
    try {
      if (Atomics.load(this.#words, FLAG) === 1) return true;
      return await this.#cond._waitAcquireSync(options, "Event.wait");
    } finally {
      this.#hold.exit();
    }
  }

  /** Blocking twin of `wait`, for worker threads. */
  waitSync(options?: { timeout?: number | undefined }): boolean {
    checkOptions(options, "Event.waitSync");
    if (Atomics.load(this.#words, FLAG) === 1) return true;
    checkTimeout(options?.timeout, "Event.waitSync: timeout");
    this.#hold.enter();
    try {
      if (Atomics.load(this.#words, FLAG) === 1) return true;
      return this.#cond.waitSync(options);
    } finally {
      this.#hold.exit();
    }
  }

  get [Symbol.toStringTag](): string {
    return this.isSet() ? "Event (set)" : "Event (unset)";
  }
}

registerShareable<Event, EventState>({
  kind: "threading.Event",
  module: import.meta.url,
  is: (value): value is Event => value instanceof Event,
  encode(event, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("Event", where);
    return event.sharedState;
  },
  decode: (data) => Event.fromShared(data),
});
