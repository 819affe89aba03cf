/**
 * Process-shared `Lock` and the base of `RLock`: `multiprocessing.Lock`, with the async API of
 * `threading.Lock`. The state lives in the process that made it (see `owner.ts`); other processes
 * reach it when it is passed to them (as a `Process` argument, inside a queue item, ...).
 *
 * Unlike `threading.Lock`, the calls that need the owner are all async: `await lock.release()`,
 * `await lock.locked()`. A release need not be awaited: calls from one process reach the owner in
 * order. A process that dies holding the lock does not block the others forever: see `owned/lock.ts`.
 */
import { acquireTimeout, checkHoldingFn, type AcquireOptions, type Held } from "../threading/lock.js";
import { currentIdent } from "../threading/current.js";
import { checkOptions, checkTimeout, type WaitOptions } from "../internal/options.js";
import { OwnedLock } from "./owned/lock.js";
import { SharedObject } from "./shared-object.js";
import { TimeoutError } from "./errors.js";
import { SharedRef, registerShared, rememberShared } from "./owner.js";
import type { Caller, Dispatch } from "./server.js";

export type { AcquireOptions, Held } from "../threading/lock.js";

function ownerKey(caller: Caller, thread: unknown, reentrant: boolean): string {
  return reentrant ? `${caller.id}/${String(thread)}` : `${caller.id}`;
}

/** The owner-side dispatch of a lock. @internal */
export function lockDispatch(state: OwnedLock): Dispatch {
  return (method, args, caller, signal) => {
    const key = (): string => ownerKey(caller, args[1], state.reentrant);
    switch (method) {
      case "acquire":
        return state.acquire(caller, key(), args[0] as number | undefined, signal);
      case "release":
        return state.release(ownerKey(caller, args[0], state.reentrant));
      case "locked":
        return state.locked();
      case "stolen":
        return state.stolen;
      default:
        throw new TypeError(`Cannot call ${method} on a lock`);
    }
  };
}

let rebuilding: SharedRef | undefined;

/** A mutual-exclusion lock shared between processes. Any process may release it. */
export class Lock extends SharedObject {
  /** Whether the owner may acquire again (RLock). */
  protected static readonly reentrant: boolean = false;

  constructor() {
    const kind = new.target as unknown as { reentrant: boolean; name: string };
    let ref = rebuilding;
    rebuilding = undefined;
    if (ref === undefined) {
      const state = new OwnedLock(kind.reentrant, kind.name);
      ref = SharedRef.serve(kind.name, state, { dispatch: lockDispatch(state) });
    }
    super(ref);
    rememberShared(ref, this);
  }

  /** @internal Rebuilds a lock from a received reference. */
  static fromRef<T extends Lock>(this: new () => T, ref: SharedRef): T {
    rebuilding = ref;
    return new this();
  }

  /** The owner-side state, when this process owns the lock (Condition builds on it). @internal */
  get ownedState(): OwnedLock | undefined {
    return this.ref.local as OwnedLock | undefined;
  }

  /**
   * Acquires the lock: resolves true, or false when `timeout` ms pass first (or at once with
   * `blocking: false`). An aborted `signal` rejects with its reason (and never leaves it held).
   */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const timeout = acquireTimeout(options, `${this.constructor.name}.acquire`);
    const signal = options?.signal;
    const acquired = (await this.call("acquire", [timeout, currentIdent()], signal)) as boolean;
    if (acquired && signal?.aborted) {
      await this.release();
      throw signal.reason;
    }
    return acquired;
  }

  /** Releases the lock. Rejects `ThreadError` when it is not held. */
  release(): Promise<void> {
    return this.post("release", [currentIdent()]) as Promise<void>;
  }

  /** Whether some process holds the lock. */
  async locked(): Promise<boolean> {
    return (await this.call("locked", [])) as boolean;
  }

  /** How many times a process died holding this lock (each time, it was released for the others). */
  async ownerDiedCount(): Promise<number> {
    return (await this.call("stolen", [])) as number;
  }

  /** Acquires and returns a handle whose disposal releases: `using _ = await lock.enter()`. */
  async enter(options?: WaitOptions): Promise<Held> {
    checkOptions(options, `${this.constructor.name}.enter`);
    const timeout = checkTimeout(options?.timeout, `${this.constructor.name}.enter: timeout`);
    if (!(await this.acquire(options))) {
      throw new TimeoutError(`Cannot enter ${this.constructor.name}: not acquired within ${timeout} ms`);
    }
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.release().catch((error: Error) => process.emitWarning(`shoal: releasing a lock failed: ${error.message}`));
    };
    return { release, [Symbol.dispose]: release };
  }

  /** Runs `fn` holding the lock (Python's `with lock:`). */
  async withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    checkHoldingFn(this, fn);
    const held = await this.enter(options);
    try {
      return await fn();
    } finally {
      await this.release().catch(() => undefined);
      held[Symbol.dispose] = () => undefined;
    }
  }

  get [Symbol.toStringTag](): string {
    return this.constructor.name;
  }
}

registerShared("multiprocessing.Lock", import.meta.url, Lock, (ref) => Lock.fromRef(ref));
