/** The server side of a managed set (Python 3.14's `SyncManager.set()`): primitive members. */
import { describe } from "../../../internal/options.js";
import { checkKey, type DictKey } from "./dict.js";

export class ServedSet {
  readonly #items: Set<DictKey>;

  constructor(init?: unknown) {
    if (init !== undefined && init !== null && !Array.isArray(init)) throw new TypeError(`set: expected an array: got ${describe(init)}`);
    this.#items = new Set((init ?? []).map((item: unknown) => checkKey(item, "set")));
  }

  add(item: unknown): void {
    this.#items.add(checkKey(item, "set.add"));
  }

  discard(item: unknown): boolean {
    return this.#items.delete(checkKey(item, "set.discard"));
  }

  remove(item: unknown): void {
    if (!this.#items.delete(checkKey(item, "set.remove"))) throw new RangeError(`Cannot remove ${describe(item)}: it is not in the set`);
  }

  has(item: unknown): boolean {
    return this.#items.has(checkKey(item, "set.has"));
  }

  len(): number {
    return this.#items.size;
  }

  values(): DictKey[] {
    return [...this.#items];
  }

  clear(): void {
    this.#items.clear();
  }

  copy(): Set<DictKey> {
    return new Set(this.#items);
  }
}
