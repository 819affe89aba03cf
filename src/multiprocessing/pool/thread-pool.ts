/**
 * `ThreadPool`: Python's `multiprocessing.pool.ThreadPool`, on `worker_threads`, with `Pool`'s API.
 *
 * Tasks run truly in parallel (no GIL). Functions are found again in the threads as for `Pool`:
 * exported functions, or self-contained ones shipped by their source.
 */
import type { ResourceLimits } from "node:worker_threads";
import { BasePool, type PoolOptions } from "./base-pool.js";
import { ThreadLink, type ThreadLinkOptions } from "./thread-link.js";
import { checkSpawnOptions } from "../process.js";
import { describe } from "../../internal/options.js";

/** Options of `new ThreadPool()`. */
export interface ThreadPoolOptions extends PoolOptions {
  /** Heap limits of each worker thread (`worker_threads` `resourceLimits`). */
  resourceLimits?: ResourceLimits | undefined;
  /** Node options of the worker threads. @default this process's, inherited as Node does */
  execArgv?: string[] | undefined;
}

export class ThreadPool extends BasePool {
  /**
   * Starts `processes` worker threads (default `cpuCount()`).
   * @throws RangeError for a bad `processes` or `maxtasksperchild`; TypeError for an initializer
   *   that cannot be sent to a thread.
   */
  constructor(options: ThreadPoolOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`ThreadPool: options must be an object: got ${describe(options)}`);
    checkSpawnOptions({ execArgv: options.execArgv }, "ThreadPool");
    const linkOptions: ThreadLinkOptions = { resourceLimits: options.resourceLimits, execArgv: options.execArgv };
    super(options, "thread", "ThreadPool", (name, events) => new ThreadLink(name, events, linkOptions));
  }

  get [Symbol.toStringTag](): string {
    return "ThreadPool";
  }
}
