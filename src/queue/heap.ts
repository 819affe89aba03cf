import type { Comparator, Storage } from "./storage.js";

/**
 * A binary min-heap whose equal entries leave in insertion order (each entry carries its arrival
 * number as the last tie-breaker, a guarantee Python's heapq does not give).
 * The storage of `PriorityQueue` in one thread.
 */
export class Heap<E> implements Storage<E> {
  readonly #compare: Comparator<E>;
  #entries: E[] = [];
  #order: number[] = [];
  #arrivals = 0;

  constructor(compare: Comparator<E>) {
    this.#compare = compare;
  }

  get length(): number {
    return this.#entries.length;
  }

  push(entry: E): void {
    this.#entries.push(entry);
    this.#order.push(this.#arrivals++);
    this.#siftUp(this.#entries.length - 1);
  }

  /** Removes and returns the lowest entry. */
  shift(): E {
    const entries = this.#entries;
    const order = this.#order;
    const top = entries[0] as E;
    const last = entries.pop() as E;
    const lastOrder = order.pop() as number;
    if (entries.length > 0) {
      entries[0] = last;
      order[0] = lastOrder;
      this.#siftDown(0);
    }
    return top;
  }

  /** A heap has no "newest" end: pop is shift, so a LIFO override does not break it. */
  pop(): E {
    return this.shift();
  }

  clear(): void {
    this.#entries = [];
    this.#order = [];
  }

  #before(i: number, j: number): boolean {
    const c = this.#compare(this.#entries[i] as E, this.#entries[j] as E);
    return c < 0 || (c === 0 && (this.#order[i] as number) < (this.#order[j] as number));
  }

  #swap(i: number, j: number): void {
    const entries = this.#entries;
    const order = this.#order;
    const e = entries[i] as E;
    entries[i] = entries[j] as E;
    entries[j] = e;
    const o = order[i] as number;
    order[i] = order[j] as number;
    order[j] = o;
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const n = this.#entries.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.#before(right, left) ? right : left;
      if (!this.#before(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }
}
