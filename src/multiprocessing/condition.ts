/**
 * Process-shared `Condition` (`multiprocessing.Condition`), with the async API of
 * `threading.Condition`. Its lock must be a process-shared `Lock`/`RLock` made in the same process
 * as the condition (default: a new `RLock`); `wait` releases and re-acquires it in the owner.
 */
import { checkOptions, checkSignal, checkTimeout, deadlineOf, describe, remaining, type WaitOptions } from "../internal/options.js";
import { currentIdent } from "../threading/current.js";
import type { AcquireOptions, Held } from "../threading/lock.js";
import { OwnedCondition } from "./owned/condition.js";
import { Lock } from "./lock.js";
import { RLock } from "./rlock.js";
import { SharedObject } from "./shared-object.js";
import { SharedRef, registerShared, rememberShared } from "./owner.js";
import type { Token } from "./protocol.js";
import type { Dispatch } from "./server.js";

function conditionDispatch(state: OwnedCondition): Dispatch {
  const key = (callerId: number, thread: unknown): string => (state.lock.reentrant ? `${callerId}/${String(thread)}` : `${callerId}`);
  return (method, args, caller, signal) => {
    switch (method) {
      case "wait":
        return state.wait(caller, key(caller.id, args[1]), args[0] as number | undefined, signal);
      case "notify":
        return state.notify(key(caller.id, args[1]), args[0] as number);
      default:
        throw new TypeError(`Cannot call ${method} on a condition`);
    }
  };
}

let rebuilding: { ref: SharedRef; lock: Lock } | undefined;

/** A condition variable shared between processes. */
export class Condition extends SharedObject {
  readonly #lock: Lock;

  constructor(lock?: Lock) {
    const rebuilt = rebuilding;
    rebuilding = undefined;
    let ref: SharedRef;
    let theLock: Lock;
    if (rebuilt !== undefined) {
      ({ ref, lock: theLock } = rebuilt);
    } else {
      theLock = lock ?? new RLock();
      if (!(theLock instanceof Lock)) throw new TypeError(`Condition: lock must be a multiprocessing Lock or RLock: got ${describe(lock)}`);
      const owned = theLock.ownedState;
      if (owned === undefined) throw new TypeError("Condition: its lock must be created in the same process as the condition");
      const state = new OwnedCondition(owned);
      ref = SharedRef.serve("Condition", state, { dispatch: conditionDispatch(state) });
    }
    super(ref);
    this.#lock = theLock;
    rememberShared(ref, this);
  }

  /** @internal */
  static fromRef(ref: SharedRef, lock: Lock): Condition {
    rebuilding = { ref, lock };
    return new Condition();
  }

  /** The underlying lock. */
  get lock(): Lock {
    return this.#lock;
  }

  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  release(): Promise<void> {
    return this.#lock.release();
  }

  enter(options?: WaitOptions): Promise<Held> {
    return this.#lock.enter(options);
  }

  withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    return this.#lock.withLock(fn, options);
  }

  /**
   * Releases the lock, waits for a notification (or `timeout` ms), re-acquires the lock. Resolves
   * false on timeout. Rejects `ThreadError` when the lock is not held.
   */
  async wait(options: WaitOptions = {}): Promise<boolean> {
    checkOptions(options, "Condition.wait");
    const timeout = checkTimeout(options.timeout, "Condition.wait: timeout");
    const signal = checkSignal(options.signal, "Condition.wait: signal");
    return (await this.call("wait", [timeout, currentIdent()], signal)) as boolean;
  }

  /** Waits until `predicate()` is truthy; resolves its last value (falsy after the timeout). */
  async waitFor<T>(predicate: () => T | Promise<T>, options: WaitOptions = {}): Promise<T> {
    checkOptions(options, "Condition.waitFor");
    const deadline = deadlineOf(checkTimeout(options.timeout, "Condition.waitFor: timeout"));
    let result = await predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left <= 0) break;
      await this.wait({ timeout: left === Infinity ? undefined : left, signal: options.signal });
      result = await predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiters. Rejects `ThreadError` when the lock is not held. */
  notify(n = 1): Promise<void> {
    return this.post("notify", [n, currentIdent()]) as Promise<void>;
  }

  /** Wakes every waiter. */
  notifyAll(): Promise<void> {
    return this.notify(Infinity);
  }
}

registerShared(
  "multiprocessing.Condition",
  import.meta.url,
  Condition,
  (ref, extra) => {
    const { token, reentrant } = extra as { token: Token; reentrant: boolean };
    const lockRef = SharedRef.fromToken(token);
    return Condition.fromRef(ref, reentrant ? RLock.fromRef(lockRef) : Lock.fromRef(lockRef));
  },
  (condition) => ({ token: condition.lock.ref.token, reentrant: condition.lock instanceof RLock }),
);
