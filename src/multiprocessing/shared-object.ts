/**
 * Base of the process-shared objects (locks, queues, values): a `SharedRef` to the owner-side state
 * and the call helper that turns cancellation into the caller's `signal.reason`.
 */
import type { SharedRef } from "./owner.js";

/** Something living in one process and usable from every process it is passed to. */
export abstract class SharedObject {
  /** How this object is reached (the owner-side state, or a client to it). @internal */
  readonly ref: SharedRef;

  protected constructor(ref: SharedRef) {
    this.ref = ref;
  }

  /** Whether this process is the one holding the object's state. */
  get isOwner(): boolean {
    return this.ref.isOwner;
  }

  /** Calls the owner-side method; an abort rejects with `signal.reason`. */
  protected async call(method: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    try {
      return await this.ref.call(method, args, signal);
    } catch (error) {
      if (signal?.aborted && error instanceof DOMException && error.name === "AbortError") throw signal.reason;
      throw error;
    }
  }

  /** Calls the owner-side method for its effect, delivered even if this process exits first. */
  protected post(method: string, args: unknown[]): Promise<unknown> {
    return this.ref.post(method, args);
  }
}
