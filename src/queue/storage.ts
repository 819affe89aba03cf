/**
 * What a queue keeps its entries in: the `_init/_qsize/_put/_get` hooks of `Queue` work on one.
 *
 * A queue used in one thread stores its items themselves (a `Deque` or a `Heap`), so `get` returns
 * the very object that was `put`. Once the queue crosses to a worker thread its entries move to
 * shared memory (`SharedStore`) as structured-clone bytes; the hooks do not change.
 */
export interface Storage<E> {
  /** Number of entries held. */
  readonly length: number;
  /** Adds an entry (at the back, or at its place by priority). */
  push(entry: E): void;
  /** Removes and returns the first entry: the oldest, or the lowest priority. The storage is not empty. */
  shift(): E;
  /** Removes and returns the newest entry. The storage is not empty. */
  pop(): E;
  /** Removes every entry. */
  clear(): void;
}

/** Orders two entries of a heap: negative when `a` leaves first. */
export type Comparator<E> = (a: E, b: E) => number;

/** Makes the storages a queue can choose from in `_init`; local and shared memory each give one. */
export interface StorageFactory {
  /** First in, first out; also a stack through `pop`. */
  deque<E>(): Storage<E>;
  /** Lowest first by `compare`; entries that compare equal leave in insertion order. */
  heap<E>(compare: Comparator<E>): Storage<E>;
}
