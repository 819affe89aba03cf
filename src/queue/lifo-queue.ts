import { Queue } from "./queue.js";

/**
 * A last-in, first-out queue: `get` returns the newest item (Python's `queue.LifoQueue`).
 *
 * @example
 * ```ts
 * const stack = new LifoQueue<number>();
 * for (const n of [1, 2, 3]) await stack.put(n);
 * console.log(await stack.get()); // 3
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  protected override _get(): unknown {
    return this.queue.pop();
  }
}

Queue._register("LifoQueue", LifoQueue as new () => Queue<unknown>);
