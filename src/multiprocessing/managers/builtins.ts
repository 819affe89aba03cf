/**
 * The factories of `SyncManager`'s types, as exported functions: the server process loads them
 * by reference (`task(import.meta.url, name)`).
 */
import { task } from "../../internal/task.js";
import { ServedDict } from "./served/dict.js";
import { ServedList } from "./served/list.js";
import { ServedSet } from "./served/set.js";
import { ServedNamespace } from "./served/namespace.js";
import { ServedArray, ServedValue } from "./served/value.js";
import { ServedQueue } from "./served/queue.js";
import { ServedLock, ServedRLock } from "./served/lock.js";
import { ServedBoundedSemaphore, ServedSemaphore } from "./served/semaphore.js";
import { ServedCondition } from "./served/condition.js";
import { ServedEvent } from "./served/event.js";
import { ServedBarrier } from "./served/barrier.js";
import { ServedPool } from "./served/pool.js";
import type { TypeSpec } from "./registry.js";

export const makeDict = (init?: unknown): ServedDict => new ServedDict(init);
export const makeList = (init?: unknown): ServedList => new ServedList(init);
export const makeSet = (init?: unknown): ServedSet => new ServedSet(init);
export const makeNamespace = (init?: unknown): ServedNamespace => new ServedNamespace(init);
export const makeValue = (typecode: unknown, value: unknown): ServedValue => new ServedValue(typecode, value);
export const makeArray = (typecode: unknown, init: unknown): ServedArray => new ServedArray(typecode, init);
export const makeQueue = (maxsize?: number): ServedQueue => new ServedQueue(maxsize ?? 0);
export const makeLock = (): ServedLock => new ServedLock();
export const makeRLock = (): ServedRLock => new ServedRLock();
export const makeSemaphore = (value?: number): ServedSemaphore => new ServedSemaphore(value ?? 1);
export const makeBoundedSemaphore = (value?: number): ServedBoundedSemaphore => new ServedBoundedSemaphore(value ?? 1);
export const makeEvent = (): ServedEvent => new ServedEvent();
export const makeBarrier = (parties: number, options?: { timeout?: number }): ServedBarrier => new ServedBarrier(parties, options);
export const makePool = (options?: { processes?: number; maxtasksperchild?: number | null }): ServedPool => new ServedPool(options);

export function makeCondition(lock?: unknown): ServedCondition {
  if (lock === undefined || lock === null) return new ServedCondition();
  if (lock instanceof ServedLock || lock instanceof ServedRLock) return new ServedCondition(lock);
  throw new TypeError("Condition: lock must be a Lock or RLock of the same manager");
}

const DICT = ["get", "set", "delete", "has", "keys", "values", "items", "len", "update", "pop", "popitem", "setdefault", "clear", "copy"];
const LIST = ["get", "set", "append", "extend", "insert", "pop", "remove", "index", "count", "len", "toArray", "slice", "clear", "reverse", "sort"];
const QUEUE = ["put", "get", "qsize", "empty", "full", "taskDone", "join"];
const ACQUIRE = ["acquire", "release"];

function spec(typeid: string, name: string, proxy: string, exposed: string[], unwrapArgs = false): TypeSpec {
  return { typeid, factory: task(import.meta.url, name), exposed: Object.freeze(exposed), methodToTypeid: undefined, proxy, unwrapArgs };
}

/** SyncManager's registry (Python's `SyncManager.register(...)` calls). */
export const BUILTIN_TYPES: readonly TypeSpec[] = [
  spec("dict", "makeDict", "DictProxy", DICT),
  spec("list", "makeList", "ListProxy", LIST),
  spec("set", "makeSet", "SetProxy", ["add", "discard", "remove", "has", "len", "values", "clear", "copy"]),
  spec("Namespace", "makeNamespace", "NamespaceProxy", ["get", "set", "has", "delete", "toObject"]),
  spec("Value", "makeValue", "ValueProxy", ["get", "set"]),
  spec("Array", "makeArray", "ArrayProxy", ["get", "set", "len", "toArray"]),
  spec("Queue", "makeQueue", "QueueProxy", QUEUE),
  spec("JoinableQueue", "makeQueue", "QueueProxy", QUEUE),
  spec("Lock", "makeLock", "LockProxy", [...ACQUIRE, "locked"]),
  spec("RLock", "makeRLock", "RLockProxy", [...ACQUIRE, "locked"]),
  spec("Semaphore", "makeSemaphore", "SemaphoreProxy", ACQUIRE),
  spec("BoundedSemaphore", "makeBoundedSemaphore", "SemaphoreProxy", ACQUIRE),
  spec("Condition", "makeCondition", "ConditionProxy", [...ACQUIRE, "wait", "notify", "notifyAll"], true),
  spec("Event", "makeEvent", "EventProxy", ["isSet", "set", "clear", "wait"]),
  spec("Barrier", "makeBarrier", "BarrierProxy", ["wait", "reset", "abort", "parties", "nWaiting", "broken"]),
  spec("Pool", "makePool", "PoolProxy", ["apply", "map", "starmap", "close", "terminate", "join"]),
];
