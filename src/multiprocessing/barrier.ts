/**
 * Process-shared `Barrier` (`multiprocessing.Barrier`): `parties` callers wait until all have
 * arrived. No `action` callback: a function cannot run in the owner on a waiter's behalf; run it
 * after `wait()` in the caller that gets index 0.
 */
import { checkOptions, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { OwnedBarrier } from "./owned/barrier.js";
import { SharedObject } from "./shared-object.js";
import { SharedRef, registerShared, rememberShared } from "./owner.js";
import type { Dispatch } from "./server.js";

function barrierDispatch(state: OwnedBarrier): Dispatch {
  return (method, args, _caller, signal) => {
    switch (method) {
      case "wait":
        return state.wait(args[0] as number | undefined, signal);
      case "reset":
        return state.reset();
      case "abort":
        return state.abort();
      case "state":
        return { parties: state.parties, nWaiting: state.nWaiting, broken: state.broken };
      default:
        throw new TypeError(`Cannot call ${method} on a barrier`);
    }
  };
}

/** Options of `new Barrier`. */
export interface BarrierOptions {
  /** Default timeout of `wait`, in milliseconds. */
  timeout?: number | undefined;
}

let rebuilding: SharedRef | undefined;

/** A meeting point for `parties` callers across processes. */
export class Barrier extends SharedObject {
  readonly #parties: number;

  constructor(parties: number, options: BarrierOptions = {}) {
    let ref = rebuilding;
    rebuilding = undefined;
    if (ref === undefined) {
      if (!Number.isInteger(parties) || parties < 1) throw new RangeError(`Barrier: parties must be a positive integer: got ${describe(parties)}`);
      checkOptions(options, "Barrier");
      if ((options as { action?: unknown }).action !== undefined) {
        throw new TypeError("Barrier: action cannot be given to a process-shared Barrier (a function cannot run in the owner for a waiter); run it after wait() in the caller that gets index 0");
      }
      const state = new OwnedBarrier(parties, checkTimeout(options.timeout, "Barrier: timeout"));
      ref = SharedRef.serve("Barrier", state, { dispatch: barrierDispatch(state) });
    }
    super(ref);
    this.#parties = parties;
    rememberShared(ref, this);
  }

  /** @internal */
  static fromRef(ref: SharedRef, parties: number): Barrier {
    rebuilding = ref;
    return new Barrier(parties);
  }

  /** How many callers the barrier waits for. */
  get parties(): number {
    return this.#parties;
  }

  /** Waits for the others; resolves this caller's arrival index (0 to parties - 1). Rejects `BrokenBarrierError`. */
  async wait(options: WaitOptions = {}): Promise<number> {
    checkOptions(options, "Barrier.wait");
    const timeout = checkTimeout(options.timeout, "Barrier.wait: timeout");
    const signal = checkSignal(options.signal, "Barrier.wait: signal");
    return (await this.call("wait", [timeout], signal)) as number;
  }

  /** Breaks the barrier for current waiters (`BrokenBarrierError`) and makes it usable again. */
  reset(): Promise<void> {
    return this.post("reset", []) as Promise<void>;
  }

  /** Breaks the barrier: current and later waits reject until `reset()`. */
  abort(): Promise<void> {
    return this.post("abort", []) as Promise<void>;
  }

  /** How many callers wait now. */
  async nWaiting(): Promise<number> {
    return ((await this.call("state", [])) as { nWaiting: number }).nWaiting;
  }

  /** Whether the barrier is broken. */
  async broken(): Promise<boolean> {
    return ((await this.call("state", [])) as { broken: boolean }).broken;
  }
}

registerShared("multiprocessing.Barrier", import.meta.url, Barrier, (ref, parties) => Barrier.fromRef(ref, parties as number), (barrier) => barrier.parties);
