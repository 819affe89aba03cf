/**
 * Proxies crossing threads and processes inside values (`internal/codec.ts`): a proxy becomes a
 * marker holding its location (type, server address, id, authkey) and is rebuilt on the other side
 * as a proxy of the same class. Importing this module registers the built-in proxy classes and the
 * marker kind; a process that receives a proxy without having loaded the managers imports it.
 *
 * The marker carries the manager's authkey (a proxy is a capability, as a Python proxy handed to a
 * child is): send proxies only to processes you would give the key to.
 */
import { registerShareable } from "../../internal/codec.js";
import { BaseProxy, makeProxy, proxyLocation, registerProxyType, setFallbackProxy, type ProxyLocation } from "./base-proxy.js";
import { DictProxy } from "./proxies/dict-proxy.js";
import { ListProxy } from "./proxies/list-proxy.js";
import { SetProxy } from "./proxies/set-proxy.js";
import { NamespaceProxy } from "./proxies/namespace-proxy.js";
import { ArrayProxy, ValueProxy } from "./proxies/value-proxy.js";
import { QueueProxy } from "./proxies/queue-proxy.js";
import { BarrierProxy, ConditionProxy, EventProxy, LockProxy, RLockProxy, SemaphoreProxy } from "./proxies/sync-proxies.js";
import { PoolProxy } from "./proxies/pool-proxy.js";
import { AutoProxyBase } from "./proxies/auto-proxy.js";

registerProxyType("DictProxy", DictProxy);
registerProxyType("ListProxy", ListProxy);
registerProxyType("SetProxy", SetProxy);
registerProxyType("NamespaceProxy", NamespaceProxy);
registerProxyType("ValueProxy", ValueProxy);
registerProxyType("ArrayProxy", ArrayProxy);
registerProxyType("QueueProxy", QueueProxy);
registerProxyType("LockProxy", LockProxy);
registerProxyType("RLockProxy", RLockProxy);
registerProxyType("SemaphoreProxy", SemaphoreProxy);
registerProxyType("ConditionProxy", ConditionProxy);
registerProxyType("EventProxy", EventProxy);
registerProxyType("BarrierProxy", BarrierProxy);
registerProxyType("PoolProxy", PoolProxy);
registerProxyType("AutoProxy", AutoProxyBase);
setFallbackProxy((location) => new AutoProxyBase(location));

interface Marker {
  readonly typeid: string;
  readonly address: ProxyLocation["address"];
  readonly id: number;
  readonly server: string;
  readonly proxy: string;
  readonly exposed: readonly string[] | undefined;
  readonly authkey: Uint8Array;
  readonly hints: ProxyLocation["hints"];
}

registerShareable<BaseProxy, Marker>({
  kind: "multiprocessing.managers.Proxy",
  module: import.meta.url,
  is: (value): value is BaseProxy => value instanceof BaseProxy,
  encode(proxy) {
    const { typeid, address, id, server, proxy: name, exposed, authkey, hints } = proxyLocation(proxy);
    return { typeid, address, id, server, proxy: name, exposed, authkey: new Uint8Array(authkey), hints };
  },
  decode(marker) {
    if (typeof marker !== "object" || marker === null || typeof marker.typeid !== "string" || typeof marker.id !== "number") {
      throw new TypeError("Cannot rebuild a manager proxy: malformed marker");
    }
    return makeProxy({ ...marker, address: Array.isArray(marker.address) ? [marker.address[0], marker.address[1]] : marker.address, authkey: Buffer.from(marker.authkey) });
  },
});
