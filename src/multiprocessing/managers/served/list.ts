/** The server side of a managed list: a JS array with Python's list methods. */
import { isDeepStrictEqual } from "node:util";
import { describe } from "../../../internal/options.js";
import { pythonCompare } from "../../../queue/compare.js";

function checkIndex(index: unknown, where: string): number {
  if (typeof index !== "number" || !Number.isInteger(index)) throw new TypeError(`${where}: index must be an integer: got ${describe(index)}`);
  return index;
}

export class ServedList {
  #items: unknown[];

  constructor(init?: unknown) {
    if (init === undefined || init === null) this.#items = [];
    else if (Array.isArray(init)) this.#items = init;
    else if (init instanceof Set) this.#items = [...init];
    else throw new TypeError(`list: expected an array: got ${describe(init)}`);
  }

  #at(index: unknown, where: string): number {
    const i = checkIndex(index, where);
    const at = i < 0 ? this.#items.length + i : i;
    if (at < 0 || at >= this.#items.length) throw new RangeError(`${where}: index ${i} is out of range for a list of length ${this.#items.length}`);
    return at;
  }

  get(index: unknown): unknown {
    return this.#items[this.#at(index, "list.get")];
  }

  set(index: unknown, value: unknown): void {
    this.#items[this.#at(index, "list.set")] = value;
  }

  append(value: unknown): void {
    this.#items.push(value);
  }

  extend(values: unknown): void {
    if (!Array.isArray(values)) throw new TypeError(`list.extend: expected an array: got ${describe(values)}`);
    for (const value of values) this.#items.push(value);
  }

  insert(index: unknown, value: unknown): void {
    const i = checkIndex(index, "list.insert");
    const at = i < 0 ? Math.max(0, this.#items.length + i) : Math.min(i, this.#items.length);
    this.#items.splice(at, 0, value);
  }

  pop(index: unknown = -1): unknown {
    if (this.#items.length === 0) throw new RangeError("Cannot pop: list is empty");
    const at = this.#at(index, "list.pop");
    return this.#items.splice(at, 1)[0];
  }

  remove(value: unknown): void {
    const at = this.#find(value, 0, this.#items.length);
    if (at < 0) throw new RangeError(`Cannot remove ${describe(value)}: value is not in list`);
    this.#items.splice(at, 1);
  }

  index(value: unknown, start: unknown = 0, end: unknown = this.#items.length): number {
    const n = this.#items.length;
    const clamp = (i: number): number => (i < 0 ? Math.max(0, n + i) : Math.min(i, n));
    const at = this.#find(value, clamp(checkIndex(start, "list.index")), clamp(checkIndex(end, "list.index")));
    if (at < 0) throw new RangeError(`Cannot find ${describe(value)}: value is not in list`);
    return at;
  }

  count(value: unknown): number {
    let n = 0;
    for (const item of this.#items) if (item === value || isDeepStrictEqual(item, value)) n += 1;
    return n;
  }

  len(): number {
    return this.#items.length;
  }

  toArray(): unknown[] {
    return this.#items.slice();
  }

  slice(start?: unknown, end?: unknown): unknown[] {
    return this.#items.slice(start === undefined ? undefined : checkIndex(start, "list.slice"), end === undefined ? undefined : checkIndex(end, "list.slice"));
  }

  clear(): void {
    this.#items = [];
  }

  reverse(): void {
    this.#items.reverse();
  }

  sort(options?: { reverse?: boolean }): void {
    this.#items.sort(pythonCompare);
    if (options?.reverse === true) this.#items.reverse();
  }

  #find(value: unknown, start: number, end: number): number {
    for (let i = start; i < end; i++) {
      const item = this.#items[i];
      if (item === value || isDeepStrictEqual(item, value)) return i;
    }
    return -1;
  }
}
