/**
 * Proxies of the managed synchronization primitives, with the async API of `shoal/threading`:
 * `acquire` and the `wait`s resolve `false` at their timeout, as in Python.
 *
 * `RLock` and `Condition` belong to the calling thread of the calling process (the `Thread` that
 * awaited `acquire`), as in Python; a `Lock` may be released by anyone.
 */
import { BaseProxy } from "../base-proxy.js";
import { getIdent } from "../../../threading/thread.js";
import { remoteWait, type RemoteWaitOptions } from "./wait.js";
import { checkOptions, checkTimeout } from "../../../internal/options.js";

/** Options of `acquire`. */
export interface RemoteAcquireOptions extends RemoteWaitOptions {
  /** `false`: take it only if free now. Default true. */
  blocking?: boolean | undefined;
}

abstract class Acquirable extends BaseProxy {
  /** The thread ident sent with each call (0: ownership is per connection). */
  protected thread(): number {
    return 0;
  }

  /** Takes it, waiting up to `timeout`; resolves whether it was taken. */
  acquire(options: RemoteAcquireOptions = {}): Promise<boolean> {
    const where = `${this.constructor.name}.acquire`;
    checkOptions(options, where);
    // As threading's Lock: a non-blocking call has no timeout to give.
    if (options.blocking === false && options.timeout !== undefined) throw new RangeError(`${where}: cannot specify a timeout for a non-blocking call`);
    const { wire, signal } = remoteWait({ ...options, block: options.blocking }, where);
    return this.call("acquire", [wire], signal, this.thread()) as Promise<boolean>;
  }

  async release(): Promise<void> {
    await this.call("release", [], undefined, this.thread());
  }

  /** Runs `fn` holding it (Python's `with lock:`). */
  async withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }

  /** Takes it; disposing the result releases it: `await using _ = await lock.enter()`. */
  async enter(): Promise<AsyncDisposable> {
    await this.acquire();
    return { [Symbol.asyncDispose]: () => this.release() };
  }
}

/** A managed `Lock`. */
export class LockProxy extends Acquirable {
  locked(): Promise<boolean> {
    return this.call("locked", []) as Promise<boolean>;
  }
}

/** A managed `RLock`: re-entrant, owned by the thread that took it. */
export class RLockProxy extends Acquirable {
  protected override thread(): number {
    return getIdent();
  }

  locked(): Promise<boolean> {
    return this.call("locked", []) as Promise<boolean>;
  }
}

/** A managed `Semaphore` (and `BoundedSemaphore`, whose extra `release` rejects `RangeError`). */
export class SemaphoreProxy extends Acquirable {
  override async release(n = 1): Promise<void> {
    await this.call("release", [n]);
  }
}

/** A managed `Condition`. */
export class ConditionProxy extends Acquirable {
  protected override thread(): number {
    return getIdent();
  }

  /** Releases the lock, waits for a notify (or the timeout), re-acquires; resolves false at the timeout. */
  wait(options: RemoteWaitOptions = {}): Promise<boolean> {
    const { wire, signal } = remoteWait(options, "Condition.wait");
    return this.call("wait", [wire], signal, this.thread()) as Promise<boolean>;
  }

  /**
   * Waits until `predicate()` is true (checked here, in the caller), as Python's `wait_for`;
   * resolves the predicate's last value.
   */
  async waitFor<R>(predicate: () => R | Promise<R>, options: RemoteWaitOptions = {}): Promise<R> {
    const timeout = checkTimeout(options.timeout, "Condition.waitFor: timeout");
    const end = timeout === undefined ? Infinity : performance.now() + timeout;
    let result = await predicate();
    while (!result) {
      const left = end === Infinity ? undefined : end - performance.now();
      if (left !== undefined && left <= 0) break;
      await this.wait({ timeout: left, signal: options.signal });
      result = await predicate();
    }
    return result;
  }

  async notify(n = 1): Promise<void> {
    await this.call("notify", [n], undefined, this.thread());
  }

  async notifyAll(): Promise<void> {
    await this.call("notifyAll", [], undefined, this.thread());
  }
}

/** A managed `Event`. */
export class EventProxy extends BaseProxy {
  isSet(): Promise<boolean> {
    return this.call("isSet", []) as Promise<boolean>;
  }

  /** Sets the flag; resolves once the request is on its way (later calls see it set). */
  set(): Promise<void> {
    return this.post("set", []);
  }

  clear(): Promise<void> {
    return this.post("clear", []);
  }

  /** Waits until set; resolves false at the timeout. */
  wait(options: RemoteWaitOptions = {}): Promise<boolean> {
    const { wire, signal } = remoteWait(options, "Event.wait");
    return this.call("wait", [wire], signal) as Promise<boolean>;
  }
}

/** A managed `Barrier`. `wait` rejects `BrokenBarrierError` as in Python. */
export class BarrierProxy extends BaseProxy {
  /** Waits for the other parties; resolves this party's arrival index. */
  wait(options: RemoteWaitOptions = {}): Promise<number> {
    const { wire, signal } = remoteWait(options, "Barrier.wait");
    return this.call("wait", [wire], signal) as Promise<number>;
  }

  async reset(): Promise<void> {
    await this.call("reset", []);
  }

  async abort(): Promise<void> {
    await this.call("abort", []);
  }

  parties(): Promise<number> {
    return this.call("parties", []) as Promise<number>;
  }

  nWaiting(): Promise<number> {
    return this.call("nWaiting", []) as Promise<number>;
  }

  broken(): Promise<boolean> {
    return this.call("broken", []) as Promise<boolean>;
  }
}
