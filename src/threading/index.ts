/**
 * shoal/threading: Python's `threading` for TypeScript. Every primitive keeps its state in shared
 * memory, so passed to a worker Thread it is the same primitive there. See docs/threading.md.
 */
export { ThreadError, BrokenBarrierError } from "./errors.js";
export { Lock, type AcquireOptions, type Held } from "./lock.js";
export { RLock } from "./rlock.js";
export { Condition, type ConditionLock } from "./condition.js";
export { Semaphore } from "./semaphore.js";
export { BoundedSemaphore } from "./bounded-semaphore.js";
export { Event } from "./event.js";
export { Barrier, type BarrierOptions } from "./barrier.js";
export {
  Thread,
  type ThreadOptions,
  currentThread,
  mainThread,
  activeCount,
  enumerate,
  getIdent,
  getNativeId,
} from "./thread.js";
export { Timer } from "./timer.js";
export { stackSize } from "./stack-size.js";
export { Local } from "./local.js";
export { sleep, sleepSync } from "./sleep.js";
export { excepthook, setExcepthook, getExcepthook, defaultExcepthook, type ExceptHook, type ExceptHookArgs } from "./excepthook.js";
export { TIMEOUT_MAX, type WaitOptions } from "../internal/options.js";
export { task, type TaskRef } from "../internal/task.js";
