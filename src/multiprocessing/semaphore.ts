/**
 * Process-shared `Semaphore` and `BoundedSemaphore` (`multiprocessing.Semaphore`), with the async
 * API of `threading.Semaphore`. Permits held by a process that dies are not given back (there is no
 * owner to a permit): prefer a `Lock` where a crash must not leak.
 */
import { acquireTimeout, checkHoldingFn, type AcquireOptions, type Held } from "../threading/lock.js";
import { checkOptions, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { OwnedSemaphore } from "./owned/semaphore.js";
import { SharedObject } from "./shared-object.js";
import { SharedRef, registerShared, rememberShared } from "./owner.js";
import { TimeoutError } from "./errors.js";
import type { Dispatch } from "./server.js";

function semaphoreDispatch(state: OwnedSemaphore): Dispatch {
  return (method, args, _caller, signal) => {
    switch (method) {
      case "acquire":
        return state.acquire(args[0] as number | undefined, signal);
      case "release":
        return state.release(args[0] as number);
      case "value":
        return state.value;
      default:
        throw new TypeError(`Cannot call ${method} on a semaphore`);
    }
  };
}

let rebuilding: SharedRef | undefined;

/** A counter of permits shared between processes. */
export class Semaphore extends SharedObject {
  protected static readonly bounded: boolean = false;

  constructor(value = 1) {
    const kind = new.target as unknown as { bounded: boolean; name: string };
    let ref = rebuilding;
    rebuilding = undefined;
    if (ref === undefined) {
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`${kind.name}: initial value must be a non-negative integer: got ${describe(value)}`);
      const state = new OwnedSemaphore(value, kind.bounded ? value : undefined);
      ref = SharedRef.serve(kind.name, state, { dispatch: semaphoreDispatch(state) });
    }
    super(ref);
    rememberShared(ref, this);
  }

  /** @internal */
  static fromRef<T extends Semaphore>(this: new () => T, ref: SharedRef): T {
    rebuilding = ref;
    return new this();
  }

  /** Takes a permit: resolves true, or false when `timeout` ms pass first (at once with `blocking: false`). */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const timeout = acquireTimeout(options, `${this.constructor.name}.acquire`);
    const signal = options?.signal;
    const acquired = (await this.call("acquire", [timeout], signal)) as boolean;
    if (acquired && signal?.aborted) {
      await this.release();
      throw signal.reason;
    }
    return acquired;
  }

  /** Gives back `n` permits. A `BoundedSemaphore` rejects `RangeError` past its initial value. */
  release(n = 1): Promise<void> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${this.constructor.name}.release: n must be a positive integer: got ${describe(n)}`);
    return this.post("release", [n]) as Promise<void>;
  }

  /** The number of free permits now (approximate: it may change at once). */
  async getValue(): Promise<number> {
    return (await this.call("value", [])) as number;
  }

  /** Takes a permit and returns a handle whose disposal gives it back. */
  async enter(options?: WaitOptions): Promise<Held> {
    checkOptions(options, `${this.constructor.name}.enter`);
    const timeout = checkTimeout(options?.timeout, `${this.constructor.name}.enter: timeout`);
    if (!(await this.acquire(options))) throw new TimeoutError(`Cannot enter ${this.constructor.name}: no permit within ${timeout} ms`);
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.release().catch((error: Error) => process.emitWarning(`shoal: releasing a semaphore failed: ${error.message}`));
    };
    return { release, [Symbol.dispose]: release };
  }

  /** Runs `fn` holding a permit. */
  async withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    checkHoldingFn(this, fn);
    await this.enter(options);
    try {
      return await fn();
    } finally {
      await this.release().catch(() => undefined);
    }
  }
}

/** A semaphore that refuses to be released above its initial value. */
export class BoundedSemaphore extends Semaphore {
  protected static override readonly bounded: boolean = true;
}

registerShared("multiprocessing.Semaphore", import.meta.url, Semaphore, (ref) => Semaphore.fromRef(ref));
registerShared("multiprocessing.BoundedSemaphore", import.meta.url, BoundedSemaphore, (ref) => BoundedSemaphore.fromRef(ref));
