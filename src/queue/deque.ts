import type { Storage } from "./storage.js";

/**
 * A double-ended queue on a growable ring of slots: O(1) push, shift and pop, no shifting of arrays.
 * The storage of `Queue` and `LifoQueue` in one thread.
 */
export class Deque<E> implements Storage<E> {
  #slots: Array<E | undefined> = new Array<E | undefined>(16);
  #mask = 15;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(entry: E): void {
    if (this.#length > this.#mask) this.#grow();
    this.#slots[(this.#head + this.#length) & this.#mask] = entry;
    this.#length++;
  }

  shift(): E {
    const head = this.#head;
    const entry = this.#slots[head] as E;
    this.#slots[head] = undefined; // let the item be collected
    this.#head = (head + 1) & this.#mask;
    this.#length--;
    return entry;
  }

  pop(): E {
    const index = (this.#head + this.#length - 1) & this.#mask;
    const entry = this.#slots[index] as E;
    this.#slots[index] = undefined;
    this.#length--;
    return entry;
  }

  clear(): void {
    this.#slots = new Array<E | undefined>(16);
    this.#mask = 15;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const slots = new Array<E | undefined>(this.#slots.length * 2);
    for (let i = 0; i < this.#length; i++) slots[i] = this.#slots[(this.#head + i) & this.#mask];
    this.#slots = slots;
    this.#mask = slots.length - 1;
    this.#head = 0;
  }
}
