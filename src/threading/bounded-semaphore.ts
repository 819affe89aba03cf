/** BoundedSemaphore: a Semaphore that refuses to be released above its initial value. */
import { registerShareable } from "../internal/codec.js";
import { Semaphore, type SemaphoreState } from "./semaphore.js";
import { notAcrossProcesses } from "./shared.js";

/** A Semaphore whose `release()` past the initial value throws RangeError (Python's ValueError). */
export class BoundedSemaphore extends Semaphore {
  protected override checkRelease(value: number, n: number): void {
    if (value + n > this.initialValue) throw new RangeError("Semaphore released too many times");
  }
}

registerShareable<BoundedSemaphore, SemaphoreState>({
  kind: "threading.BoundedSemaphore",
  module: import.meta.url,
  is: (value): value is BoundedSemaphore => value instanceof BoundedSemaphore,
  encode(semaphore, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("BoundedSemaphore", where);
    return semaphore.sharedState;
  },
  decode: (data) => BoundedSemaphore.fromShared(data),
});
