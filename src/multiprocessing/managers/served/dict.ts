/**
 * The server side of a managed dict: a `Map` whose keys are primitives (Python's keys must be
 * hashable; here a key that is an object would be a different copy on every call, so it is
 * refused).
 */
import { describe } from "../../../internal/options.js";

export type DictKey = string | number | bigint | boolean | null | undefined;

export function checkKey(key: unknown, where: string): DictKey {
  const type = typeof key;
  if (type === "object" ? key !== null : type === "function" || type === "symbol") {
    throw new TypeError(`${where}: a key must be a string, number, bigint, boolean, null or undefined: got ${describe(key)}`);
  }
  return key as DictKey;
}

/** Entries of a dict initializer: a Map, a plain object, or an iterable of [key, value] pairs. */
export function entriesOf(init: unknown, where: string): Array<[DictKey, unknown]> {
  if (init === undefined || init === null) return [];
  let entries: Iterable<unknown>;
  if (init instanceof Map) entries = init.entries();
  else if (Array.isArray(init)) entries = init;
  else if (typeof init === "object" && (Object.getPrototypeOf(init) === Object.prototype || Object.getPrototypeOf(init) === null)) {
    entries = Object.entries(init);
  } else throw new TypeError(`${where}: expected a Map, a plain object or an array of [key, value] pairs: got ${describe(init)}`);
  const out: Array<[DictKey, unknown]> = [];
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new TypeError(`${where}: each entry must be a [key, value] pair`);
    out.push([checkKey(entry[0], where), entry[1]]);
  }
  return out;
}

export class ServedDict {
  readonly #map: Map<DictKey, unknown>;

  constructor(init?: unknown) {
    this.#map = new Map(entriesOf(init, "dict"));
  }

  get(key: unknown, ...fallback: unknown[]): unknown {
    const k = checkKey(key, "dict.get");
    if (this.#map.has(k)) return this.#map.get(k);
    return fallback[0];
  }

  set(key: unknown, value: unknown): void {
    this.#map.set(checkKey(key, "dict.set"), value);
  }

  delete(key: unknown): boolean {
    return this.#map.delete(checkKey(key, "dict.delete"));
  }

  has(key: unknown): boolean {
    return this.#map.has(checkKey(key, "dict.has"));
  }

  keys(): DictKey[] {
    return [...this.#map.keys()];
  }

  values(): unknown[] {
    return [...this.#map.values()];
  }

  items(): Array<[DictKey, unknown]> {
    return [...this.#map.entries()];
  }

  len(): number {
    return this.#map.size;
  }

  update(other: unknown): void {
    for (const [k, v] of entriesOf(other, "dict.update")) this.#map.set(k, v);
  }

  pop(key: unknown, ...fallback: unknown[]): unknown {
    const k = checkKey(key, "dict.pop");
    if (this.#map.has(k)) {
      const value = this.#map.get(k);
      this.#map.delete(k);
      return value;
    }
    if (fallback.length > 0) return fallback[0];
    throw new RangeError(`Cannot pop key ${describe(k)}: key not found`);
  }

  popitem(): [DictKey, unknown] {
    if (this.#map.size === 0) throw new RangeError("Cannot pop an item: dict is empty");
    const last = [...this.#map.keys()].at(-1) as DictKey;
    const value = this.#map.get(last);
    this.#map.delete(last);
    return [last, value];
  }

  setdefault(key: unknown, value?: unknown): unknown {
    const k = checkKey(key, "dict.setdefault");
    if (!this.#map.has(k)) this.#map.set(k, value);
    return this.#map.get(k);
  }

  clear(): void {
    this.#map.clear();
  }

  copy(): Map<DictKey, unknown> {
    return new Map(this.#map);
  }
}
