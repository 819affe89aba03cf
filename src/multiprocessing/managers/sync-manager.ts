/**
 * `SyncManager` and `Manager()` (Python's `multiprocessing.Manager()`): a started manager serving
 * dicts, lists, namespaces, values, arrays, queues, locks and the other primitives, and pools.
 *
 *   await using manager = await Manager.start();
 *   const d = await manager.dict<number, string>();
 *   const l = await manager.list([0, 1, 2]);
 *   await d.set(1, "1");            // from any process or thread the proxy is passed to
 */
import { BaseManager, type BaseManagerOptions, type StartOptions } from "./base-manager.js";
import { BUILTIN_TYPES } from "./builtins.js";
import { dictInit, type DictInit, type DictKey, type DictProxy } from "./proxies/dict-proxy.js";
import type { ListProxy } from "./proxies/list-proxy.js";
import type { SetProxy } from "./proxies/set-proxy.js";
import type { NamespaceProxy } from "./proxies/namespace-proxy.js";
import type { ArrayProxy, ValueProxy } from "./proxies/value-proxy.js";
import type { QueueProxy } from "./proxies/queue-proxy.js";
import type { BarrierProxy, ConditionProxy, EventProxy, LockProxy, RLockProxy, SemaphoreProxy } from "./proxies/sync-proxies.js";
import type { PoolProxy } from "./proxies/pool-proxy.js";

/** The manager of the built-in shared types. */
export class SyncManager extends BaseManager {
  static {
    for (const spec of BUILTIN_TYPES) this.registerType(spec);
  }

  /** A shared dict (a Map with primitive keys), optionally filled from `init`. */
  dict<K extends DictKey = DictKey, V = unknown>(init?: DictInit<K, V>): Promise<DictProxy<K, V>> {
    return this.create("dict", dictInit(init));
  }

  /** A shared list, optionally filled from `init`. */
  list<T = unknown>(init?: Iterable<T>): Promise<ListProxy<T>> {
    return this.create("list", init === undefined ? undefined : [...init]);
  }

  /** A shared set of primitives (Python 3.14's `manager.set()`), optionally filled from `init`. */
  set<T extends DictKey = DictKey>(init?: Iterable<T>): Promise<SetProxy<T>> {
    return this.create("set", init === undefined ? undefined : [...init]);
  }

  /** A shared namespace of named values. */
  Namespace<T extends Record<string, unknown> = Record<string, unknown>>(init?: Partial<T>): Promise<NamespaceProxy<T>> {
    return this.create("Namespace", init);
  }

  /** A shared value labelled with a typecode (`"i"`, `"d"`, …). */
  Value<T = unknown>(typecode: string, value: T): Promise<ValueProxy<T>> {
    return this.create("Value", typecode, value);
  }

  /** A shared typed array: a size, or the initial items. */
  Array<T extends number | bigint = number>(typecode: string, init: number | readonly T[]): Promise<ArrayProxy<T>> {
    return this.create("Array", typecode, init);
  }

  /** A shared FIFO queue (`maxsize` 0: unbounded). */
  Queue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.create("Queue", maxsize);
  }

  /** A shared queue with `taskDone()` / `join()`. */
  JoinableQueue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.create("JoinableQueue", maxsize);
  }

  Lock(): Promise<LockProxy> {
    return this.create("Lock");
  }

  RLock(): Promise<RLockProxy> {
    return this.create("RLock");
  }

  Semaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create("Semaphore", value);
  }

  BoundedSemaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create("BoundedSemaphore", value);
  }

  /** A shared condition over `lock` (a Lock or RLock of this manager; default a new RLock). */
  Condition(lock?: LockProxy | RLockProxy): Promise<ConditionProxy> {
    return this.create("Condition", lock);
  }

  Event(): Promise<EventProxy> {
    return this.create("Event");
  }

  Barrier(parties: number, options: { timeout?: number } = {}): Promise<BarrierProxy> {
    return this.create("Barrier", parties, options);
  }

  /** A process pool living in the server process. */
  Pool(options: { processes?: number; maxtasksperchild?: number | null } = {}): Promise<PoolProxy> {
    return this.create("Pool", options);
  }
}

/** Options of `Manager()`. */
export type ManagerOptions = BaseManagerOptions & StartOptions;

async function startManager(options: ManagerOptions = {}): Promise<SyncManager> {
  const { initializer, initargs, ...managerOptions } = options;
  return new SyncManager(managerOptions).start({ initializer, initargs });
}

/**
 * Starts a `SyncManager` whose server runs in a new process: `await Manager()` or
 * `await Manager.start()`; `await using manager = await Manager.start()` shuts it down at the end
 * of the block.
 */
export const Manager: ((options?: ManagerOptions) => Promise<SyncManager>) & { start: (options?: ManagerOptions) => Promise<SyncManager> } =
  Object.assign(startManager, { start: startManager });
