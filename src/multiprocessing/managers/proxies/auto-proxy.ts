/**
 * `AutoProxy`: the proxy of a registered type without a proxy class of its own (Python's
 * `AutoProxy`). Every exposed method of the referent is a property resolving an async function:
 *
 *   const queue = await manager.create<RemoteQueue>("getQueue");   // Remote<Queue>
 *   await queue.put(1);
 *
 * Only the exposed names exist on it (so `then` does not, and `await proxy` is the proxy itself).
 */
import { BaseProxy, type ProxyLocation } from "../base-proxy.js";

/** The async, remote view of `T`'s methods. */
export type Remote<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** An AutoProxy typed after the referent `T`. */
export type AutoProxy<T = unknown> = BaseProxy & Remote<T>;

export class AutoProxyBase extends BaseProxy {
  constructor(location: ProxyLocation) {
    super(location);
    const exposed = new Set(location.exposed ?? []);
    const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    return new Proxy(this, {
      get(target, property, receiver) {
        if (typeof property === "string" && exposed.has(property) && !(property in BaseProxy.prototype)) {
          let method = methods.get(property);
          if (method === undefined) {
            method = (...args: unknown[]) => target.callMethod(property, args);
            methods.set(property, method);
          }
          return method;
        }
        const value: unknown = Reflect.get(target, property, receiver === undefined ? target : target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
      has(target, property) {
        return (typeof property === "string" && exposed.has(property)) || property in target;
      },
    });
  }
}
