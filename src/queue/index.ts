/**
 * shoal/queue: Python's `queue` — Queue, LifoQueue, PriorityQueue, SimpleQueue — shared by async
 * tasks and threads.
 */
export { Empty, Full, ShutDown } from "./errors.js";
export { Queue, type QueueSyncOptions, type QueueWaitOptions, type ShutdownOptions } from "./queue.js";
export { LifoQueue } from "./lifo-queue.js";
export { PriorityQueue, type PriorityQueueOptions } from "./priority-queue.js";
export { SimpleQueue } from "./simple-queue.js";
export { pythonCompare } from "./compare.js";
export type { Comparator, Storage, StorageFactory } from "./storage.js";
