/** `ListProxy`: a managed list (Python's `ListProxy`). Negative indices count from the end. */
import { BaseProxy } from "../base-proxy.js";

export class ListProxy<T = unknown> extends BaseProxy {
  /** `l[index]`; rejects `RangeError` out of range. */
  get(index: number): Promise<T> {
    return this.call("get", [index]) as Promise<T>;
  }

  /** `l[index] = value`. */
  async set(index: number, value: T): Promise<void> {
    await this.call("set", [index, value]);
  }

  /** Appends `value`; resolves once the request is on its way (later calls see it done). */
  append(value: T): Promise<void> {
    return this.post("append", [value]);
  }

  extend(values: Iterable<T>): Promise<void> {
    return this.post("extend", [Array.isArray(values) ? values : [...values]]);
  }

  insert(index: number, value: T): Promise<void> {
    if (!Number.isInteger(index)) return Promise.reject(new TypeError(`list.insert: index must be an integer: got ${String(index)}`));
    return this.post("insert", [index, value]);
  }

  /** Removes and resolves the item at `index` (default the last). */
  pop(index = -1): Promise<T> {
    return this.call("pop", [index]) as Promise<T>;
  }

  /** Removes the first item equal to `value`; rejects `RangeError` when there is none. */
  async remove(value: T): Promise<void> {
    await this.call("remove", [value]);
  }

  /** Position of the first item equal to `value` (in `[start, end)`); rejects `RangeError` when absent. */
  index(value: T, start?: number, end?: number): Promise<number> {
    const args: unknown[] = [value];
    if (start !== undefined || end !== undefined) args.push(start ?? 0);
    if (end !== undefined) args.push(end);
    return this.call("index", args) as Promise<number>;
  }

  /** How many items equal `value` (deep equality). */
  count(value: T): Promise<number> {
    return this.call("count", [value]) as Promise<number>;
  }

  len(): Promise<number> {
    return this.call("len", []) as Promise<number>;
  }

  /** A copy of the whole list. */
  toArray(): Promise<T[]> {
    return this.call("toArray", []) as Promise<T[]>;
  }

  /** A copy of `l[start:end]`. */
  slice(start?: number, end?: number): Promise<T[]> {
    return this.call("slice", [start, end]) as Promise<T[]>;
  }

  clear(): Promise<void> {
    return this.post("clear", []);
  }

  reverse(): Promise<void> {
    return this.post("reverse", []);
  }

  /** Sorts in Python's order (numbers, then strings, …). */
  async sort(options: { reverse?: boolean } = {}): Promise<void> {
    await this.call("sort", [{ reverse: options.reverse === true }]);
  }

  override getValue(): Promise<T[]> {
    return super.getValue() as Promise<T[]>;
  }
}
