/**
 * Process-shared `RLock`: a lock its owner (a thread of a process) may acquire again; it must be
 * released as many times, by that owner.
 */
import { Lock } from "./lock.js";
import { registerShared } from "./owner.js";

/** A re-entrant lock shared between processes. */
export class RLock extends Lock {
  protected static override readonly reentrant: boolean = true;
}

registerShared("multiprocessing.RLock", import.meta.url, RLock, (ref) => RLock.fromRef(ref));
