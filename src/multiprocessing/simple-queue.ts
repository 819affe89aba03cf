/**
 * Process-shared `SimpleQueue` (`multiprocessing.SimpleQueue`): an unbounded `Queue` offering the
 * short API `put`, `get`, `empty`, `close`.
 */
import { Queue } from "./queue.js";
import { registerShared } from "./owner.js";

/** An unbounded FIFO queue shared between processes. */
export class SimpleQueue<T = unknown> extends Queue<T> {
  constructor() {
    super(0);
  }
}

registerShared("multiprocessing.SimpleQueue", import.meta.url, SimpleQueue, (ref) => SimpleQueue.fromRef(ref, 0));
