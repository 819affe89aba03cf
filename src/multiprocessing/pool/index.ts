/** Pool, ThreadPool and LoopPool: `multiprocessing.Pool` and `multiprocessing.pool.ThreadPool`. */
export { Pool, type ProcessPoolOptions } from "./pool.js";
export { ThreadPool, type ThreadPoolOptions } from "./thread-pool.js";
export { LoopPool, type LoopPoolOptions } from "./loop-pool.js";
export type { PoolState, PoolOptions, ApplyOptions, MapOptions, MapAsyncOptions, IMapOptions, PoolTask } from "./base-pool.js";
export { AsyncResult, type ResultCallbacks } from "./async-result.js";
export type { MapResult } from "./map-result.js";
export type { PoolIterator } from "./pool-iterator.js";
export { RemoteTraceback, WorkerLostError, MaybeEncodingError, PoolTerminatedError } from "./errors.js";
