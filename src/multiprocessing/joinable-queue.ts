/**
 * Process-shared `JoinableQueue` (`multiprocessing.JoinableQueue`): a `Queue` that counts
 * unfinished tasks. Each `put` adds one; consumers call `taskDone()` once per item they got, and
 * `join()` waits until the count is back to zero.
 */
import { checkOptions, checkSignal, checkTimeout, deadlineOf, remaining, type WaitOptions } from "../internal/options.js";
import { Queue } from "./queue.js";
import { registerShared } from "./owner.js";

/** A queue whose producers can wait until every item has been processed. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  protected static override readonly joinable: boolean = true;

  /** Marks one item (or `n`) as processed. Rejects `RangeError` when called more times than items were put. */
  taskDone(n = 1): Promise<void> {
    return this.post("taskDone", [n]) as Promise<void>;
  }

  /**
   * Waits until every item put has been marked done. Resolves `true` then, or `false` when
   * `timeout` ms pass first (as `join` of `shoal/queue`); rejects with the signal's reason on abort.
   */
  async join(options: WaitOptions = {}): Promise<boolean> {
    checkOptions(options, "JoinableQueue.join");
    const deadline = deadlineOf(checkTimeout(options.timeout, "JoinableQueue.join: timeout"));
    const signal = checkSignal(options.signal, "JoinableQueue.join: signal");
    await this.joinThread();
    const left = remaining(deadline);
    return (await this.call("join", [left === Infinity ? undefined : left], signal)) as boolean;
  }
}

registerShared(
  "multiprocessing.JoinableQueue",
  import.meta.url,
  JoinableQueue,
  (ref, maxsize) => JoinableQueue.fromRef(ref, maxsize as number),
  (queue) => queue.maxsize,
);
