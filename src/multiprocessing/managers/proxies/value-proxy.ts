/**
 * `ValueProxy` and `ArrayProxy`: a managed `Value` and `Array`. Python reads `v.value`; across
 * processes that is `await v.get()` / `await v.set(x)`.
 */
import { BaseProxy } from "../base-proxy.js";

export class ValueProxy<T = unknown> extends BaseProxy {
  get(): Promise<T> {
    return this.call("get", []) as Promise<T>;
  }

  /** Sets the value; resolves once the request is on its way (later calls see it done). */
  set(value: T): Promise<void> {
    return this.post("set", [value]);
  }

  override getValue(): Promise<T> {
    return super.getValue() as Promise<T>;
  }
}

/** A managed typed array (typecodes `b B h H i I f d` hold numbers, `l L q Q` bigints). */
export class ArrayProxy<T extends number | bigint = number> extends BaseProxy {
  get(index: number): Promise<T> {
    return this.call("get", [index]) as Promise<T>;
  }

  async set(index: number, value: T): Promise<void> {
    await this.call("set", [index, value]);
  }

  len(): Promise<number> {
    return this.call("len", []) as Promise<number>;
  }

  toArray(): Promise<T[]> {
    return this.call("toArray", []) as Promise<T[]>;
  }

  override getValue(): Promise<T[]> {
    return super.getValue() as Promise<T[]>;
  }
}
