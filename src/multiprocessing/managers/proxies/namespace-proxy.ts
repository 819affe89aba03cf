/**
 * `NamespaceProxy`: a managed `Namespace`. Python reads `ns.x`; across processes that cannot be
 * synchronous, so it is `await ns.get("x")` / `await ns.set("x", 1)`.
 */
import { BaseProxy } from "../base-proxy.js";

export class NamespaceProxy<T extends Record<string, unknown> = Record<string, unknown>> extends BaseProxy {
  /** The value named `name` (undefined when there is none). */
  get<K extends keyof T & string>(name: K): Promise<T[K]> {
    return this.call("get", [name]) as Promise<T[K]>;
  }

  /** Sets `name`; resolves once the request is on its way (later calls see it done). */
  set<K extends keyof T & string>(name: K, value: T[K]): Promise<void> {
    if (typeof name !== "string") return Promise.reject(new TypeError(`Namespace.set: name must be a string: got ${typeof name}`));
    return this.post("set", [name, value]);
  }

  has(name: keyof T & string): Promise<boolean> {
    return this.call("has", [name]) as Promise<boolean>;
  }

  delete(name: keyof T & string): Promise<boolean> {
    return this.call("delete", [name]) as Promise<boolean>;
  }

  /** A copy of every name and value. */
  toObject(): Promise<Partial<T>> {
    return this.call("toObject", []) as Promise<Partial<T>>;
  }

  override getValue(): Promise<Partial<T>> {
    return super.getValue() as Promise<Partial<T>>;
  }
}
