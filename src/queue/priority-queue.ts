import { describe } from "../internal/options.js";
import { pythonCompare } from "./compare.js";
import { Queue } from "./queue.js";
import type { StorageFactory } from "./storage.js";

/** Options of a PriorityQueue. */
export interface PriorityQueueOptions<T> {
  /**
   * The priority of an item, when it is not the item itself (as `(priority, data)` tuples are in
   * Python): `{ key: (job) => job.priority }`. A queue with a key function stays in one thread.
   */
  key?: ((item: T) => unknown) | undefined;
  /**
   * A comparator of its own instead of Python's ordering: negative when `a` comes first. Entries it
   * finds equal still leave in insertion order. A queue with a comparator stays in one thread.
   */
  compare?: ((a: T, b: T) => number) | undefined;
}

/**
 * A queue that returns the lowest item first (Python's `queue.PriorityQueue`).
 *
 * Items compare as Python compares them: numbers and bigints by value, strings by code units,
 * arrays element by element, so `[priority, data]` pairs work as Python's tuples do. Items of equal
 * priority come out in the order they were put (a guarantee Python's heapq does not give).
 *
 * @example
 * ```ts
 * const q = new PriorityQueue<[number, string]>();
 * await q.put([3, "low"]);
 * await q.put([1, "urgent"]);
 * console.log(await q.get()); // [1, "urgent"]
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  readonly #key: ((item: T) => unknown) | undefined;
  readonly #compare: ((a: T, b: T) => number) | undefined;

  /**
   * @param maxsize the most items held at once; 0 or less is unbounded.
   * @param options `key`: the priority of an item, when it is not the item itself; `compare`: a
   *   comparator of its own.
   */
  constructor(maxsize = 0, options?: PriorityQueueOptions<T>) {
    super(maxsize);
    const key = options?.key;
    const compare = options?.compare;
    if (key !== undefined && typeof key !== "function") throw new TypeError(`PriorityQueue: key must be a function: got ${describe(key)}`);
    if (compare !== undefined && typeof compare !== "function") throw new TypeError(`PriorityQueue: compare must be a function: got ${describe(compare)}`);
    this.#key = key;
    this.#compare = compare;
  }

  protected override _init(_maxsize: number, storage: StorageFactory): void {
    // Called from Queue's constructor, before this class's fields exist: the comparator reads them later.
    this.queue = storage.heap((a, b) =>
      this.#compare !== undefined ? this.#compare(a as T, b as T) : pythonCompare(this._priorityOf(a), this._priorityOf(b)),
    );
  }

  protected override _priorityOf(item: unknown): unknown {
    return this.#key === undefined ? item : this.#key(item as T);
  }

  protected override _checkShareable(where: string): void {
    if (this.#key !== undefined || this.#compare !== undefined) {
      const what = this.#key !== undefined ? "key function" : "comparator";
      throw new TypeError(`${where}: cannot send a PriorityQueue with a ${what} to a worker thread: functions do not cross threads; put [priority, item] pairs instead`);
    }
  }
}

Queue._register("PriorityQueue", PriorityQueue as new () => Queue<unknown>);
