/**
 * `threading.stack_size([size])`: the stack size of the worker threads started from now on.
 *
 *   stackSize(8 * 1024 * 1024);   // later worker Threads and ThreadPool workers get 8 MiB
 *   stackSize();                  // 8388608; 0 means Node's default (4 MiB)
 *
 * It applies where a stack of its own exists: worker threads (`worker: true`, and a ThreadPool's
 * workers unless given `resourceLimits.stackSizeMb`), through `resourceLimits.stackSizeMb`. A
 * thread on the event loop runs on the loop's stack, so it changes nothing there.
 *
 * Python's minimum is 32 KiB, what its interpreter needs; a Node worker needs more to start at
 * all (its own start-up code runs in it), so the minimum here is 512 KiB.
 */
import { describe } from "../internal/options.js";

/** The smallest stack a worker thread starts and runs shoal's entry with. */
export const MIN_STACK_SIZE = 512 * 1024;

let size = 0;

/** Returns the stack size of new worker threads (0: Node's default); with `newSize`, sets it and returns the previous one. */
export function stackSize(newSize?: number): number {
  const previous = size;
  if (newSize === undefined) return previous;
  if (typeof newSize !== "number" || !Number.isInteger(newSize) || (newSize !== 0 && newSize < MIN_STACK_SIZE)) {
    throw new RangeError(
      `stackSize: size must be 0 (Node's default) or an integer number of bytes of at least ${MIN_STACK_SIZE} (512 KiB, what a worker thread needs to start): got ${describe(newSize)}`,
    );
  }
  size = newSize;
  return previous;
}

/** The `resourceLimits` giving a new worker thread the chosen stack size (none: Node's default). */
export function stackLimits(): { stackSizeMb: number } | undefined {
  return size === 0 ? undefined : { stackSizeMb: size / (1024 * 1024) };
}
