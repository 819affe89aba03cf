/**
 * `QueueProxy`: a managed `Queue` / `JoinableQueue`, with the `queue.Queue` API made async.
 * On an unbounded queue, `put(item)` resolves as soon as the item is on its way to the server
 * (it cannot wait or fail there); items of one process arrive in the order it put them.
 * `get` rejects `Empty` and `put` rejects `Full` (the classes of `shoal/queue`) at their timeout or
 * without blocking, as in Python.
 */
import { BaseProxy } from "../base-proxy.js";
import { remoteWait, type BlockingOptions, type RemoteWaitOptions } from "./wait.js";

export class QueueProxy<T = unknown> extends BaseProxy {
  /** Puts `item`, waiting for room in a bounded queue (rejects `Full` at the timeout). */
  async put(item: T, options?: BlockingOptions): Promise<void> {
    // An unbounded queue never makes a put wait or fail: the put goes out without waiting for the
    // server's answer, in order with this process's other calls.
    if (options === undefined && this.hint("unbounded") === true) return this.post("put", [item]);
    const { wire, signal } = remoteWait(options, "Queue.put");
    await this.call("put", [item, wire], signal);
  }

  /** Takes the next item, waiting for one (rejects `Empty` at the timeout). */
  get(options?: BlockingOptions): Promise<T> {
    const { wire, signal } = remoteWait(options, "Queue.get");
    return this.call("get", [wire], signal) as Promise<T>;
  }

  /** `put(item, { block: false })`: rejects `Full` at once when there is no room. */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }

  /** `get({ block: false })`: rejects `Empty` at once when there is no item. */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  qsize(): Promise<number> {
    return this.call("qsize", []) as Promise<number>;
  }

  empty(): Promise<boolean> {
    return this.call("empty", []) as Promise<boolean>;
  }

  full(): Promise<boolean> {
    return this.call("full", []) as Promise<boolean>;
  }

  /** Marks one item taken with `get` as processed (rejects `RangeError` when over-called). */
  async taskDone(): Promise<void> {
    await this.call("taskDone", []);
  }

  /** Waits until every item put has been marked done. */
  async join(options: Pick<RemoteWaitOptions, "signal"> = {}): Promise<void> {
    await this.call("join", [], options.signal);
  }

  /** Takes items as they come, forever (break out of the loop to stop). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) yield await this.get();
  }
}
