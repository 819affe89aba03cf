/** Process-shared `Event` (`multiprocessing.Event`): a flag processes wait for. */
import { checkOptions, checkSignal, checkTimeout, type WaitOptions } from "../internal/options.js";
import { OwnedEvent } from "./owned/event.js";
import { SharedObject } from "./shared-object.js";
import { SharedRef, registerShared, rememberShared } from "./owner.js";
import type { Dispatch } from "./server.js";

function eventDispatch(state: OwnedEvent): Dispatch {
  return (method, args, _caller, signal) => {
    switch (method) {
      case "set":
        return state.set();
      case "clear":
        return state.clear();
      case "isSet":
        return state.flag;
      case "wait":
        return state.wait(args[0] as number | undefined, signal);
      default:
        throw new TypeError(`Cannot call ${method} on an event`);
    }
  };
}

let rebuilding: SharedRef | undefined;

/** A flag shared between processes. */
export class Event extends SharedObject {
  constructor() {
    let ref = rebuilding;
    rebuilding = undefined;
    if (ref === undefined) {
      const state = new OwnedEvent();
      ref = SharedRef.serve("Event", state, { dispatch: eventDispatch(state) });
    }
    super(ref);
    rememberShared(ref, this);
  }

  /** @internal */
  static fromRef(ref: SharedRef): Event {
    rebuilding = ref;
    return new Event();
  }

  /** Sets the flag and wakes every waiter. */
  set(): Promise<void> {
    return this.post("set", []) as Promise<void>;
  }

  /** Clears the flag. */
  clear(): Promise<void> {
    return this.post("clear", []) as Promise<void>;
  }

  /** Whether the flag is set. */
  async isSet(): Promise<boolean> {
    return (await this.call("isSet", [])) as boolean;
  }

  /** Waits until the flag is set; resolves the flag (false when `timeout` ms passed first). */
  async wait(options: WaitOptions = {}): Promise<boolean> {
    checkOptions(options, "Event.wait");
    const timeout = checkTimeout(options.timeout, "Event.wait: timeout");
    const signal = checkSignal(options.signal, "Event.wait: signal");
    return (await this.call("wait", [timeout], signal)) as boolean;
  }
}

registerShared("multiprocessing.Event", import.meta.url, Event, (ref) => Event.fromRef(ref));
