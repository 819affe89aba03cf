/**
 * Managers (Python's `multiprocessing.managers`): shared objects held by a server process and
 * used through proxies from any process or thread. See docs/manager.md.
 */
export { Manager, SyncManager, type ManagerOptions } from "./sync-manager.js";
export { BaseManager, type BaseManagerOptions, type RegisterOptions as ManagerRegisterOptions, type StartOptions as ManagerStartOptions } from "./base-manager.js";
export { Server as ManagerServer, type ServerOptions as ManagerServerOptions } from "./server.js";
export { BaseProxy, registerProxyType, type CallOptions as ProxyCallOptions, type ProxyClass, type ProxyLocation } from "./base-proxy.js";
export type { Token as ProxyToken } from "./protocol.js";
export type { Factory as ManagerFactory } from "./registry.js";
export { DictProxy, type DictKey, type DictInit } from "./proxies/dict-proxy.js";
export { ListProxy } from "./proxies/list-proxy.js";
export { SetProxy } from "./proxies/set-proxy.js";
export { NamespaceProxy } from "./proxies/namespace-proxy.js";
export { ValueProxy, ArrayProxy } from "./proxies/value-proxy.js";
export { QueueProxy } from "./proxies/queue-proxy.js";
export { LockProxy, RLockProxy, SemaphoreProxy, ConditionProxy, EventProxy, BarrierProxy, type RemoteAcquireOptions } from "./proxies/sync-proxies.js";
export { PoolProxy } from "./proxies/pool-proxy.js";
export type { AutoProxy, Remote } from "./proxies/auto-proxy.js";
export type { RemoteWaitOptions, BlockingOptions } from "./proxies/wait.js";
