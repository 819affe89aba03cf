/**
 * Process-shared `JoinableQueue` (`multiprocessing.JoinableQueue`): a `Queue` that counts
 * unfinished tasks. Each `put` adds one; consumers call `taskDone()` once per item they got, and
 * `join()` waits until the count is back to zero.
 */
import { checkSignal } from "../internal/options.js";
import type { WaitOptions } from "../internal/options.js";
import { Queue } from "./queue.js";
import { registerShared } from "./owner.js";

/** A queue whose producers can wait until every item has been processed. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  protected static override readonly joinable: boolean = true;

  /** Marks one item (or `n`) as processed. Rejects `RangeError` when called more times than items were put. */
  taskDone(n = 1): Promise<void> {
    return this.post("taskDone", [n]) as Promise<void>;
  }

  /** Waits until every item put has been marked done. */
  async join(options: Pick<WaitOptions, "signal"> = {}): Promise<void> {
    const signal = checkSignal(options.signal, "JoinableQueue.join: signal");
    await this.joinThread();
    await this.call("join", [], signal);
  }
}

registerShared(
  "multiprocessing.JoinableQueue",
  import.meta.url,
  JoinableQueue,
  (ref, maxsize) => JoinableQueue.fromRef(ref, maxsize as number),
  (queue) => queue.maxsize,
);
