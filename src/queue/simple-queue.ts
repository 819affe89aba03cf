import { registerShareable } from "../internal/codec.js";
import { Queue, type QueueState, type QueueSyncOptions, type QueueWaitOptions } from "./queue.js";

let adopting: Queue<unknown> | undefined;

/** This thread's wrapper of each inner queue: a SimpleQueue that comes back is the same object. */
const wrappers = new WeakMap<Queue<unknown>, SimpleQueue<unknown>>();

/**
 * An unbounded FIFO queue without task tracking (Python's `queue.SimpleQueue`): `put` never
 * waits, so it is synchronous.
 *
 * @example
 * ```ts
 * const q = new SimpleQueue<string>();
 * q.put("hello");
 * console.log(await q.get()); // "hello"
 * ```
 */
export class SimpleQueue<T = unknown> implements AsyncIterable<T> {
  readonly #queue: Queue<T>;

  constructor() {
    this.#queue = (adopting as Queue<T> | undefined) ?? new Queue<T>();
    adopting = undefined;
    wrappers.set(this.#queue as Queue<unknown>, this as SimpleQueue<unknown>);
  }

  /** Puts `item` into the queue; never waits. Throws a TypeError when the queue is shared and the item cannot cross. */
  put(item: T): void {
    this.#queue.putNowait(item);
  }

  /** The same as `put` (Python has both). */
  putNowait(item: T): void {
    this.#queue.putNowait(item);
  }

  /** Removes and returns the next item, waiting for one. Rejects with `Empty` when the timeout passes. */
  get(options?: QueueWaitOptions): Promise<T> {
    return this.#queue.get(options);
  }

  /** Removes and returns an item if one is there; throws `Empty` otherwise. */
  getNowait(): T {
    return this.#queue.getNowait();
  }

  /** Blocking twin of `get`, for worker threads. */
  getSync(options?: QueueSyncOptions): T {
    return this.#queue.getSync(options);
  }

  /** Number of items in the queue. */
  qsize(): number {
    return this.#queue.qsize();
  }

  /** Whether the queue holds no item. */
  empty(): boolean {
    return this.#queue.empty();
  }

  /** Reads items forever: `for await (const item of q)` (a SimpleQueue has no shutdown). */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) yield await this.#queue.get();
  }

  /** @internal */
  static _inner(queue: SimpleQueue<unknown>): Queue<unknown> {
    return queue.#queue;
  }

  /** @internal */
  static _adopt(queue: Queue<unknown>): SimpleQueue<unknown> {
    adopting = queue;
    return new SimpleQueue();
  }
}

registerShareable<SimpleQueue<unknown>, QueueState>({
  kind: "queue.SimpleQueue",
  module: new URL("./index.js", import.meta.url).href,
  is: (value): value is SimpleQueue<unknown> => value instanceof SimpleQueue,
  encode: (queue, boundary, where) => Queue._share(SimpleQueue._inner(queue), boundary, where),
  decode(data) {
    const inner = Queue._fromShared(data);
    return wrappers.get(inner) ?? SimpleQueue._adopt(inner);
  },
});
