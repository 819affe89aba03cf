/** `DictProxy`: a managed dict (Python's `DictProxy`), a Map whose keys are primitives. */
import { BaseProxy } from "../base-proxy.js";
import { checkKey } from "../served/dict.js";

/** What a managed dict takes as a key (a copy of an object key would never match). */
export type DictKey = string | number | bigint | boolean | null | undefined;

/** What `update()` and `manager.dict()` take: a Map, a plain object, or [key, value] pairs. */
export type DictInit<K extends DictKey, V> = Map<K, V> | Iterable<readonly [K, V]> | (K extends string ? Record<K, V> : never);

/** Turns a dict initializer into something that crosses as it is. @internal */
export function dictInit(init: unknown): unknown {
  if (init === undefined || init === null || init instanceof Map || Array.isArray(init)) return init;
  if (typeof init === "object" && Symbol.iterator in init) return [...(init as Iterable<unknown>)];
  return init;
}

export class DictProxy<K extends DictKey = DictKey, V = unknown> extends BaseProxy {
  /** The value of `key`, or `fallback` (default undefined) when there is none. */
  get(key: K): Promise<V | undefined>;
  get<D>(key: K, fallback: D): Promise<V | D>;
  get(key: K, ...fallback: unknown[]): Promise<unknown> {
    return this.call("get", [key, ...fallback.slice(0, 1)]);
  }

  /**
   * `d[key] = value`. Resolves once the request is on its way (it cannot fail once the key is
   * checked here); every later call of this process sees it done.
   */
  set(key: K, value: V): Promise<void> {
    try {
      checkKey(key, "dict.set");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.post("set", [key, value]);
  }

  /** `del d[key]`; resolves whether the key was there. */
  delete(key: K): Promise<boolean> {
    return this.call("delete", [key]) as Promise<boolean>;
  }

  /** `key in d`. */
  has(key: K): Promise<boolean> {
    return this.call("has", [key]) as Promise<boolean>;
  }

  keys(): Promise<K[]> {
    return this.call("keys", []) as Promise<K[]>;
  }

  values(): Promise<V[]> {
    return this.call("values", []) as Promise<V[]>;
  }

  items(): Promise<Array<[K, V]>> {
    return this.call("items", []) as Promise<Array<[K, V]>>;
  }

  /** `len(d)`. */
  len(): Promise<number> {
    return this.call("len", []) as Promise<number>;
  }

  /** Sets every entry of `other`. */
  async update(other: DictInit<K, V>): Promise<void> {
    await this.call("update", [dictInit(other)]);
  }

  /** Removes `key` and resolves its value; rejects `RangeError` when missing and no fallback is given. */
  pop(key: K): Promise<V>;
  pop<D>(key: K, fallback: D): Promise<V | D>;
  pop(key: K, ...fallback: unknown[]): Promise<unknown> {
    return this.call("pop", [key, ...fallback.slice(0, 1)]);
  }

  /** Removes and resolves the last inserted entry. */
  popitem(): Promise<[K, V]> {
    return this.call("popitem", []) as Promise<[K, V]>;
  }

  /** The value of `key`, setting it to `value` first when missing. */
  setdefault(key: K, value: V): Promise<V> {
    return this.call("setdefault", [key, value]) as Promise<V>;
  }

  clear(): Promise<void> {
    return this.post("clear", []);
  }

  /** A copy of the whole dict. */
  copy(): Promise<Map<K, V>> {
    return this.call("copy", []) as Promise<Map<K, V>>;
  }

  override getValue(): Promise<Map<K, V>> {
    return super.getValue() as Promise<Map<K, V>>;
  }
}
