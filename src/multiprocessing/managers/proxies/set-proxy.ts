/** `SetProxy`: a managed set (Python 3.14's `SyncManager.set()`), whose members are primitives. */
import { BaseProxy } from "../base-proxy.js";
import { checkKey } from "../served/dict.js";
import type { DictKey } from "./dict-proxy.js";

export class SetProxy<T extends DictKey = DictKey> extends BaseProxy {
  /** Adds `item`; resolves once the request is on its way (later calls see it done). */
  add(item: T): Promise<void> {
    try {
      checkKey(item, "set.add");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.post("add", [item]);
  }

  /** Removes `item` if present; resolves whether it was. */
  discard(item: T): Promise<boolean> {
    return this.call("discard", [item]) as Promise<boolean>;
  }

  /** Removes `item`; rejects `RangeError` when it is absent. */
  async remove(item: T): Promise<void> {
    await this.call("remove", [item]);
  }

  has(item: T): Promise<boolean> {
    return this.call("has", [item]) as Promise<boolean>;
  }

  len(): Promise<number> {
    return this.call("len", []) as Promise<number>;
  }

  values(): Promise<T[]> {
    return this.call("values", []) as Promise<T[]>;
  }

  clear(): Promise<void> {
    return this.post("clear", []);
  }

  /** A copy of the whole set. */
  copy(): Promise<Set<T>> {
    return this.call("copy", []) as Promise<Set<T>>;
  }

  override getValue(): Promise<Set<T>> {
    return super.getValue() as Promise<Set<T>>;
  }
}
